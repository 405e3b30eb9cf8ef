"""Readiness: can this node serve voters now? The checks behind ``/readyz``.

A load balancer sends traffic only to ready nodes, so each check is one that would otherwise
fail voters' requests: the database answers, Redis answers when configured (shared rate limits
and the count queue live there), and the database schema is the one this code was written for
(a node started before ``votesvc db upgrade`` ran, or a restored dump of an older release,
would fail on the first cast that touches a new column).
"""

from __future__ import annotations

import functools
import logging

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from votesvc.models.base import db
from votesvc.services.errors import Unavailable

log = logging.getLogger("votesvc.health")

OK = "ok"
NOT_CONFIGURED = "not configured"
REDIS_TIMEOUT_SECONDS = 2.0
"""A probe answers within its own timeout (Kubernetes' default is 1 s, nginx's checks a few):
a Redis that does not answer in this long is down for our purposes."""


@functools.cache
def migration_heads(directory: str) -> frozenset[str]:
    """The head revisions of the migrations in ``directory``: read once per process, since
    the code and its migrations are deployed together and do not change under a running one."""
    return frozenset(ScriptDirectory(directory).get_heads())


def _stored_revisions() -> set[str]:
    """The revisions ``alembic_version`` holds; none when the table is missing (a database
    never migrated, or restored from a dump without it)."""
    try:
        return set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError:
        return set()


def database_state() -> tuple[str, str]:
    """The database's answer and its schema's state, as (database, migrations) check results."""
    try:
        db.session.execute(text("SELECT 1"))
        stored = _stored_revisions()
    except SQLAlchemyError as error:
        log.warning("readiness: the database check failed (%s)", type(error).__name__)
        return f"unreachable ({type(error).__name__})", "unknown"
    finally:
        db.session.rollback()  # a probe leaves no transaction open
    heads = migration_heads(current_app.extensions["migrate"].directory)
    if stored == heads:
        return OK, OK
    return OK, f"database at {sorted(stored) or 'no revision'}, code at {sorted(heads)}"


def redis_state() -> str:
    """Redis' answer to ``PING`` when ``VOTESVC_REDIS_URL`` is set, else :data:`NOT_CONFIGURED`."""
    url = current_app.config.get("VOTESVC_REDIS_URL")
    if not url:
        return NOT_CONFIGURED
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    except RedisError as error:
        log.warning("readiness: the Redis check failed (%s)", type(error).__name__)
        return f"unreachable ({type(error).__name__})"
    finally:
        client.close()
    return OK


def readiness() -> dict[str, str]:
    """Every check's result; raises :class:`Unavailable` naming the failed ones in ``fields``
    (the API answers 503 with them)."""
    database, migrations = database_state()
    checks = {"database": database, "redis": redis_state(), "migrations": migrations}
    failed = {
        name: [result] for name, result in checks.items() if result not in (OK, NOT_CONFIGURED)
    }
    if failed:
        raise Unavailable("not_ready", fields=failed)
    return checks
