"""``votesvc check-deploy``: one line per thing a production deployment lacks, status 3 when
any, 0 when none; each finding shown by changing one setting of a ready deployment."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import create_pg_schema, make_app
from deploy_support import DEPLOY, ROOT, free_port
from flask import Flask

from votesvc.cli.commands import DEPLOY_INCOMPLETE, main
from votesvc.models.base import db
from votesvc.services import deployment
from votesvc.services.deployment import (
    PLACEHOLDER_SECRET,
    left_below,
    postgresql_settings,
    quantity,
)

pytestmark = pytest.mark.pg  # a ready deployment runs on PostgreSQL

READY: dict[str, Any] = {
    "VOTESVC_ENV": "production",
    "VOTESVC_TOKEN_HASH_KEY": b"h" * 40,
    "VOTESVC_PUBLIC_URL": "https://vote.example.kr",
    "VOTESVC_PROXY_HOPS": 1,
}


def _check(app: Flask, *args: str) -> tuple[int, list[str]]:
    result = app.test_cli_runner().invoke(main, ["check-deploy", *args])
    lines = [line for line in (result.stderr or "").splitlines() if line.startswith("missing:")]
    return result.exit_code, lines


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(READY)


Build = Callable[..., Flask]
KIT_SETTINGS = postgresql_settings(ROOT / deployment.POSTGRESQL_DROP_IN)
CHECKOUT_DROP_IN = deployment.kit_drop_in
"""The real lookup, before the fixture below replaces it."""


def _server_settings(database_url: str) -> tuple[dict[str, float], set[str]]:
    """The test server's values of the kit's settings in bytes or seconds, and the names of
    those it holds at PostgreSQL's own defaults."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT name, setting, unit, setting = boot_val AS at_default"
                    " FROM pg_settings WHERE name = ANY(:names)"
                ),
                {"names": list(KIT_SETTINGS)},
            ).all()
    finally:
        engine.dispose()
    held = {row.name: quantity(row.setting, row.unit) for row in rows}
    assert held.keys() == KIT_SETTINGS.keys() and None not in held.values()
    return held, {row.name for row in rows if row.at_default}  # type: ignore[return-value]


def _kit_file(path: Path, values: dict[str, float]) -> Path:
    """A drop-in asking for ``values`` (bytes as kB, seconds as s)."""
    lines = [
        f"{name} = {int(value // 1024)}kB"
        if name != "checkpoint_timeout"
        else f"{name} = {int(value)}s"
        for name, value in values.items()
    ]
    path.write_text("# a kit's drop-in\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def kit_as_the_test_server_holds(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test server (the machine's, shared) is not set up as the kit says: every test but
    the one about it reads a drop-in that asks for what the server holds."""
    held = _kit_file(tmp_path / "as-held.conf", _server_settings(database_url)[0])
    monkeypatch.setattr(deployment, "kit_drop_in", lambda: held)


@pytest.fixture
def build(tmp_path: Path) -> Iterator[Build]:
    """Apps on a given database with given settings, their connections closed afterwards."""
    made: list[Flask] = []

    def make(database_url: str, **settings: Any) -> Flask:
        made.append(make_app(database_url, tmp_path / f"instance-{len(made)}", **settings))
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def test_a_ready_deployment_has_nothing_missing(app: Flask) -> None:
    result = app.test_cli_runner().invoke(main, ["check-deploy"])
    assert result.exit_code == 0, result.output
    assert "ready: nothing missing" in result.stdout


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"VOTESVC_ENV": "development"}, "missing: VOTESVC_ENV: not production"),
        ({"SECRET_KEY": PLACEHOLDER_SECRET}, "missing: VOTESVC_SECRET_KEY: still the template's"),
        ({"SECRET_KEY": "short"}, "missing: VOTESVC_SECRET_KEY: shorter than 32 bytes"),
        ({"VOTESVC_TOKEN_HASH_KEY": b"x" * 12}, "missing: VOTESVC_TOKEN_HASH_KEY: shorter"),
        ({"VOTESVC_PUBLIC_URL": ""}, "missing: VOTESVC_PUBLIC_URL: unset"),
        ({"VOTESVC_PUBLIC_URL": "http://vote.lan"}, "missing: VOTESVC_PUBLIC_URL: http://vote"),
        ({"VOTESVC_PROXY_HOPS": 0}, "missing: VOTESVC_PROXY_HOPS: 0 behind the HTTPS proxy"),
    ],
)
def test_each_setting_a_deployment_lacks_is_named(
    database_url: str, build: Build, change: dict[str, Any], expected: str
) -> None:
    app = build(database_url, **{**READY, **change})
    status, lines = _check(app)
    assert status == DEPLOY_INCOMPLETE
    assert len(lines) == 1 and lines[0].startswith(expected), lines


def test_a_server_short_of_the_kits_settings_is_named(
    app: Flask, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A drop-in asking for twice what the server holds of two settings: each of them the
    server holds at PostgreSQL's default is named, with the server's value."""
    held, at_default = _server_settings(database_url)
    doubled = {"shared_buffers", "checkpoint_timeout"}
    asked = {name: 2 * value if name in doubled else value for name, value in held.items()}
    kit = _kit_file(tmp_path / "k.conf", asked)
    monkeypatch.setattr(deployment, "kit_drop_in", lambda: kit)
    status, lines = _check(app)
    named = [line.split(":")[1].strip() for line in lines]
    assert named == [f"PostgreSQL {name}" for name in sorted(doubled & at_default)]
    assert status == (DEPLOY_INCOMPLETE if named else 0)
    assert all("PostgreSQL's default, below the kit's" in line for line in lines)
    assert all("README, step 2" in line for line in lines)


@pytest.mark.parametrize(
    ("wanted", "setting", "default", "unit", "short"),
    [
        ("1GB", "16384", "16384", "8kB", True),  # Debian's 128MB, never changed
        ("1GB", "98304", "16384", "8kB", False),  # 768MB: lowered on purpose (README step 2)
        ("1GB", "262144", "16384", "8kB", False),  # 2GB: more than the kit's
        ("1GB", "131072", "131072", "8kB", False),  # the kit's own value
        ("131072", "16384", "16384", "8kB", True),  # a bare number is in the setting's unit
        ("15min", "300", "300", "s", True),
        ("900", "300", "300", "s", True),
        ("2GB", "80", "80", "MB", True),
        ("on", "off", "off", None, False),  # not a quantity: not compared
    ],
)
def test_a_setting_is_named_only_when_left_at_a_default_below_the_kits(
    wanted: str, setting: str, default: str, unit: str | None, short: bool
) -> None:
    assert left_below(wanted, setting, default, unit) is short


def test_an_unreadable_drop_in_is_named(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deployment, "kit_drop_in", lambda: tmp_path / "gone.conf")
    status, lines = _check(app)
    assert status == DEPLOY_INCOMPLETE
    assert len(lines) == 1
    assert lines[0].startswith("missing: PostgreSQL settings: the kit's drop-in cannot be read")


def test_the_kits_own_drop_in_asks_for_quantities_check_deploy_reads(app: Flask) -> None:
    """The real file, found beside the app's migrations: every value is a size or a duration,
    so none is skipped unread."""
    with app.app_context():
        assert CHECKOUT_DROP_IN() == ROOT / deployment.POSTGRESQL_DROP_IN
    assert KIT_SETTINGS.keys() >= {"shared_buffers", "checkpoint_timeout", "min_wal_size"}
    assert all(quantity(value) for value in KIT_SETTINGS.values())
    assert quantity("1GB") == 2**30 and quantity("15min") == 900
    assert quantity("131072", "8kB") == 2**30 and quantity("1GB", "8kB") == 2**30
    assert quantity("on") is None and quantity("-1", "8kB") is None


def test_a_hash_key_left_to_the_secret_key_is_named(database_url: str, build: Build) -> None:
    settings = {k: v for k, v in READY.items() if k != "VOTESVC_TOKEN_HASH_KEY"}
    status, lines = _check(build(database_url, **settings))
    assert status == DEPLOY_INCOMPLETE
    assert lines == [
        "missing: VOTESVC_TOKEN_HASH_KEY: the secret key's (unset, it defaults to it): set it "
        "apart, so the secret key can be rotated without losing every stored token and receipt"
    ]


def test_sqlite_is_named(sqlite_database: str, build: Build) -> None:
    status, lines = _check(build(sqlite_database, **READY))
    assert status == DEPLOY_INCOMPLETE
    assert lines == ["missing: VOTESVC_DATABASE_URL: SQLite: production runs on PostgreSQL"]


def test_an_unreachable_database_is_named(build: Build) -> None:
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/votesvc"
    status, lines = _check(build(nowhere, **READY))
    assert status == DEPLOY_INCOMPLETE
    assert lines == [
        "missing: VOTESVC_DATABASE_URL: the database is unreachable (OperationalError)"
    ]


def test_a_database_behind_the_migrations_is_named(build: Build) -> None:
    url, drop = create_pg_schema()  # empty: never migrated
    try:
        status, lines = _check(build(url, **READY))
    finally:
        drop()
    assert status == DEPLOY_INCOMPLETE
    assert len(lines) == 1
    assert lines[0].startswith("missing: migrations: database at no revision, code at [")
    assert lines[0].endswith("run `votesvc db upgrade`")


def test_several_nodes_without_redis_are_named(app: Flask) -> None:
    assert _check(app)[0] == 0
    status, lines = _check(app, "--nodes", "2")
    assert status == DEPLOY_INCOMPLETE
    assert len(lines) == 1 and lines[0].startswith("missing: VOTESVC_REDIS_URL: unset with 1 ")


@pytest.mark.parametrize("reachable", [True, False])
def test_redis_is_checked_when_configured(database_url: str, build: Build, reachable: bool) -> None:
    redis = pytest.importorskip("redis")
    port = 6379 if reachable else free_port()
    url = f"redis://127.0.0.1:{port}/0"
    if reachable:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError:
            pytest.skip("no Redis on 127.0.0.1:6379")
    settings = {**READY, "VOTESVC_REDIS_URL": url, "RATELIMIT_STORAGE_URI": url}
    status, lines = _check(build(database_url, **settings), "--nodes", "3")
    if reachable:
        assert (status, lines) == (0, [])
    else:
        assert status == DEPLOY_INCOMPLETE
        assert lines == ["missing: VOTESVC_REDIS_URL: Redis is unreachable (ConnectionError)"]


def test_the_template_left_as_it_is_names_each_secret_once(database_url: str, build: Build) -> None:
    placeholders = {
        "SECRET_KEY": PLACEHOLDER_SECRET,
        "VOTESVC_TOKEN_HASH_KEY": PLACEHOLDER_SECRET.encode(),
    }
    status, lines = _check(build(database_url, **{**READY, **placeholders}))
    assert status == DEPLOY_INCOMPLETE
    assert [line.split(":")[1].strip() for line in lines] == [
        "VOTESVC_SECRET_KEY",
        "VOTESVC_TOKEN_HASH_KEY",
    ]


def test_the_env_template_holds_the_placeholder_check_deploy_names() -> None:
    template = (DEPLOY / "votesvc.env.example").read_text(encoding="utf-8")
    for name in ("VOTESVC_SECRET_KEY", "VOTESVC_TOKEN_HASH_KEY"):
        assert f"{name}={PLACEHOLDER_SECRET}\n" in template


def test_several_workers_without_redis_are_named(database_url: str, build: Build) -> None:
    """Production refuses to start so (config.py); a development setup headed there is told."""
    status, lines = _check(build(database_url, **{**READY, "VOTESVC_ENV": "development"}))
    assert status == DEPLOY_INCOMPLETE
    with_workers = build(
        database_url, **{**READY, "VOTESVC_ENV": "development", "WEB_CONCURRENCY": 2}
    )
    assert _check(with_workers)[1] == [
        *lines,
        "missing: VOTESVC_REDIS_URL: unset with 2 worker(s) on 1 node(s): each process would keep "
        "its own rate limits; set it to the one Redis every node shares",
    ]
