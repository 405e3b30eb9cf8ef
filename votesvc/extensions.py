"""Flask extensions, created unbound so that every app the factory builds binds its own."""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import ClassVar, ParamSpec, TypeVar

from flask import Flask, current_app, request
from flask_migrate import Migrate
from flask_smorest import Api
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from votesvc.schemas.errors import ErrorEnvelopeSchema


class VotesvcApi(Api):
    """flask-smorest's Api, documenting votesvc's error envelope instead of its own.

    The handlers that produce the envelope are registered by :mod:`votesvc.api.errors`, the one
    place that turns exceptions into responses, so the Api's default handler is not installed.
    """

    ERROR_SCHEMA = ErrorEnvelopeSchema

    def _register_error_handlers(self) -> None:
        return None


migrate = Migrate()

P = ParamSpec("P")
R = TypeVar("R")


class SweptMemoryStorage(MemoryStorage):
    """limits' in-memory storage (``votesvc-memory://``), its expired counters swept by the
    hits themselves at most once a second instead of by a timer thread.

    On a hit, limits' ``MemoryStorage`` starts a new thread to sweep 10 ms later whenever the
    last one has run: under load one every few requests in each worker, 6-7 % of a cast's
    interpreter time in gunicorn (py-spy --gil). A counter past its window is already dropped
    when it is read, so the sweep only bounds the memory of clients that never come back.
    """

    STORAGE_SCHEME: ClassVar[list[str]] = ["votesvc-memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions, **options)
        self._next_sweep = time.monotonic() + self.SWEEP_SECONDS
        self._sweeping = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # the timer's start, private to limits
        now = time.monotonic()
        if now < self._next_sweep or not self._sweeping.acquire(blocking=False):
            return  # not due, or another thread is sweeping
        try:
            if now >= self._next_sweep:
                self._next_sweep = now + self.SWEEP_SECONDS
                self._sweep()
        finally:
            self._sweeping.release()

    def _sweep(self) -> None:
        """Drop the counters and moving windows that have expired. Written here rather than
        calling limits' own sweep, which indexes keys a concurrent hit may have just dropped
        (harmless in its timer thread, a 500 in a request). Per-key locks stay: a hit may hold
        one."""
        now = time.time()  # dict.copy is one C call, which no thread can interleave with
        for key, expiry in self.expirations.copy().items():
            if expiry <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
        for key in self.events.copy():
            with self.locks[key]:
                events = self.events.get(key)
                if events is not None and (not events or events[0].expiry <= now):
                    del self.events[key]  # the newest entry comes first: all have expired


LIMITER_STATE = "votesvc.limiter"


class RateLimited(TooManyRequests):
    """A route's limit for this client address is spent: ``429 rate_limited``. It carries what
    finds the window's end (:meth:`seconds_to_retry`), read only when the answer is written."""

    def __init__(self, strategy: FixedWindowRateLimiter, item: RateLimitItem, key: tuple[str, str]):
        super().__init__()
        self.strategy, self.item, self.key = strategy, item, key

    def seconds_to_retry(self) -> int:
        """Whole seconds until the breached limit's window ends (at least 1). The storage
        (Redis) may fail here: the caller decides what the refusal says then."""
        reset = self.strategy.get_window_stats(self.item, *self.key).reset_time
        return max(1, math.ceil(reset - time.time()))


@dataclass(frozen=True, slots=True)
class _AppLimits:
    """One app's limiter settings: on or off, and the counters' storage."""

    enabled: bool
    storage: Storage
    strategy: FixedWindowRateLimiter


class RouteLimiter:
    """Rate limits per client address on the routes that declare one (``@limiter.limit``),
    counted in fixed windows by `limits`_ in each app's storage (``RATELIMIT_STORAGE_URI``).

    votesvc's limits are all of one kind: a route, a limit string read from the settings, the
    client's address. Flask-Limiter, which counted them before over the same `limits`, resolved,
    filtered and checked exemptions for every limited request: about 11 % of an online cast's
    CPU in a worker besides the counter's round trip to Redis (py-spy ``--gil``, 2026-12-04),
    against under 1 % here. Each app keeps its settings in its own ``extensions``, so an app
    created later in the process (a test's, with limits off or a fresh memory storage) leaves
    the limits of a live server alone.

    .. _limits: https://limits.readthedocs.io
    """

    def init_app(self, app: Flask) -> None:
        # a storage failure (Redis down) raises limits' StorageError, which answers 503
        storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"], wrap_exceptions=True)
        enabled = bool(app.config.get("RATELIMIT_ENABLED", True))
        app.extensions[LIMITER_STATE] = _AppLimits(
            enabled, storage, FixedWindowRateLimiter(storage)
        )

    @staticmethod
    def _state() -> _AppLimits:
        state: _AppLimits = current_app.extensions[LIMITER_STATE]
        return state

    @property
    def enabled(self) -> bool:
        """Whether the current app counts at all (``RATELIMIT_ENABLED``)."""
        return self._state().enabled

    @property
    def storage(self) -> Storage:
        """The current app's counters."""
        return self._state().storage

    def limit(
        self, setting: Callable[[], str], methods: Collection[str] | None = None
    ) -> Callable[[Callable[P, R]], Callable[P, R]]:
        """Count each call of the view (of those ``methods``, else all) against the limit
        string ``setting()`` returns (``"10 per minute"``, several separated by ``;``), per
        client address; past it, :class:`RateLimited` instead of the view."""

        counted = None if methods is None else frozenset(method.upper() for method in methods)

        def decorate(view: Callable[P, R]) -> Callable[P, R]:
            scope = f"{view.__module__}.{view.__qualname__}"

            @functools.wraps(view)
            def limited(*args: P.args, **kwargs: P.kwargs) -> R:
                if counted is None or request.method in counted:
                    self.hit(scope, setting())
                return view(*args, **kwargs)

            return limited

        return decorate

    def hit(self, scope: str, limits: str) -> None:
        """One hit on each of ``limits`` for this request's client address in ``scope``."""
        state = self._state()
        if not state.enabled:
            return
        key = (scope, request.remote_addr or "127.0.0.1")
        for item in _parsed(limits):
            if not state.strategy.hit(item, *key):
                raise RateLimited(state.strategy, item, key)


@functools.lru_cache(maxsize=64)
def _parsed(limits: str) -> tuple[RateLimitItem, ...]:
    """A limit string's limits, parsed once per string (the settings hold two or three)."""
    return tuple(parse_many(limits))


limiter = RouteLimiter()
"""Rate limits per client address on code entry and casting: in each worker's memory by default
(:class:`SweptMemoryStorage`), in Redis when ``VOTESVC_REDIS_URL`` is set
(``RATELIMIT_STORAGE_URI``). Behind a reverse proxy, ``VOTESVC_PROXY_HOPS`` makes the address
the voter's, not the proxy's (:func:`votesvc.create_app` wraps the app in ``ProxyFix``). No
``X-RateLimit-*`` headers (they cost a storage read per request, a round trip with Redis); a 429
says when to retry (:mod:`votesvc.api.errors`)."""
