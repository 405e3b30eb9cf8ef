"""The public results pages through the test client: what they show in both languages, that
they show it only after publication, and that every figure, digest and the verify line are the
published document's (the API's bytes), never a second computation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.results_support import close_count_publish, sync_booth, vote
from tests.web.page_support import Browser, text_of


@pytest.fixture
def published(
    app: Flask,
    client: FlaskClient,
    imported_election: Callable[..., int],
    admin_headers: dict[str, str],
) -> int:
    """An election with an allocation, a points and a ranked contest, voted online and at a
    booth, counted and published."""
    voted = vote(app, client, imported_election)
    sync_booth(client, voted)
    close_count_publish(client, voted.election_id, admin_headers)
    return voted.election_id


def api_results(client: FlaskClient, election_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/elections/{election_id}/results")
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json()
    return document


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_smoke(client: FlaskClient, published: int, lang: str) -> None:
    browser = Browser(client, lang)
    for path in ("", "/city", "/north", "/rank"):
        page = browser.get(f"/elections/{published}/results{path}")
        assert page.status_code == 200, text_of(page)
        Path(f"/tmp/rs/shots/page{path.replace('/', '-')}-{lang}.html").write_bytes(page.data)
