"""What a production deployment still lacks: the checks behind ``votesvc check-deploy``.

Each finding names a setting and says what to do; none is fatal to starting the service (the
settings :mod:`config` refuses outright never get this far), but each one fails voters or
their secrecy somewhere: a secret left at the template's placeholder lets anyone sign tokens,
memory rate limits with several workers or nodes let N times the limit through, kiosks without
HTTPS cannot start, and behind a proxy with no trusted hop every voter shares the proxy's
address and so one rate limit. The database, migration and Redis checks are the readiness
probe's own (:mod:`votesvc.services.health`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from votesvc.services import health

PLACEHOLDER_SECRET = "change-me"
"""The value ``deploy/votesvc.env.example`` holds for every secret, until the operator sets it."""
MIN_SECRET_LENGTH = 32
"""HKDF and itsdangerous keys: at least 32 bytes (the README's settings table)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing missing: the setting (or service) concerned and what to do about it."""

    setting: str
    problem: str


def _secrets() -> list[Finding]:
    found = []
    config = current_app.config
    secret = str(config["SECRET_KEY"])
    hash_key = bytes(config["VOTESVC_TOKEN_HASH_KEY"]).decode(errors="replace")
    for name, value in (("VOTESVC_SECRET_KEY", secret), ("VOTESVC_TOKEN_HASH_KEY", hash_key)):
        if PLACEHOLDER_SECRET in value:
            found.append(Finding(name, "still the template's placeholder: set a random value"))
        elif len(value.encode()) < MIN_SECRET_LENGTH:
            found.append(Finding(name, f"shorter than {MIN_SECRET_LENGTH} bytes"))
    if hash_key == secret and not found:
        found.append(
            Finding(
                "VOTESVC_TOKEN_HASH_KEY",
                "the secret key's (unset, it defaults to it): set it apart, so the secret key "
                "can be rotated without losing every stored token and receipt",
            )
        )
    return found


def _storage() -> list[Finding]:
    database, migrations = health.database_state()
    found = []
    if str(current_app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        found.append(Finding("VOTESVC_DATABASE_URL", "SQLite: production runs on PostgreSQL"))
    if database != health.OK:
        found.append(Finding("VOTESVC_DATABASE_URL", f"the database is {database}"))
    elif migrations != health.OK:
        found.append(Finding("migrations", f"{migrations}: run `votesvc db upgrade`"))
    return found


def _redis(nodes: int) -> list[Finding]:
    redis = health.redis_state()
    workers = int(current_app.config["WEB_CONCURRENCY"])
    if redis == health.NOT_CONFIGURED and (workers > 1 or nodes > 1):
        return [
            Finding(
                "VOTESVC_REDIS_URL",
                f"unset with {workers} worker(s) on {nodes} node(s): each process would keep "
                "its own rate limits; set it to the one Redis every node shares",
            )
        ]
    if redis not in (health.OK, health.NOT_CONFIGURED):
        return [Finding("VOTESVC_REDIS_URL", f"Redis is {redis}")]
    return []


def _addresses() -> list[Finding]:
    public_url = str(current_app.config["VOTESVC_PUBLIC_URL"])
    if not public_url:
        return [Finding("VOTESVC_PUBLIC_URL", "unset: printed online sheets need the address")]
    if urlsplit(public_url).scheme != "https":
        return [
            Finding(
                "VOTESVC_PUBLIC_URL",
                f"{public_url} is not HTTPS: booth kiosks work only over TLS (service workers, "
                "Web Crypto); serve it through the kit's nginx with a certificate",
            )
        ]
    if not current_app.config["VOTESVC_PROXY_HOPS"]:
        return [
            Finding(
                "VOTESVC_PROXY_HOPS",
                "0 behind the HTTPS proxy: every voter would have the proxy's address and share "
                "one rate limit; set it to the number of proxies in front (the kit's nginx: 1)",
            )
        ]
    return []


def check_deployment(nodes: int = 1) -> list[Finding]:
    """Everything a production deployment of ``nodes`` app machines still lacks, in the order
    an operator fixes them; empty when it is ready."""
    found = []
    if current_app.config["VOTESVC_ENV"] != "production":
        found.append(Finding("VOTESVC_ENV", "not production: set VOTESVC_ENV=production"))
    return [*found, *_secrets(), *_storage(), *_redis(nodes), *_addresses()]
