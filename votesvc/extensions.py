"""Flask extensions, created unbound so that every app the factory builds binds its own."""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

from flask import Flask, current_app, has_app_context
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from limits.storage import MemoryStorage

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


class PerApp:
    """An attribute of the limiter kept apart for each Flask app, in its ``extensions``.

    Flask-Limiter keeps what ``init_app`` reads from an app's settings (on or off, the storage
    and the strategy over it) on the limiter object itself, so with one module-level limiter
    the last app created configured every app in the process: a test's app with limits off, or
    with a fresh memory storage, switched off or emptied the limits of a live server started
    earlier. Inside an app context this reads and writes that app's value; outside one (the
    limiter's constructor) the limiter's own, which is every app's default.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, limiter: object, owner: type | None = None) -> Any:
        if limiter is None:
            return self
        state = _app_state()
        if state is not None and self.name in state:
            return state[self.name]
        return vars(limiter)[self.name]

    def __set__(self, limiter: object, value: Any) -> None:
        state = _app_state()
        (vars(limiter) if state is None else state)[self.name] = value


LIMITER_STATE = "votesvc.limiter"


def _app_state() -> dict[str, Any] | None:
    if not has_app_context():
        return None
    state: dict[str, Any] = current_app.extensions.setdefault(LIMITER_STATE, {})
    return state


class RouteLimiter(Limiter):
    """Flask-Limiter for limits declared on routes (``@limiter.limit``) and nowhere else, with
    each app's settings its own (:class:`PerApp`).

    Flask-Limiter checks every request twice: once before the request for application, default
    and meta limits, and again in the decorator of a limited route. votesvc has only the
    decorators, so the first pass ran on every request (about 40 µs of a cast's CPU) to find
    nothing; it is skipped here. Limits that only that pass would enforce are refused at start
    rather than silently ignored. Flask-Limiter 4 has no setting for this: both passes call its
    ``_check_request_limit``, the decorator's with ``in_middleware=False``.
    """

    enabled = PerApp()
    _storage = PerApp()
    _limiter = PerApp()
    _storage_dead = PerApp()

    def init_app(self, app: Flask) -> None:
        for name in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META"):
            if app.config.get(name):
                raise RuntimeError(f"{name} is not enforced: limit the routes themselves.")
        with app.app_context():  # what Flask-Limiter sets now is this app's (PerApp)
            super().init_app(app)

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if not in_middleware:  # the route's decorator, not the before-request pass
            super()._check_request_limit(callable_name, in_middleware)


limiter = RouteLimiter(get_remote_address)
"""Rate limits per client address on code entry and casting: in each worker's memory by default
(:class:`SweptMemoryStorage`), in Redis when ``VOTESVC_REDIS_URL`` is set
(``RATELIMIT_STORAGE_URI``). Behind a reverse proxy, ``VOTESVC_PROXY_HOPS`` makes the address
the voter's, not the proxy's (:func:`votesvc.create_app` wraps the app in ``ProxyFix``). No
``X-RateLimit-*`` headers (they cost a storage read per request, a round trip with Redis); a 429
says when to retry (:mod:`votesvc.api.errors`)."""
