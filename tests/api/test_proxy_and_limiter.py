"""Behind a proxy the rate limits count per voter (``VOTESVC_PROXY_HOPS``), and every app of a
process keeps its own limiter settings and counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from api_assertions import assert_rate_limited
from flask import Flask, request
from voting_support import GOOD, issue, open_election

from votesvc import create_app
from votesvc.app import settings_module
from votesvc.extensions import SweptMemoryStorage, limiter

config = settings_module()


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"VOTESVC_CAST_LIMIT": "1/minute", "VOTESVC_PROXY_HOPS": 1}


def _cast(app: Flask, election_id: int, token: str, forwarded: str) -> Any:
    return app.test_client().post(
        f"/api/v1/elections/{election_id}/ballots",
        json={"token": token, "selections": GOOD},
        headers={"X-Forwarded-For": forwarded},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the proxy, the same for every voter
    )


def test_behind_one_proxy_the_limits_count_per_forwarded_client(
    app: Flask, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(imported_election)
    first, second, third = issue(app, election_id, 3)
    assert _cast(app, election_id, first.signed, "203.0.113.7").status_code == 201
    assert _cast(app, election_id, second.signed, "203.0.113.8").status_code == 201
    # a client's own X-Forwarded-For entry is not trusted: the proxy's (last) one counts
    assert_rate_limited(_cast(app, election_id, third.signed, "198.51.100.1, 203.0.113.7"))


def test_without_hops_forwarded_addresses_are_ignored(
    app: Flask, imported_election: Callable[..., int], tmp_path: Path, database_url: str
) -> None:
    direct = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "direct"),
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "VOTESVC_CAST_LIMIT": "1/minute",
        }
    )
    election_id = open_election(imported_election)
    first, second = issue(app, election_id, 2)
    assert _cast(direct, election_id, first.signed, "203.0.113.7").status_code == 201
    assert_rate_limited(_cast(direct, election_id, second.signed, "203.0.113.8"))


@pytest.mark.parametrize(("raw", "hops"), [(None, 0), ("2", 2)])
def test_proxy_hops_from_the_environment(tmp_path: Path, raw: str | None, hops: int) -> None:
    environ = {"VOTESVC_SECRET_KEY": "s" * 40}
    if raw is not None:
        environ["VOTESVC_PROXY_HOPS"] = raw
    assert config.load(tmp_path, environ, {})["VOTESVC_PROXY_HOPS"] == hops


@pytest.mark.parametrize("raw", ["-1", "6", "one"])
def test_proxy_hops_out_of_range_are_refused(tmp_path: Path, raw: str) -> None:
    with pytest.raises(config.ConfigError, match="VOTESVC_PROXY_HOPS"):
        config.load(tmp_path, {"VOTESVC_SECRET_KEY": "s" * 40, "VOTESVC_PROXY_HOPS": raw}, {})


def test_two_apps_in_one_process_keep_their_own_limiter(
    app: Flask, imported_election: Callable[..., int], tmp_path: Path
) -> None:
    """An app created later (limits off, or on with a fresh memory storage) neither switches
    off nor empties the limits of an app already serving: each keeps its own settings."""
    election_id = open_election(imported_election)
    first, second = issue(app, election_id, 2)
    assert _cast(app, election_id, first.signed, "203.0.113.7").status_code == 201
    base = {"INSTANCE_PATH": str(tmp_path / "later"), "SECRET_KEY": "s" * 40}
    off = create_app({**base, "RATELIMIT_ENABLED": False})
    on = create_app(base)
    assert_rate_limited(_cast(app, election_id, second.signed, "203.0.113.7"))
    with off.app_context():
        assert not limiter.enabled
    with app.app_context():
        assert limiter.enabled
        kept = limiter.storage
    with on.app_context():
        assert limiter.enabled
        assert isinstance(limiter.storage, SweptMemoryStorage)
        assert limiter.storage is not kept


@pytest.mark.parametrize("hops", [1, 2])
def test_the_scheme_is_the_nearest_proxys_whatever_the_hop_count(
    app: Flask, tmp_path: Path, database_url: str, hops: int
) -> None:
    """nginx *sets* X-Forwarded-Proto (one value) while X-Forwarded-For grows a hop at a
    time: at two hops the scheme must still be read (it was ignored, so pages behind TLS
    thought themselves plain HTTP)."""
    proxied = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / f"hops{hops}"),
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "VOTESVC_PROXY_HOPS": hops,
        }
    )
    seen: dict[str, Any] = {}

    @proxied.get("/scheme-probe")
    def probe() -> str:
        seen.update(scheme=request.scheme, secure=request.is_secure)
        return ""

    forwarded = ", ".join(["203.0.113.7", "10.0.0.2"][:hops])
    proxied.test_client().get(
        "/scheme-probe", headers={"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "https"}
    )
    assert seen == {"scheme": "https", "secure": True}
