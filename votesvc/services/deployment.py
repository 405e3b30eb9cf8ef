"""What a production deployment still lacks: the checks behind ``votesvc check-deploy``.

Each finding names a setting and says what to do; none is fatal to starting the service (the
settings :mod:`config` refuses outright never get this far), but each one fails voters or
their secrecy somewhere: a secret left at the template's placeholder lets anyone sign tokens,
memory rate limits with several workers or nodes let N times the limit through, kiosks without
HTTPS cannot start, and behind a proxy with no trusted hop every voter shares the proxy's
address and so one rate limit. The database, migration and Redis checks are the readiness
probe's own (:mod:`votesvc.services.health`). A PostgreSQL server without the kit's settings
stalls or slows every cast in a surge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from votesvc.models.base import db
from votesvc.services import health

PLACEHOLDER_SECRET = "change-me"
"""The value ``deploy/votesvc.env.example`` holds for every secret, until the operator sets it."""
MIN_SECRET_LENGTH = 32
"""HKDF and itsdangerous keys: at least 32 bytes (the README's settings table)."""


POSTGRESQL_DROP_IN = Path("deploy", "postgresql", "votesvc.conf")
"""The kit's PostgreSQL settings (README step 2), in the checkout."""


def kit_drop_in() -> Path:
    """The drop-in of the checkout the service runs from: beside its ``migrations/``."""
    return Path(current_app.extensions["migrate"].directory).parent / POSTGRESQL_DROP_IN


_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]*)")
_UNITS = {
    **{"": 1.0, "B": 1.0, "kB": 2.0**10, "MB": 2.0**20, "GB": 2.0**30, "TB": 2.0**40},
    **{"us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0},
}
"""PostgreSQL's units of memory (bytes; 1 kB = 1 024 B) and of time (seconds)."""


def postgresql_settings(path: Path) -> dict[str, str]:
    """The ``name = value`` lines of a postgresql.conf-style file, comments dropped."""
    settings = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, equals, value = line.split("#", 1)[0].partition("=")
        if equals:
            settings[name.strip()] = value.strip().strip("'")
    return settings


def quantity(value: str, unit: str | None = None) -> float | None:
    """``value`` in bytes or seconds: ``1GB`` and ``15min`` name their unit; a bare number is
    in ``unit``, the setting's own (``131072`` of ``8kB``, as ``pg_settings`` and a
    postgresql.conf line without a suffix give it). None when it is not a quantity."""
    amount = _QUANTITY.fullmatch(value.strip())
    if amount is None or amount[2] not in _UNITS:
        return None
    if amount[2] or not unit:
        return float(amount[1]) * _UNITS[amount[2]]
    scale = quantity(unit if unit[:1].isdigit() else f"1{unit}")
    return None if scale is None else float(amount[1]) * scale


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


def left_below(wanted: str, setting: str, default: str, unit: str | None) -> bool:
    """Whether a server's ``setting`` (``pg_settings``: in ``unit``, PostgreSQL's own
    ``default``) is that default and less than the kit's ``wanted``."""
    asked, held = quantity(wanted, unit), quantity(setting, unit)
    return setting == default and asked is not None and held is not None and held < asked


def _postgresql() -> list[Finding]:
    """Each setting of the kit's drop-in that the server still holds at PostgreSQL's own
    default, below the kit's value: the drop-in not installed. The kit's settings are all
    minimums (sizes and intervals), so a larger value passes, and so does a smaller one set on
    purpose (README step 2 lowers ``shared_buffers`` on a small machine)."""
    if not str(current_app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        return []
    try:
        kit = postgresql_settings(kit_drop_in())
    except OSError as error:
        return [Finding("PostgreSQL settings", f"the kit's drop-in cannot be read ({error})")]
    try:
        rows = db.session.execute(
            text(
                "SELECT name, setting, boot_val, unit, current_setting(name) AS shown"
                " FROM pg_settings WHERE name = ANY(:names) ORDER BY name"
            ),
            {"names": list(kit)},
        ).all()
    except SQLAlchemyError as error:
        return [Finding("PostgreSQL settings", f"cannot be read ({type(error).__name__})")]
    finally:
        db.session.rollback()
    found = []
    for name, setting, default, unit, shown in rows:
        if left_below(kit[name], setting, default, unit):
            found.append(
                Finding(
                    f"PostgreSQL {name}",
                    f"{shown}, PostgreSQL's default, below the kit's {kit[name]}: install "
                    "deploy/postgresql/votesvc.conf and restart PostgreSQL (README, step 2)",
                )
            )
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
    storage = _storage()
    server = [] if storage else _postgresql()
    return [*found, *_secrets(), *storage, *server, *_redis(nodes), *_addresses()]
