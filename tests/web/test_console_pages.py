"""The console's election-building pages through the Flask client: each form with good input,
each refusal at its field in the reader's language, CSRF, and a scoped key's reach."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.voting_support import window
from tests.web.console_support import RUNNING_MODULES, Console, new_key
from tests.web.page_support import heading, text_of
from votesvc.models import Agenda, AuditEntry, Booth, Contest, Election
from votesvc.models.base import db
from votesvc.web.console import deleting


def _one(app: Flask, model: Any, **where: Any) -> Any:
    with app.app_context():
        query = sa.select(model).filter_by(**where)
        found = db.session.scalars(query).first()
        if found is not None:
            db.session.expunge(found)
        return found


def _ids(app: Flask, election_id: int) -> tuple[int, int, int]:
    with app.app_context():
        contest = db.session.scalars(sa.select(Contest).filter_by(election_id=election_id)).first()
        booth = db.session.scalars(sa.select(Booth).filter_by(election_id=election_id)).first()
        return contest.id, contest.agendas[0].id, booth.id


ELECTION_FORM = {
    "name_ko": "새 선거",
    "name_en": "New one",
    "description_ko": "",
    "description_en": "",
    "starts_at": "2030-05-01T09:00",
    "ends_at": "2030-05-31T18:00",
    "slug": "new-2030",
    "timezone": "Asia/Seoul",
}


def test_an_election_is_created_from_the_form(app: Flask, console: Console) -> None:
    assert console.get("/admin/elections/new").status_code == 200
    created = console.post("/admin/elections/new", ELECTION_FORM)
    assert created.status_code == 303
    election = _one(app, Election, slug="new-2030")
    assert created.headers["Location"] == f"/admin/elections/{election.id}"
    assert election.name_en == "New one" and election.phase == "draft"
    assert election.starts_at.isoformat() == "2030-05-01T00:00:00+00:00"  # 09:00 in Seoul


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"slug": "Bad Slug"}, "slug", "소문자"),
        ({"ends_at": "2030-04-01T09:00"}, "ends_at", "starts_at"),
        ({"starts_at": "soon"}, "starts_at", ""),
        ({"name_ko": "", "name_en": ""}, "name_ko", "한국어나 영어"),
        ({"timezone": "Mars/Base"}, "timezone", "시간대"),
    ],
)
def test_a_refused_election_form_names_its_field(
    app: Flask,
    console: Console,
    row_counts: Callable[[], dict[str, int]],
    change: dict[str, str],
    field: str,
    words: str,
) -> None:
    before = row_counts()
    refused = console.post("/admin/elections/new", {**ELECTION_FORM, **change})
    assert refused.status_code == 422 and refused.mimetype == "text/html"
    html = refused.get_data(as_text=True)
    assert f'id="e-{field}"' in html and f'aria-describedby="e-{field}"' in html
    assert words in text_of(refused)
    assert 'value="새 선거"' in html or field == "name_ko"  # what was typed stays
    assert row_counts() == before


def test_a_taken_address_name_is_refused_at_its_field(
    console: Console, imported_election: Callable[..., int]
) -> None:
    imported_election()
    refused = console.post("/admin/elections/new", {**ELECTION_FORM, "slug": "test-2025"})
    assert refused.status_code == 409 and 'id="e-slug"' in refused.get_data(as_text=True)


def test_a_scoped_key_neither_creates_nor_imports(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    browser = Console(client, "en")
    browser.sign_in(new_key(app, imported_election()))
    assert "New election" not in text_of(browser.get("/admin/"))
    assert browser.get("/admin/elections/new").status_code == 403
    assert browser.post("/admin/elections/new", ELECTION_FORM).status_code == 403
    assert browser.post("/admin/elections/import", {"document": "{}"}).status_code == 403


def test_an_election_file_is_imported_uploaded_or_pasted(
    app: Flask, console: Console, election_document: dict[str, Any]
) -> None:
    assert console.get("/admin/elections/import").status_code == 200
    pasted = console.post("/admin/elections/import", {"document": json.dumps(election_document)})
    assert pasted.status_code == 303
    election_document["slug"] = "uploaded"
    upload = (io.BytesIO(json.dumps(election_document).encode()), "election.json")
    uploaded = console.post(
        "/admin/elections/import", {"file": upload}, content_type="multipart/form-data"
    )
    assert uploaded.status_code == 303
    assert _one(app, Election, slug="uploaded") is not None


@pytest.mark.parametrize(
    ("document", "status", "words"),
    [("{not json", 422, "JSON"), ('{"slug": "x"}', 422, "starts_at"), ("[]", 422, "")],
)
def test_a_refused_election_file_stores_nothing(
    english: Console,
    row_counts: Callable[[], dict[str, int]],
    document: str,
    status: int,
    words: str,
) -> None:
    before = row_counts()
    refused = english.post("/admin/elections/import", {"document": document})
    assert refused.status_code == status and words in text_of(refused)
    assert 'role="alert"' in refused.get_data(as_text=True)
    assert row_counts() == before


def test_the_election_is_edited_and_only_its_words_once_voting(
    app: Flask, console: Console, imported_election: Callable[..., int]
) -> None:
    draft = imported_election()
    form = console.get(f"/admin/elections/{draft}/edit").get_data(as_text=True)
    assert 'name="starts_at" value="2025-05-01T09:00"' in form
    saved = console.post(
        f"/admin/elections/{draft}/edit", {"name_en": "Renamed", "slug": "renamed"}
    )
    assert saved.status_code == 303
    assert _one(app, Election, id=draft).slug == "renamed"
    voting = imported_election(slug="voting-one", phase="voting", **window())
    form = console.get(f"/admin/elections/{voting}/edit").get_data(as_text=True)
    assert 'name="name_en"' in form and 'name="slug"' not in form
    assert console.post(f"/admin/elections/{voting}/edit", {"name_en": "Later"}).status_code == 303
    frozen = console.post(f"/admin/elections/{voting}/edit", {"name_en": "X", "slug": "y"})
    assert _one(app, Election, id=voting).slug == "voting-one"
    assert frozen.status_code == 303  # the slug is not a field of this form: never read


def test_contests_page_lists_contests_and_agendas(
    console: Console, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    page = console.get(f"/admin/elections/{election_id}/contests")
    assert page.status_code == 200
    assert heading(page) == "공모 분야와 안건"
    assert "가로등" in text_of(page) and "Bike lanes" in text_of(page)


def test_a_contest_and_an_agenda_are_edited_with_refusals_at_their_fields(
    app: Flask, console: Console, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    contest_id, agenda_id, _ = _ids(app, election_id)
    assert console.get(f"/admin/contests/{contest_id}/edit").status_code == 200
    ok = console.post(
        f"/admin/contests/{contest_id}/edit", {"title_en": "City", "budget": "2,000,000"}
    )
    assert ok.status_code == 303 and _one(app, Contest, id=contest_id).budget == 2_000_000
    refused = console.post(f"/admin/contests/{contest_id}/edit", {"budget": "lots"})
    assert refused.status_code == 422 and 'id="e-budget"' in refused.get_data(as_text=True)
    refused = console.post(f"/admin/agendas/{agenda_id}/edit", {"code": "A2"})
    assert refused.status_code == 409 and 'id="e-code"' in refused.get_data(as_text=True)
    assert console.post(f"/admin/agendas/{agenda_id}/edit", {"cost": "5"}).status_code == 303
    assert _one(app, Agenda, id=agenda_id).cost == 5


def test_an_optional_number_left_empty_lifts_its_limit(
    app: Flask, console: Console, imported_election: Callable[..., int]
) -> None:
    contest_id, _, _ = _ids(app, imported_election())
    assert _one(app, Contest, id=contest_id).max_selections == 2
    form = console.get(f"/admin/contests/{contest_id}/edit").get_data(as_text=True)
    assert 'name="max_selections" value="2"' in form
    cleared = console.post(f"/admin/contests/{contest_id}/edit", {"max_selections": ""})
    assert cleared.status_code == 303
    assert _one(app, Contest, id=contest_id).max_selections is None
    # a required number left empty is still refused, not cleared
    refused = console.post(f"/admin/contests/{contest_id}/edit", {"budget": ""})
    assert refused.status_code == 422 and _one(app, Contest, id=contest_id).budget == 1_000_000


def test_while_voting_only_words_are_offered_and_saved(
    app: Flask, console: Console, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election(phase="voting", **window())
    contest_id, agenda_id, _ = _ids(app, election_id)
    form = console.get(f"/admin/contests/{contest_id}/edit").get_data(as_text=True)
    assert 'name="title_ko"' in form and 'name="budget"' not in form
    saved = console.post(f"/admin/agendas/{agenda_id}/edit", {"title_ko": "고친 안건", "cost": "1"})
    assert saved.status_code == 303
    agenda = _one(app, Agenda, id=agenda_id)
    assert agenda.title_ko == "고친 안건" and agenda.cost == 400_000  # cost was not a field


def test_an_agenda_is_added_from_the_form(
    app: Flask, console: Console, imported_election: Callable[..., int]
) -> None:
    contest_id, _, _ = _ids(app, imported_election())
    assert console.get(f"/admin/contests/{contest_id}/agendas/new").status_code == 200
    added = console.post(
        f"/admin/contests/{contest_id}/agendas/new", {"title_ko": "분수대", "cost": "700"}
    )
    assert added.status_code == 303 and _one(app, Agenda, title_ko="분수대").cost == 700
    refused = console.post(
        f"/admin/contests/{contest_id}/agendas/new", {"title_ko": "", "cost": ""}
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="e-cost"' in html  # the schema's refusal first, as in the API


def test_a_contest_is_added_from_a_pb_file(
    app: Flask, console: Console, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    assert console.get(f"/admin/elections/{election_id}/contests/import-pb").status_code == 200
    upload = (io.BytesIO(PB_FILE.encode()), "approval.pb")
    added = console.post(
        f"/admin/elections/{election_id}/contests/import-pb",
        {"file": upload},
        content_type="multipart/form-data",
    )
    assert added.status_code == 303, text_of(added)
    bad = (io.BytesIO(b"not a pb file"), "x.pb")
    refused = console.post(
        f"/admin/elections/{election_id}/contests/import-pb",
        {"file": bad},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and 'role="alert"' in refused.get_data(as_text=True)


PB_FILE = """META
key;value
description;Test district
budget;1000
vote_type;approval
rule;greedy
max_length;2
PROJECTS
project_id;cost;name
p1;600;Park
p2;500;Library
VOTES
voter_id;vote
1;p1,p2
"""

CSV = "code,title_ko,cost\nN1,새 안건,100\nN2,또 하나,200\n"


def _upload_csv(console: Console, contest_id: int, text: str) -> Any:
    return console.post(
        f"/admin/contests/{contest_id}/agendas/import-csv",
        {"file": (io.BytesIO(text.encode()), "agendas.csv")},
        content_type="multipart/form-data",
    )


def test_a_csv_preview_stores_nothing_until_confirmed(
    app: Flask,
    console: Console,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    contest_id, _, _ = _ids(app, imported_election())
    assert console.get(f"/admin/contests/{contest_id}/agendas/import-csv").status_code == 200
    before = row_counts()
    preview = _upload_csv(console, contest_id, CSV)
    assert preview.status_code == 200
    assert "새 안건" in text_of(preview) and "또 하나" in text_of(preview)
    assert "안건 2개 모두 저장" in text_of(preview)
    assert row_counts() == before
    stored = console.post(
        f"/admin/contests/{contest_id}/agendas/import-csv", {"confirm": "1", "text": CSV}
    )
    assert stored.status_code == 303
    assert _one(app, Agenda, code="N2").cost == 200


def test_a_refused_csv_shows_every_row_and_each_lines_problems(
    app: Flask,
    english: Console,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    contest_id, _, _ = _ids(app, imported_election())
    before = row_counts()
    refused = _upload_csv(english, contest_id, "code,title_ko,cost\nOK,좋음,1\nA1,중복,2\nB,,x\n")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert html.count('class="refused"') == 2
    assert "좋음" in text_of(refused) and "Already used" in text_of(refused)
    assert "Store all" not in text_of(refused)
    assert row_counts() == before
    header = _upload_csv(english, contest_id, "title\nx\n")
    assert header.status_code == 422 and "Unknown column" in text_of(header)


def test_deleting_asks_first_then_deletes_in_a_draft(
    app: Flask, console: Console, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    contest_id, agenda_id, booth_id = _ids(app, election_id)
    contests = f"/admin/elections/{election_id}/contests"
    booths = f"/admin/elections/{election_id}/booths"
    for kind, model, ident, back, consequence in (
        ("agenda", Agenda, agenda_id, contests, ""),
        ("booth", Booth, booth_id, booths, "투표 코드 묶음과 키오스크"),
        ("contest", Contest, contest_id, contests, "안건도 함께"),
    ):
        path = f"/admin/{kind}s/{ident}/delete"
        asked = console.get(path)
        assert asked.status_code == 200 and "되돌릴 수 없습니다" in text_of(asked)
        assert consequence in text_of(
            asked
        ) and f'class="button primary" href="{back}"' in asked.get_data(as_text=True)
        assert _one(app, model, id=ident) is not None  # asking deletes nothing
        deleted = console.post(path)
        assert deleted.status_code == 303 and deleted.headers["Location"] == back
        assert _one(app, model, id=ident) is None
        with app.app_context():
            last = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
            assert last is not None and last.action == f"{kind}.deleted"


def test_every_delete_page_is_the_one_shared_view() -> None:
    """Contests, agendas and booths ask and delete through :func:`deleting.ask_then_delete`:
    the confirmation page is rendered in that one place, not once per kind of row."""
    console = Path(deleting.__file__).parent
    renders = [
        p.name for p in console.glob("*.py") if '"console/confirm_delete.html"' in p.read_text()
    ]
    assert renders == ["deleting.py"]


def test_deleting_once_voting_is_refused_with_a_page(
    app: Flask,
    console: Console,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    contest_id, _, booth_id = _ids(app, imported_election(phase="voting", **window()))
    asked = console.get(f"/admin/contests/{contest_id}/delete")
    assert "더는 삭제할 수 없습니다" in text_of(asked)
    assert asked.get_data(as_text=True).count("<form") == 1  # signing out only: no delete form
    before = row_counts()
    refused = console.post(f"/admin/booths/{booth_id}/delete")
    assert refused.status_code == 409 and refused.mimetype == "text/html"
    assert "이름과 설명은 고칠 수 있습니다" in text_of(refused)
    assert row_counts() == before


def test_a_booth_is_added_and_edited(
    app: Flask, console: Console, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    _, _, booth_id = _ids(app, election_id)
    page = console.get(f"/admin/elections/{election_id}/booths")
    assert page.status_code == 200 and "중앙동 주민센터" in text_of(page)
    added = console.post(
        f"/admin/elections/{election_id}/booths", {"code": "b2", "name_ko": "남부", "place": ""}
    )
    assert added.status_code == 303 and _one(app, Booth, code="b2") is not None
    refused = console.post(f"/admin/elections/{election_id}/booths", {"code": "b1", "name_ko": "x"})
    assert refused.status_code == 409 and 'id="e-code"' in refused.get_data(as_text=True)
    refused = console.post(f"/admin/elections/{election_id}/booths", {"code": "", "name_ko": "x"})
    assert refused.status_code == 422
    assert console.get(f"/admin/booths/{booth_id}/edit").status_code == 200
    assert console.post(f"/admin/booths/{booth_id}/edit", {"place": "새 주소"}).status_code == 303
    assert _one(app, Booth, id=booth_id).place == "새 주소"


def test_the_stepper_shows_why_voting_cannot_start_before_the_click(
    app: Flask, english: Console, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    contest_id, agenda_id, _ = _ids(app, election_id)
    ready = english.get(f"/admin/elections/{election_id}/phase")
    assert "Every check has passed" in text_of(ready) and 'value="voting"' in ready.get_data(
        as_text=True
    )
    for agenda in (agenda_id, *[a.id for a in _agendas(app, contest_id)]):
        english.post(f"/admin/agendas/{agenda}/delete")
    blocked = english.get(f"/admin/elections/{election_id}/phase")
    assert "A contest needs at least one agenda" in text_of(blocked)
    assert 'value="voting"' not in blocked.get_data(as_text=True)


def _agendas(app: Flask, contest_id: int) -> list[Agenda]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Agenda).filter_by(contest_id=contest_id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def test_the_stepper_moves_the_phase_and_a_refused_move_is_a_page(
    app: Flask, english: Console, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election(**window())
    moved = english.post(f"/admin/elections/{election_id}/phase", {"phase": "voting"})
    assert moved.status_code == 303 and _one(app, Election, id=election_id).phase == "voting"
    again = english.post(f"/admin/elections/{election_id}/phase", {"phase": "voting"})
    assert again.status_code == 409 and 'role="alert"' in again.get_data(as_text=True)
    assert english.post(f"/admin/elections/{election_id}/phase", {"phase": "x"}).status_code == 400
    closed = english.post(f"/admin/elections/{election_id}/phase", {"phase": "closed"})
    assert closed.status_code == 303
    page = english.get(f"/admin/elections/{election_id}/phase")
    assert "count and publish" in text_of(
        page
    ) and '<button type="submit" class="primary">' not in page.get_data(as_text=True)


def test_every_console_form_refuses_a_post_without_its_token(
    app: Flask, client: FlaskClient, console: Console, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    contest_id, agenda_id, booth_id = _ids(app, election_id)
    posts = [
        "/admin/elections/new",
        "/admin/elections/import",
        f"/admin/elections/{election_id}/edit",
        f"/admin/elections/{election_id}/phase",
        f"/admin/elections/{election_id}/booths",
        f"/admin/elections/{election_id}/contests/import-pb",
        f"/admin/elections/{election_id}/contests/new",
        f"/admin/contests/{contest_id}/edit",
        f"/admin/contests/{contest_id}/agendas/new",
        f"/admin/contests/{contest_id}/agendas/import-csv",
        f"/admin/contests/{contest_id}/delete",
        f"/admin/agendas/{agenda_id}/edit",
        f"/admin/agendas/{agenda_id}/delete",
        f"/admin/booths/{booth_id}/edit",
        f"/admin/booths/{booth_id}/delete",
    ]
    rules = {
        r.rule
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/admin")
        and "POST" in r.methods
        and app.view_functions[r.endpoint].__module__ not in RUNNING_MODULES
    }
    assert len(rules) == len(posts) + 2  # + sign-in (no session yet) and sign-out (tested apart)
    for path in posts:
        refused = client.post(path, data={"csrf_token": "not-it", "phase": "voting"})
        assert refused.status_code == 400, path
    assert _one(app, Contest, id=contest_id) is not None


def test_a_scoped_key_reaches_none_of_another_elections_pages(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    mine = imported_election()
    other = imported_election(slug="other-2025")
    contest_id, agenda_id, booth_id = _ids(app, other)
    browser = Console(client, "en")
    browser.sign_in(new_key(app, mine))
    for path in (
        f"/admin/elections/{other}/contests",
        f"/admin/elections/{other}/booths",
        f"/admin/elections/{other}/phase",
        f"/admin/elections/{other}/edit",
        f"/admin/contests/{contest_id}/edit",
        f"/admin/contests/{contest_id}/agendas/import-csv",
        f"/admin/agendas/{agenda_id}/delete",
        f"/admin/booths/{booth_id}/edit",
    ):
        assert browser.get(path).status_code == 403, path
    assert browser.post(f"/admin/contests/{contest_id}/delete").status_code == 403
    assert _one(app, Contest, id=contest_id) is not None


@pytest.mark.parametrize("path", ["csv", "pb", "election"])
def test_an_upload_that_is_not_utf8_is_refused_with_its_reason(
    app: Flask,
    console: Console,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
    path: str,
) -> None:
    election_id = imported_election()
    contest_id, _, _ = _ids(app, election_id)
    target = {
        "csv": f"/admin/contests/{contest_id}/agendas/import-csv",
        "pb": f"/admin/elections/{election_id}/contests/import-pb",
        "election": "/admin/elections/import",
    }[path]
    before = row_counts()
    cp949 = io.BytesIO("code,title_ko,cost\nX,가로등,1\n".encode("cp949"))
    refused = console.post(
        target, {"file": (cp949, "export.csv")}, content_type="multipart/form-data"
    )
    assert refused.status_code == 422
    assert "UTF-8로 저장한 뒤" in text_of(refused)
    assert row_counts() == before


def _file_input(html: str) -> str:
    found = re.search(r'<input type="file"[^>]*>', html)
    assert found, html
    return found.group(0)


def test_a_csv_file_input_is_described_by_its_hint_and_its_refusal(
    app: Flask, console: Console, imported_election: Callable[..., int]
) -> None:
    contest_id, _, _ = _ids(app, imported_election())
    form = console.get(f"/admin/contests/{contest_id}/agendas/import-csv").get_data(as_text=True)
    assert 'aria-describedby="h-file"' in _file_input(form) and 'id="h-file"' in form
    refused = console.post(
        f"/admin/contests/{contest_id}/agendas/import-csv",
        {"file": (io.BytesIO("code,cost\n".encode("cp949") + b"\xff"), "x.csv")},
        content_type="multipart/form-data",
    )
    html = refused.get_data(as_text=True)
    assert 'aria-invalid="true" aria-describedby="h-file e-file"' in _file_input(html)
    assert re.search(r'<p class="error" id="e-file">[^<]*UTF-8로 저장한 뒤', html)


@pytest.mark.parametrize(
    "document",
    [
        json.dumps({"name_ko": "가", "name_en": "a\u0000b"}),  # U+0000 escaped in JSON
        '{"name_en": "\\ud800"}',  # a lone surrogate
        "[" * 100_000 + "]" * 100_000,  # deeper than the reader allows
        '{"budget": ' + "9" * 5000 + "}",  # an integer of too many digits
    ],
)
def test_an_election_document_the_api_reader_refuses_is_refused_at_the_document(
    english: Console, row_counts: Callable[[], dict[str, int]], document: str
) -> None:
    before = row_counts()
    refused = english.post("/admin/elections/import", {"document": document})
    assert refused.status_code in (400, 422), refused.status_code
    assert refused.mimetype == "text/html" and 'role="alert"' in refused.get_data(as_text=True)
    assert row_counts() == before


def test_text_the_database_cannot_hold_is_refused_at_its_field(
    app: Flask, english: Console, imported_election: Callable[..., int]
) -> None:
    draft = imported_election()
    refused = english.post(f"/admin/elections/{draft}/edit", {"name_en": "a\x00b"})
    assert refused.status_code == 422 and "U+0000" in text_of(refused)
    assert "\x00" not in _one(app, Election, id=draft).name_en
    contest_id, _, _ = _ids(app, draft)
    pasted = english.post(
        f"/admin/contests/{contest_id}/agendas/import-csv", {"text": "code,cost\nN\x001,5\n"}
    )
    assert pasted.status_code == 422 and "U+0000" in text_of(pasted)


def test_upload_refusals_name_their_place_in_the_readers_language(
    app: Flask, console: Console, imported_election: Callable[..., int]
) -> None:
    contest_id, _, _ = _ids(app, imported_election())
    header = _upload_csv(console, contest_id, "title\nx\n")
    assert header.status_code == 422 and "첫 줄: " in text_of(header)
    assert "header:" not in text_of(header)
    lines = _upload_csv(console, contest_id, "code,title_ko,cost\nB,,x,extra\n")
    assert lines.status_code == 422 and "열 이름이 없는 칸" in text_of(lines)
    assert "_extra" not in text_of(lines)


def test_a_contest_is_added_from_the_form_with_its_ballot_and_rule(
    app: Flask, console: Console, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    contests = console.get(f"/admin/elections/{election_id}/contests")
    assert f"/admin/elections/{election_id}/contests/new" in contests.get_data(as_text=True)
    form = console.get(f"/admin/elections/{election_id}/contests/new").get_data(as_text=True)
    assert '<option value="equalshares">' in form and '<option value="ordinal">' in form
    refused = console.post(
        f"/admin/elections/{election_id}/contests/new",
        {"code": "north", "title_ko": "북구", "ballot_type": "", "rule": "no-such", "budget": "5"},
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="e-ballot_type"' in html and 'id="e-rule"' in html
    assert _one(app, Contest, code="north") is None
    added = console.post(
        f"/admin/elections/{election_id}/contests/new",
        {
            "code": "north",
            "title_ko": "북구",
            "ballot_type": "approval",
            "rule": "equalshares",
            "budget": "500,000",
        },
    )
    assert added.status_code == 303
    north = _one(app, Contest, code="north")
    assert (north.election_id, north.rule, north.budget) == (election_id, "equalshares", 500_000)


def test_a_drafts_contest_changes_its_rule_and_a_voting_one_cannot(
    app: Flask, console: Console, imported_election: Callable[..., int]
) -> None:
    draft = imported_election()
    contest_id, _, _ = _ids(app, draft)
    form = console.get(f"/admin/contests/{contest_id}/edit").get_data(as_text=True)
    assert '<option value="greedy" selected>' in form
    saved = console.post(f"/admin/contests/{contest_id}/edit", {"rule": "equalshares"})
    assert saved.status_code == 303 and _one(app, Contest, id=contest_id).rule == "equalshares"
    voting = imported_election(slug="voting-rule", phase="voting", **window())
    voting_contest, _, _ = _ids(app, voting)
    form = console.get(f"/admin/contests/{voting_contest}/edit").get_data(as_text=True)
    assert 'name="rule"' not in form
    console.post(f"/admin/contests/{voting_contest}/edit", {"rule": "equalshares"})
    assert _one(app, Contest, id=voting_contest).rule == "greedy"  # not a field once voting
    late = console.post(
        f"/admin/elections/{voting}/contests/new",
        {"code": "late", "ballot_type": "approval", "rule": "greedy", "budget": "5"},
    )
    assert late.status_code == 409 and _one(app, Contest, code="late") is None


def test_a_drafts_rule_options_and_exclusive_groups_are_edited_as_json(
    app: Flask, english: Console, imported_election: Callable[..., int]
) -> None:
    contest_id, _, _ = _ids(app, imported_election())
    saved = english.post(
        f"/admin/contests/{contest_id}/edit",
        {"rule_options": '{"tie_break": "file"}', "exclusive_groups": '[["A1", "A2"]]'},
    )
    assert saved.status_code == 303
    contest = _one(app, Contest, id=contest_id)
    assert (contest.rule_options, contest.exclusive_groups) == (
        {"tie_break": "file"},
        [["A1", "A2"]],
    )
    form = english.get(f"/admin/contests/{contest_id}/edit").get_data(as_text=True)
    assert "tie_break" in form and "A2" in form  # shown as JSON again
    for fields in (
        {"rule_options": "{not json"},  # not JSON: the schema's own refusal
        {"rule_options": '{"no_such_option": 1}'},  # the rule's declared options
        {"exclusive_groups": '[["A1", "ZZ"]]'},  # a code of no agenda
    ):
        refused = english.post(f"/admin/contests/{contest_id}/edit", fields)
        assert refused.status_code in (409, 422), (fields, refused.status_code)
        assert 'role="alert"' in refused.get_data(as_text=True)
    cleared = english.post(
        f"/admin/contests/{contest_id}/edit", {"rule_options": "", "exclusive_groups": ""}
    )
    assert cleared.status_code == 303
    contest = _one(app, Contest, id=contest_id)
    assert (contest.rule_options, contest.exclusive_groups) == ({}, [])


def test_an_agendas_proposing_organisations_are_edited_lead_first(
    app: Flask, console: Console, imported_election: Callable[..., int]
) -> None:
    _, agenda_id, _ = _ids(app, imported_election())
    saved = console.post(
        f"/admin/agendas/{agenda_id}/edit", {"organisations": " 주민자치회 나 ; 시민단체 가 ;"}
    )
    assert saved.status_code == 303
    with app.app_context():
        agenda = db.session.get(Agenda, agenda_id)
        assert [o.name_ko for o in agenda.organisations] == ["주민자치회 나", "시민단체 가"]
    form = console.get(f"/admin/agendas/{agenda_id}/edit").get_data(as_text=True)
    assert 'value="주민자치회 나; 시민단체 가"' in form
    twice = console.post(f"/admin/agendas/{agenda_id}/edit", {"organisations": "가; 가"})
    assert twice.status_code == 422 and 'id="e-organisations"' in twice.get_data(as_text=True)
