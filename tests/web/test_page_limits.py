"""Code entry on the pages is rate limited as the API's is, and a limited voter gets a page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.voting_support import window
from tests.web.page_support import PAGE_CONTESTS, Browser, heading, text_of


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"VOTESVC_CODE_LIMIT": "2/minute"}


def test_too_many_codes_get_a_page_saying_to_wait(
    client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election(contests=PAGE_CONTESTS, phase="voting", **window())
    browser = Browser(client, "ko")
    answers = [
        browser.post(f"/elections/{election_id}/vote", {"code": "0000-0000-0000-0000-1"})
        for _ in range(3)
    ]
    assert [answer.status_code for answer in answers] == [422, 422, 429]
    limited = answers[-1]
    assert limited.mimetype == "text/html"
    assert int(limited.headers["Retry-After"]) > 0
    assert "시도가 너무 많습니다" in heading(limited)
    assert "1분쯤 기다린 뒤" in text_of(limited)
    # reading the page is never limited
    assert browser.get(f"/elections/{election_id}/vote").status_code == 200
