"""The kiosk's server side: its page and worker, its setup, and the upload of an exported queue.

An export file is written here in Python exactly as docs/kiosk.md says (the kiosk's script
writes the same in the browser; tests/browser/test_kiosk.py uploads one it made).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from api_assertions import assert_error
from flask import Flask
from flask.testing import FlaskClient
from voting_support import (
    add_booth,
    booth_id,
    export_file,
    export_key_bytes,
    issue,
    offline,
    open_election,
    provision,
)

from votesvc.models import Ballot, QuarantinedBallot
from votesvc.models.base import db
from votesvc.services.kiosks import EXPORT_FORMAT

Headers = dict[str, str]


@pytest.fixture
def election_id(imported_election: Callable[..., int]) -> int:
    return open_election(imported_election)


@pytest.fixture
def booth(app: Flask, election_id: int) -> int:
    return booth_id(app, election_id)


@pytest.fixture
def kiosk(app: Flask, election_id: int, booth: int) -> dict[str, Any]:
    return provision(app, election_id, booth)


def _upload(client: FlaskClient, headers: Headers, election_id: int, booth: int, text: str) -> Any:
    return client.post(
        f"/api/v1/admin/elections/{election_id}/booths/{booth}/kiosk-exports",
        data=text.encode(),
        headers={**headers, "Content-Type": "application/json"},
    )


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_provisioning_answer_carries_a_code_for_the_kiosk_page(
    kiosk: dict[str, Any], election_id: int, booth: int
) -> None:
    prefix, election, booth_text, credential = kiosk["provisioning_code"].split(".")
    assert (prefix, int(election), int(booth_text)) == ("vkp1", election_id, booth)
    assert credential == kiosk["credential"]
    assert len(export_key_bytes(kiosk["export_key"])) == 32


def test_setup_needs_the_kiosks_own_credential(
    client: FlaskClient, kiosk: dict[str, Any], election_id: int, booth: int
) -> None:
    path = f"/kiosk/setup?election={election_id}&booth={booth}"
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer vkc_nope"}).status_code == 401
    other = f"/kiosk/setup?election={election_id}&booth={booth + 1}"
    wrong = client.get(other, headers={"Authorization": f"Bearer {kiosk['credential']}"})
    assert wrong.status_code == 403


def test_setup_bundles_the_citizen_ballot_form_in_both_languages(
    client: FlaskClient, kiosk: dict[str, Any], election_id: int, booth: int
) -> None:
    response = client.get(
        f"/kiosk/setup?election={election_id}&booth={booth}",
        headers={"Authorization": f"Bearer {kiosk['credential']}"},
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    setup = response.get_json()
    assert setup["channel_keys"] == kiosk["channel_keys"] and setup["contests"] == kiosk["contests"]
    for lang in ("ko", "en"):
        html = setup["bundle"][lang]["html"]
        assert 'class="ballot" novalidate data-kind="knapsack" data-contest="city"' in html
        assert 'name="choice" value="A1"' in html and 'name="points-N1"' in html
        assert "csrf_token" not in html and "data-leave" not in html
    assert (
        setup["bundle"]["ko"]["texts"]["token_bad_signature"]
        != (setup["bundle"]["en"]["texts"]["token_bad_signature"])
    )
    assert "Step {n} of {total}" in setup["bundle"]["en"]["html"]


def test_the_kiosk_page_and_its_worker(client: FlaskClient) -> None:
    page = client.get("/kiosk/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "camera=(self)" in page.headers["Permissions-Policy"]
    assert "<script>" not in page.get_data(as_text=True)
    worker = client.get("/kiosk/sw.js")
    assert worker.mimetype == "text/javascript" and worker.headers["Cache-Control"] == "no-cache"
    assets = json.loads(worker.get_data(as_text=True).split(" = ", 1)[1].split(";\n", 1)[0])
    assert assets["assets"][0] == "/kiosk/"
    for address in assets["assets"][1:]:
        response = client.get(address)
        assert response.status_code == 200
        response.close()


def test_an_uploaded_export_is_settled_once(
    app: Flask,
    client: FlaskClient,
    admin_headers: Headers,
    election_id: int,
    booth: int,
    kiosk: dict[str, Any],
) -> None:
    first, second = issue(app, election_id, 2, booth=booth)
    text = export_file(kiosk, [offline(first), offline(second)])
    answer = _upload(client, admin_headers, election_id, booth, text)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["counts"] == {"accepted": 2}
    again = _upload(client, admin_headers, election_id, booth, text)
    assert again.get_json()["counts"] == {"already_accepted": 2}
    assert _count(app, Ballot) == 4


def test_an_edited_truncated_or_foreign_export_is_refused_whole(
    app: Flask,
    client: FlaskClient,
    admin_headers: Headers,
    election_id: int,
    booth: int,
    kiosk: dict[str, Any],
) -> None:
    tokens = issue(app, election_id, 3, booth=booth)
    ballots = [offline(token) for token in tokens]
    text = export_file(kiosk, ballots)
    outer = json.loads(text)
    edited = {**outer, "body": outer["body"].replace('"A3"', '"A2"', 1)}
    other_booth = add_booth(app, election_id, "b2")
    stranger = provision(app, election_id, other_booth)
    forged_as_ours = export_file({**stranger, "id": kiosk["id"]}, ballots)
    bad = [
        json.dumps(edited),
        text[: len(text) // 2],
        export_file(kiosk, ballots[:2], count=3),
        text.replace(EXPORT_FORMAT, "votesvc.kiosk-queue.v0"),
        forged_as_ours,
        "",
    ]
    for refused in bad:
        assert_error(
            _upload(client, admin_headers, election_id, booth, refused),
            422,
            "kiosk_export_invalid",
        )
    elsewhere = _upload(client, admin_headers, election_id, other_booth, text)
    assert_error(elsewhere, 422, "kiosk_export_invalid")
    assert _count(app, Ballot) == 0 and _count(app, QuarantinedBallot) == 0


def test_an_export_upload_needs_an_admin_key(
    client: FlaskClient, election_id: int, booth: int, kiosk: dict[str, Any]
) -> None:
    response = _upload(client, {}, election_id, booth, export_file(kiosk, []))
    assert response.status_code == 401
