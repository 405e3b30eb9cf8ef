"""The kit's PostgreSQL drop-in (``deploy/postgresql/votesvc.conf``) names settings the server
has, with values it reads: a misspelt name makes PostgreSQL refuse to start after the README's
restart, on the machine holding every ballot."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from deploy_support import ROOT

from votesvc.services.deployment import POSTGRESQL_DROP_IN, postgresql_settings

pytestmark = pytest.mark.pg

MEMORY_UNITS = {"8kB", "kB", "MB"}
TIME_UNITS = {"ms", "s", "min"}
DURATION = re.compile(r"\d+(ms|s|min|h|d)")
"""A duration as postgresql.conf writes one."""


def test_every_setting_exists_and_its_value_parses(pg_database: str) -> None:
    settings = postgresql_settings(ROOT / POSTGRESQL_DROP_IN)
    assert {
        "shared_buffers",
        "checkpoint_timeout",
        "max_wal_size",
        "min_wal_size",
    } <= settings.keys()
    engine = sa.create_engine(pg_database)
    try:
        with engine.connect() as connection:
            known = {
                row.name: row
                for row in connection.execute(
                    sa.text("SELECT name, unit, context FROM pg_settings WHERE name = ANY(:n)"),
                    {"n": list(settings)},
                )
            }
            assert known.keys() == settings.keys()
            for name, value in settings.items():
                # read from the file at start or reload, not per session
                assert known[name].context in {"postmaster", "sighup"}, name
                if known[name].unit in MEMORY_UNITS:  # pg_size_bytes reads sizes as the server does
                    bytes_ = connection.scalar(sa.text("SELECT pg_size_bytes(:v)"), {"v": value})
                    assert bytes_ >= 64 * 1024 * 1024, (name, value)
                elif known[name].unit in TIME_UNITS:
                    assert DURATION.fullmatch(value), (name, value)
    finally:
        engine.dispose()
