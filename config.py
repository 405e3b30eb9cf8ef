"""Settings from ``VOTESVC_*`` environment variables (see the README's Configuration table).

Development needs nothing set: the database is a SQLite file under ``instance/`` and a secret
key is generated once and kept there (mode 0600). Production (``VOTESVC_ENV=production``)
refuses to start without ``VOTESVC_SECRET_KEY``: a generated key would differ between workers
and vanish with the container, invalidating every signed voter token. It also refuses several
workers (``WEB_CONCURRENCY``) without ``VOTESVC_REDIS_URL``: each would keep its own rate
limits.

``VOTESVC_PUBLIC_URL`` is the address residents reach the service at (``https://vote.example.kr``):
printed online token sheets and the demo carry links to the voting page under it, and the
results page's ``votesvc verify`` line names the results under it. It defaults
to ``http://127.0.0.1:5000`` in development. Production has no default, and printing online
sheets is refused until it is set (the service itself starts without it): a sheet with a wrong
address is wasted paper in thousands of hands, while a deployment that prints only booth sheets
needs no public address at all.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many

SECRET_FILE = "secret_key"
SQLITE_FILE = "votesvc.sqlite3"
DEFAULT_MAX_CONTENT_LENGTH = 16 * 1024 * 1024
DEFAULT_SYNC_GRACE_MINUTES = 48 * 60
DEFAULT_CAST_LIMIT = "30 per minute"
DEFAULT_CODE_LIMIT = "10 per minute"
DEFAULT_COUNT_HEARTBEAT_SECONDS = 30
DEFAULT_COUNT_STALE_SECONDS = 300
DEFAULT_DB_POOL_SIZE = 10
DEFAULT_MIX_INTERVAL_SECONDS = 300
DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"
MAX_PROXY_HOPS = 5
DEFAULT_ADMIN_IDLE_MINUTES = 30


class ConfigError(RuntimeError):
    """The environment cannot run the service; the message says what to set."""


def _dev_secret(instance_path: Path) -> str:
    """The development secret: made on first use, kept in the instance folder, owner-only."""
    path = instance_path / SECRET_FILE
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        secret = secrets.token_urlsafe(48)
        file.write(secret)
    return secret


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from error


def public_url(environ: Mapping[str, str], env: str) -> str:
    """``VOTESVC_PUBLIC_URL`` without its trailing slash, checked: an http(s) address with a host
    and nothing after the path, because links are made by appending ``/elections/...`` to it.
    Empty in production when unset (see the module docstring)."""
    raw = environ.get("VOTESVC_PUBLIC_URL", "").strip()
    if not raw:
        return "" if env == "production" else DEFAULT_PUBLIC_URL
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"VOTESVC_PUBLIC_URL must be an http(s) address such as https://vote.example.kr "
            f"(a path is allowed, no query or #), not {raw!r}."
        )
    return raw.rstrip("/")


def proxy_hops(environ: Mapping[str, str]) -> int:
    """``VOTESVC_PROXY_HOPS``: how many reverse proxies in front of the app append to
    ``X-Forwarded-For`` (nginx on the node: 1; a load balancer before it as well: 2). The app
    then takes the client's address from that many entries from the right of the header, so
    rate limits count per voter, not per proxy; 0 (the default) trusts no forwarded header,
    since a client reaching the app directly could write any address into one."""
    hops = _int(environ, "VOTESVC_PROXY_HOPS", 0)
    if not 0 <= hops <= MAX_PROXY_HOPS:
        raise ConfigError(f"VOTESVC_PROXY_HOPS must be 0 to {MAX_PROXY_HOPS}, not {hops}.")
    return hops


def engine_options(environ: Mapping[str, str], database_url: str) -> dict[str, Any]:
    """SQLAlchemy engine options; the casting bench gives its bare endpoint the same ones.

    No ``pool_pre_ping``: its ``SELECT 1`` before each request's first statement was a round
    trip to the server on every request (a quarter of an online cast's). Disconnects are
    handled as they happen instead: a request whose connection the server dropped (a restart,
    a failover) fails with 503 ``service_unavailable`` and ``Retry-After`` (clients send a
    cast again with its ``cast_id``), and the engine then replaces every connection of the
    pool opened before the error, so a restart fails the requests that already held a stale
    connection, not one request per pooled connection (tests/pg/test_faults_pg.py).

    On PostgreSQL the pool keeps ``VOTESVC_DB_POOL_SIZE`` connections (default 10): at least
    the server threads of a worker (gunicorn ``--threads``), or requests past the pool's size
    open and close a connection of their own each time (SQLAlchemy's overflow), which costs
    far more than the request.
    """
    options: dict[str, Any] = {}
    if database_url.startswith("postgresql"):
        options["pool_size"] = _int(environ, "VOTESVC_DB_POOL_SIZE", DEFAULT_DB_POOL_SIZE)
    return options


def _voting_settings(
    environ: Mapping[str, str], secret: str, instance_path: Path
) -> dict[str, Any]:
    """Tokens, kiosks, online voting and rate limits (see docs/voting.md, Configuration).

    ``VOTESVC_TOKEN_SECRETS`` lists signing secrets newest first, comma-separated; it defaults
    to the secret key. ``VOTESVC_TOKEN_HASH_KEY`` keys every stored hash (token ids, receipts,
    the voter roll) and must never change during an election, so set it apart from the
    rotated secrets in production; it also defaults to the secret key.
    ``VOTESVC_MIX_INTERVAL_SECONDS`` is how often the secrecy mixer rewrites recent ballots
    (:mod:`votesvc.services.mixing`); 0 turns the background mixer off (``votesvc mix`` then).
    """
    token_secrets = [s.strip() for s in environ.get("VOTESVC_TOKEN_SECRETS", "").split(",")]
    redis_url = environ.get("VOTESVC_REDIS_URL")
    return {
        "VOTESVC_TOKEN_SECRETS": [s.encode() for s in token_secrets if s] or [secret.encode()],
        "VOTESVC_TOKEN_HASH_KEY": environ.get("VOTESVC_TOKEN_HASH_KEY", secret).encode(),
        "VOTESVC_SYNC_GRACE_MINUTES": _int(
            environ, "VOTESVC_SYNC_GRACE_MINUTES", DEFAULT_SYNC_GRACE_MINUTES
        ),
        "VOTESVC_CENSUS": environ.get("VOTESVC_CENSUS", "votesvc.services.voters:RollCensus"),
        "VOTESVC_SMTP_HOST": environ.get("VOTESVC_SMTP_HOST", ""),
        "VOTESVC_SMTP_PORT": _int(environ, "VOTESVC_SMTP_PORT", 25),
        "VOTESVC_MAIL_FROM": environ.get("VOTESVC_MAIL_FROM", "votesvc@localhost"),
        "VOTESVC_MAIL_OUTBOX": environ.get("VOTESVC_MAIL_OUTBOX", str(instance_path / "outbox")),
        "VOTESVC_CAST_LIMIT": environ.get("VOTESVC_CAST_LIMIT", DEFAULT_CAST_LIMIT),
        "VOTESVC_CODE_LIMIT": environ.get("VOTESVC_CODE_LIMIT", DEFAULT_CODE_LIMIT),
        "VOTESVC_MIX_INTERVAL_SECONDS": _int(
            environ, "VOTESVC_MIX_INTERVAL_SECONDS", DEFAULT_MIX_INTERVAL_SECONDS
        ),
        "VOTESVC_REDIS_URL": redis_url or "",
        "RATELIMIT_STORAGE_URI": redis_url or "votesvc-memory://",
    }


def _results_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """Count jobs (see docs/results.md): a running count refreshes its heartbeat every
    ``VOTESVC_COUNT_HEARTBEAT_SECONDS``; one silent for ``VOTESVC_COUNT_STALE_SECONDS`` is taken
    for dead (its process crashed or was killed) and no longer blocks a new count. The gap
    between the two leaves room for a busy database or a paused worker."""
    return {
        "VOTESVC_COUNT_HEARTBEAT_SECONDS": _int(
            environ, "VOTESVC_COUNT_HEARTBEAT_SECONDS", DEFAULT_COUNT_HEARTBEAT_SECONDS
        ),
        "VOTESVC_COUNT_STALE_SECONDS": _int(
            environ, "VOTESVC_COUNT_STALE_SECONDS", DEFAULT_COUNT_STALE_SECONDS
        ),
    }


def load(
    instance_path: Path, environ: Mapping[str, str], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """Flask settings for an app whose instance folder is ``instance_path``.

    ``overrides`` (what tests or embedders pass to ``create_app``) win over the environment.
    """
    env = environ.get("VOTESVC_ENV", "development")
    if env not in ("development", "production"):
        raise ConfigError(f"VOTESVC_ENV must be 'development' or 'production', not {env!r}.")
    secret = overrides.get("SECRET_KEY") or environ.get("VOTESVC_SECRET_KEY")
    if not secret:
        if env == "production":
            raise ConfigError(
                "VOTESVC_ENV=production needs VOTESVC_SECRET_KEY: set it to a long random value, "
                "e.g. from `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`, "
                "and keep it: voter tokens are signed with it."
            )
        secret = _dev_secret(instance_path)
    database_url = environ.get("VOTESVC_DATABASE_URL") or f"sqlite:///{instance_path / SQLITE_FILE}"
    settings: dict[str, Any] = {
        "VOTESVC_ENV": env,
        "VOTESVC_PUBLIC_URL": public_url(environ, env),
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(environ, database_url),
        "VOTESVC_PROXY_HOPS": proxy_hops(environ),
        "MAX_CONTENT_LENGTH": _int(
            environ, "VOTESVC_MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH
        ),
        "VOTESVC_ADMIN_IDLE_MINUTES": _int(
            environ, "VOTESVC_ADMIN_IDLE_MINUTES", DEFAULT_ADMIN_IDLE_MINUTES
        ),
        "API_TITLE": "votesvc",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        **_voting_settings(environ, secret, instance_path),
        **_results_settings(environ),
    }
    settings.update(overrides)
    settings.setdefault("WEB_CONCURRENCY", _int(environ, "WEB_CONCURRENCY", 1))
    _check_shared_limits(env, settings["WEB_CONCURRENCY"], settings)
    _check_limit_strings(settings)
    return settings


def _check_limit_strings(settings: Mapping[str, Any]) -> None:
    """A rate limit that does not parse is refused at start: read on each request, it would
    fail every cast and every code entry instead."""
    for name in ("VOTESVC_CAST_LIMIT", "VOTESVC_CODE_LIMIT"):
        try:
            parse_many(str(settings[name]))
        except ValueError as error:
            raise ConfigError(
                f"{name}={settings[name]!r} is not a rate limit such as '30 per minute' "
                "(several: '30 per minute;200 per hour')."
            ) from error


def _check_shared_limits(env: str, workers: int, settings: Mapping[str, Any]) -> None:
    """Rate limits kept in memory are counted by each worker apart: with N workers, N times
    the limit gets through. Production with several workers (gunicorn reads ``WEB_CONCURRENCY``
    as its worker count, so the deployment sets it once for both) needs Redis to share them."""
    in_memory = str(settings["RATELIMIT_STORAGE_URI"]).startswith(("votesvc-memory:", "memory:"))
    if (
        env == "production"
        and workers > 1
        and in_memory
        and settings.get("RATELIMIT_ENABLED", True)
    ):
        raise ConfigError(
            f"WEB_CONCURRENCY={workers} with rate limits in memory: each worker would count its "
            f"own, letting {workers} times the limit through. Set VOTESVC_REDIS_URL (Redis keeps "
            "one count for every worker), or run a single worker."
        )
