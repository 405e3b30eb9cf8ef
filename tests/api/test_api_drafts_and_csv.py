"""Deleting contests, agendas and booths in a draft; correcting words while voting; agendas
from a CSV file (with a dry run); the phase refusal that the console shows before a click."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.voting_support import CONTESTS, window
from votesvc.models import Phase, TokenBatch, TokenBatchContest
from votesvc.models.base import db
from votesvc.services import batches, elections

Headers = dict[str, str]


def _first(client: FlaskClient, headers: Headers, election_id: int) -> dict[str, Any]:
    return client.get(f"/api/v1/admin/elections/{election_id}", headers=headers).get_json()


def _ids(client: FlaskClient, headers: Headers, election_id: int) -> tuple[int, int, int]:
    contests = client.get(f"/api/v1/admin/elections/{election_id}/contests", headers=headers)
    contest_id = contests.get_json()[0]["id"]
    agendas = client.get(f"/api/v1/admin/contests/{contest_id}/agendas", headers=headers)
    booths = client.get(f"/api/v1/admin/elections/{election_id}/booths", headers=headers)
    return contest_id, agendas.get_json()[0]["id"], booths.get_json()[0]["id"]


def test_a_draft_loses_an_agenda_a_booth_and_a_contest(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    contest_id, agenda_id, booth_id = _ids(client, admin_headers, election_id)
    assert (
        client.delete(f"/api/v1/admin/agendas/{agenda_id}", headers=admin_headers).status_code
        == 204
    )
    assert (
        client.get(f"/api/v1/admin/agendas/{agenda_id}", headers=admin_headers).status_code == 404
    )
    assert (
        client.delete(f"/api/v1/admin/booths/{booth_id}", headers=admin_headers).status_code == 204
    )
    assert (
        client.delete(f"/api/v1/admin/contests/{contest_id}", headers=admin_headers).status_code
        == 204
    )
    detail = _first(client, admin_headers, election_id)
    assert detail["contests"] == [] and detail["booths"] == []
    again = client.delete(f"/api/v1/admin/contests/{contest_id}", headers=admin_headers)
    assert again.status_code == 404


def test_deleting_is_refused_once_voting_has_started(
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    election_id = imported_election(phase="voting", **window())
    contest_id, agenda_id, booth_id = _ids(client, admin_headers, election_id)
    before = row_counts()
    for path in (f"contests/{contest_id}", f"agendas/{agenda_id}", f"booths/{booth_id}"):
        refused = client.delete(f"/api/v1/admin/{path}", headers=admin_headers)
        assert refused.status_code == 409, path
        assert refused.get_json()["error"]["code"] == "election_frozen"
    assert row_counts() == before


def test_a_scoped_key_deletes_nothing_of_another_election(
    client: FlaskClient,
    make_key: Callable[[int | None], Headers],
    imported_election: Callable[..., int],
) -> None:
    mine = imported_election()
    other = imported_election(slug="other-2025")
    contest_id, _, _ = _ids(client, make_key(None), other)
    refused = client.delete(f"/api/v1/admin/contests/{contest_id}", headers=make_key(mine))
    assert refused.status_code == 403


def test_words_stay_editable_while_voting_and_nothing_else(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election(phase="voting", **window())
    contest_id, agenda_id, _ = _ids(client, admin_headers, election_id)
    words = {
        "title_ko": "고친 제목",
        "title_en": "Corrected",
        "description_ko": "설명",
        "description_en": "Text",
    }
    for path in (f"contests/{contest_id}", f"agendas/{agenda_id}"):
        answer = client.patch(f"/api/v1/admin/{path}", json=words, headers=admin_headers)
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json()["title_en"] == "Corrected"
    frozen = client.patch(
        f"/api/v1/admin/contests/{contest_id}",
        json={"title_en": "X", "budget": 5},
        headers=admin_headers,
    )
    assert frozen.status_code == 409
    assert frozen.get_json()["error"]["fields"] == {"budget": ["Frozen once voting starts."]}
    cost = client.patch(
        f"/api/v1/admin/agendas/{agenda_id}", json={"cost": 1}, headers=admin_headers
    )
    assert cost.status_code == 409
    public = client.get(f"/api/v1/elections/{election_id}").get_json()
    assert public["contests"][0]["title_en"] == "Corrected"


CSV_GOOD = (
    "code,title_ko,title_en,cost,organisations\n"
    "N1,새 놀이터,New playground,120000,시민단체 가;주민자치회 나\n"
    "N2,벤치,,3000,\n"
)


def _csv(client: FlaskClient, headers: Headers, contest_id: int, text: str, **query: str) -> Any:
    return client.post(
        f"/api/v1/admin/contests/{contest_id}/agendas/import-csv",
        query_string=query,
        data=text.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )


def test_a_csv_dry_run_stores_nothing_and_the_import_stores_every_row(
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    contest_id, _, _ = _ids(client, admin_headers, imported_election())
    before = row_counts()
    preview = _csv(client, admin_headers, contest_id, CSV_GOOD, dry_run="true")
    assert preview.status_code == 200
    body = preview.get_json()
    assert body["stored"] is False
    assert [(a["line"], a["code"], a["cost"]) for a in body["agendas"]] == [
        (2, "N1", 120000),
        (3, "N2", 3000),
    ]
    assert body["agendas"][0]["organisations"] == ["시민단체 가", "주민자치회 나"]
    assert row_counts() == before
    stored = _csv(client, admin_headers, contest_id, CSV_GOOD)
    assert stored.status_code == 201 and stored.get_json()["stored"] is True
    codes = [
        a["code"]
        for a in client.get(
            f"/api/v1/admin/contests/{contest_id}/agendas", headers=admin_headers
        ).get_json()
    ]
    assert codes == ["A1", "A2", "A3", "N1", "N2"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("title_ko,price\n가,1\n", "header"),
        ("title_ko\n가\n", "header"),
        ("code,title_ko,cost\n", "rows"),
        ("code,title_ko,cost\nA1,중복,5\nB2,,6\nB3,셋,-1\nB4,넷,많이\nB5,다섯,5,extra\n", "lines"),
    ],
)
def test_a_refused_csv_names_every_problem_and_changes_nothing(
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
    text: str,
    where: str,
) -> None:
    contest_id, _, _ = _ids(client, admin_headers, imported_election())
    before = row_counts()
    refused = _csv(client, admin_headers, contest_id, text)
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "invalid_agenda_csv"
    if where == "lines":
        assert sorted(error["fields"]) == ["line 2", "line 3", "line 4", "line 5", "line 6"]
        assert error["fields"]["line 2"] == {"code": ["Already used."]}
        assert "cost" in error["fields"]["line 4"] and "cost" in error["fields"]["line 5"]
        assert "_extra" in error["fields"]["line 6"]
    else:
        assert where in error["fields"]
    assert row_counts() == before


def test_a_refused_csv_row_is_named_by_the_line_it_starts_on(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    """A quoted cell over two lines (2-3), then a blank line (4) before the next row (5): csv's
    own count named the first row by line 3, its end, not where a spreadsheet shows it."""
    contest_id, _, _ = _ids(client, admin_headers, imported_election())
    text = 'code,title_ko,description_ko,cost\nA1,중복,"두\n줄",5\n\nB4,넷,,많이\n'
    refused = _csv(client, admin_headers, contest_id, text)
    assert refused.status_code == 422
    fields = refused.get_json()["error"]["fields"]
    assert sorted(fields) == ["line 2", "line 5"]
    assert fields["line 2"] == {"code": ["Already used."]} and "cost" in fields["line 5"]


def test_a_csv_that_is_not_utf8_is_refused(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    contest_id, _, _ = _ids(client, admin_headers, imported_election())
    refused = client.post(
        f"/api/v1/admin/contests/{contest_id}/agendas/import-csv",
        data="cost\n가\n".encode("euc-kr"),
        headers={**admin_headers, "Content-Type": "text/csv"},
    )
    assert refused.status_code == 422 and "file" in refused.get_json()["error"]["fields"]


def test_a_csv_into_a_voting_election_is_frozen(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    contest_id, _, _ = _ids(client, admin_headers, imported_election(phase="voting", **window()))
    refused = _csv(client, admin_headers, contest_id, CSV_GOOD)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "election_frozen"


def test_the_phase_refusal_is_the_one_the_move_answers(
    app: Flask, client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    client.post(
        f"/api/v1/admin/elections/{election_id}/contests",
        json={
            "code": "empty",
            "title_ko": "빈",
            "budget": 5,
            "ballot_type": "approval",
            "rule": "greedy",
        },
        headers=admin_headers,
    )
    with app.app_context():
        shown = elections.transition_refusal(elections.get_election(election_id), Phase.VOTING)
        assert shown is not None and shown.code == "election_not_ready"
        skipped = elections.transition_refusal(elections.get_election(election_id), Phase.CLOSED)
        assert skipped is not None and skipped.code == "illegal_phase_transition"
    moved = client.post(
        f"/api/v1/admin/elections/{election_id}/phase",
        json={"phase": "voting"},
        headers=admin_headers,
    )
    assert moved.status_code == 409
    assert moved.get_json()["error"]["code"] == shown.code
    assert moved.get_json()["error"]["fields"] == {
        "contests": {"empty": ["A contest needs at least one agenda."]}
    }


def test_a_deleted_contest_leaves_its_batches_restrictions(
    app: Flask, client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    """docs/voting.md: a contest deleted in a draft disappears from its batches' restrictions,
    and a batch left with none allows no contest (never every contest)."""
    election_id = imported_election(contests=CONTESTS)
    with app.app_context():
        batch_id = batches.issue_batch(election_id, {"size": 2, "contests": ["city"]}).id
    contest_id = next(
        c["id"]
        for c in client.get(
            f"/api/v1/admin/elections/{election_id}/contests", headers=admin_headers
        ).get_json()
        if c["code"] == "city"
    )
    deleted = client.delete(f"/api/v1/admin/contests/{contest_id}", headers=admin_headers)
    assert deleted.status_code == 204
    with app.app_context():
        left = db.session.scalars(
            sa.select(TokenBatchContest.contest_id).where(TokenBatchContest.batch_id == batch_id)
        ).all()
        assert left == []
        assert db.session.get(TokenBatch, batch_id).restricted is True


@pytest.mark.parametrize(
    "text",
    [
        "code,title_ko,cost\nN1,가,²\n",  # a digit to str.isdigit, not to int()
        "code,title_ko,cost\nN1," + "가" * 140_000 + ",5\n",  # over the csv module's cell limit
        'code,title_ko,cost\nN1,"unclosed,5\n',
    ],
)
def test_a_csv_the_csv_module_or_int_refuses_is_a_422(
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
    text: str,
) -> None:
    contest_id, _, _ = _ids(client, admin_headers, imported_election())
    before = row_counts()
    refused = _csv(client, admin_headers, contest_id, text)
    assert refused.status_code == 422, refused.get_data(as_text=True)[:300]
    assert refused.get_json()["error"]["code"] in ("invalid_agenda_csv", "validation_failed")
    assert row_counts() == before


def test_a_csv_with_cr_only_line_ends_is_read(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    contest_id, _, _ = _ids(client, admin_headers, imported_election())
    preview = _csv(client, admin_headers, contest_id, "code,title_ko,cost\rN1,가,5\rN2,나,6\r")
    assert preview.status_code == 201, preview.get_json()
    assert [a["code"] for a in preview.get_json()["agendas"]] == ["N1", "N2"]
