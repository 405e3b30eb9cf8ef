"""The console's pages that run an election, through the Flask client: tokens, kiosks, the
voter roll, participation, quarantine, closing, counting, publishing and the audit log; each
form with good input, its refusals in the reader's language, CSRF, and a scoped key's reach."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.voting_support import (
    add_booth,
    booth_id,
    export_file,
    issue,
    offline,
    open_election,
    provision,
)
from tests.web.console_support import RUNNING_MODULES, Console, new_key
from tests.web.page_support import text_of
from votesvc.api.errors import message
from votesvc.models import AuditEntry, CountJob, Kiosk, QuarantinedBallot, Token, TokenBatch
from votesvc.models.base import db
from votesvc.services import batches, results
from votesvc.services import tokens as token_service
from votesvc.services.kiosks import PROVISIONING_PREFIX
from votesvc.web.console.kiosks import qr_data_uri


@pytest.fixture
def election_id(imported_election: Callable[..., int]) -> int:
    return open_election(imported_election)


def _rows(app: Flask, model: Any, **where: Any) -> list[Any]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(model).filter_by(**where)))
        for row in found:
            db.session.expunge(row)
        return found


def test_every_section_is_in_the_navigation(english: Console, election_id: int) -> None:
    page = english.get(f"/admin/elections/{election_id}")
    for label in ("Tokens", "Kiosks", "Voter roll", "Participation", "Count and publish"):
        assert label in text_of(page)
    assert "Audit log" in text_of(page)


# --- tokens -------------------------------------------------------------------------------


def test_an_online_batch_is_issued_printed_and_sealed(
    app: Flask, english: Console, election_id: int
) -> None:
    assert english.get(f"/admin/elections/{election_id}/tokens").status_code == 200
    issued = english.post(f"/admin/elections/{election_id}/tokens", {"size": "3", "label": "x"})
    assert issued.status_code == 303
    (batch,) = _rows(app, TokenBatch, election_id=election_id)
    assert (batch.size, batch.booth_id, batch.test, batch.restricted) == (3, None, False, False)
    listed = english.get(issued.headers["Location"])
    assert "Download its sheets" in text_of(listed) and f"#{batch.id}" in text_of(listed)
    pdf = f"/admin/elections/{election_id}/token-batches/{batch.id}/sheets.pdf"
    sheets = english.client.get(pdf)
    assert sheets.mimetype == "application/pdf" and sheets.data.startswith(b"%PDF")
    assert sheets.headers["Cache-Control"] == "no-store"
    sealed = english.post(f"/admin/elections/{election_id}/token-batches/{batch.id}/seal")
    assert sealed.status_code == 303
    assert _rows(app, TokenBatch, id=batch.id)[0].seed is None
    again = english.get(f"/admin/elections/{election_id}/token-batches/{batch.id}/sheets.pdf")
    assert again.status_code == 409 and again.mimetype == "text/html"


def test_a_booth_test_batch_restricted_to_one_contest(
    app: Flask, console: Console, election_id: int
) -> None:
    booth = booth_id(app, election_id)
    form = {"size": "2", "booth_id": str(booth), "test": "1", "contests": ["city"]}
    assert console.post(f"/admin/elections/{election_id}/tokens", form).status_code == 303
    (batch,) = _rows(app, TokenBatch, election_id=election_id)
    assert (batch.booth_id, batch.test, batch.restricted) == (booth, True, True)
    # the restriction is named by the contest's title in the page's language, its code after
    listed = text_of(console.get(f"/admin/elections/{election_id}/tokens"))
    assert "다음 공모 분야만: 시 전체 (city)" in listed
    # the booth's ballot is fixed now: a batch for every contest there is refused
    other = console.post(f"/admin/elections/{election_id}/tokens", {**form, "contests": []})
    assert other.status_code == 409 and 'id="problems"' in other.get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"size": ""}, "size"),
        ({"size": "0"}, "size"),
        ({"size": "many"}, "size"),
        ({"size": "2", "contests": ["nowhere"]}, "contests"),
        ({"size": "2", "booth_id": "²"}, "booth_id"),  # a digit to str.isdigit, not to int()
        ({"size": "2", "booth_id": "abc"}, "booth_id"),  # was taken as "online"
    ],
)
def test_a_refused_batch_names_its_field_and_issues_nothing(
    app: Flask,
    console: Console,
    election_id: int,
    row_counts: Callable[[], dict[str, int]],
    form: dict[str, Any],
    field: str,
) -> None:
    before = row_counts()
    refused = console.post(f"/admin/elections/{election_id}/tokens", form)
    assert refused.status_code == 422 and f'id="e-{field}"' in refused.get_data(as_text=True)
    assert row_counts() == before


def test_one_token_is_cancelled_by_its_code_and_a_batch_after_asking(
    app: Flask, english: Console, election_id: int
) -> None:
    tokens = issue(app, election_id, 3)
    voided = english.post(
        f"/admin/elections/{election_id}/tokens/void", {"code": tokens[0].short_code}
    )
    assert voided.status_code == 303
    statuses = sorted(t.status for t in _rows(app, Token, election_id=election_id))
    assert statuses == ["unused", "unused", "void"]
    again = english.post(
        f"/admin/elections/{election_id}/tokens/void", {"code": tokens[0].short_code}
    )
    assert again.status_code == 409 and 'id="problems"' in again.get_data(as_text=True)
    typo = english.post(f"/admin/elections/{election_id}/tokens/void", {"code": "ABCD"})
    assert typo.status_code in (404, 422) and "problems" in typo.get_data(as_text=True)
    (batch,) = _rows(app, TokenBatch, election_id=election_id)
    path = f"/admin/elections/{election_id}/token-batches/{batch.id}/void"
    asked = english.get(path)
    assert asked.status_code == 200 and "2 unused tokens stop working" in text_of(asked)
    assert english.post(path).status_code == 303
    assert {t.status for t in _rows(app, Token, election_id=election_id)} == {"void"}


# --- kiosks and quarantine ----------------------------------------------------------------


def test_a_kiosk_is_provisioned_with_its_code_shown_once(
    app: Flask, console: Console, election_id: int
) -> None:
    booth = booth_id(app, election_id)
    done = console.post(f"/admin/booths/{booth}/kiosks", {"label": "입구"})
    assert done.status_code == 201 and done.headers["Cache-Control"] == "no-store"
    html = done.get_data(as_text=True)
    code = re.search(r'id="provisioning-code"[^>]*>([^<]+)<', html).group(1)
    prefix, election, booth_text, credential = code.split(".")
    assert (prefix, int(election), int(booth_text)) == (PROVISIONING_PREFIX, election_id, booth)
    assert f'src="{qr_data_uri(code)}"' in html  # the QR code is of this very code
    (kiosk,) = _rows(app, Kiosk, booth_id=booth)
    assert kiosk.label == "입구" and credential.startswith(kiosk.prefix)
    assert code not in console.get(f"/admin/elections/{election_id}/kiosks").get_data(True)


def test_a_kiosk_label_too_long_is_refused(app: Flask, console: Console, election_id: int) -> None:
    booth = booth_id(app, election_id)
    refused = console.post(f"/admin/booths/{booth}/kiosks", {"label": "x" * 201})
    assert refused.status_code == 422 and 'id="problems"' in refused.get_data(as_text=True)
    assert _rows(app, Kiosk, booth_id=booth) == []


def test_a_queue_file_is_settled_once_and_a_refused_ballot_is_quarantined_in_korean(
    app: Flask, console: Console, election_id: int
) -> None:
    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    good, cancelled = issue(app, election_id, 2, booth=booth)
    with app.app_context():
        token_service.void_token(election_id, cancelled.short_code)
    file = export_file(kiosk, [offline(good), offline(cancelled)])
    path = f"/admin/booths/{booth}/kiosk-exports"
    first = console.post(path, {"file": (io.BytesIO(file.encode()), "queue.json")})
    assert first.status_code == 200, text_of(first)
    assert re.search(r"<dt>수락</dt><dd>1</dd>", first.get_data(as_text=True))
    again = console.post(path, {"file": (io.BytesIO(file.encode()), "queue.json")})
    assert re.search(r"<dt>이미 수락됨</dt><dd>1</dd>", again.get_data(as_text=True))
    (held,) = _rows(app, QuarantinedBallot, booth_id=booth)
    page = console.get(f"/admin/elections/{election_id}/kiosks")
    assert held.reason == "token_void" and message("token_void", lang="ko") in text_of(page)


@pytest.mark.parametrize("change", ["edited", "empty", "other booth"])
def test_a_queue_file_refused_whole_says_why_and_stores_nothing(
    app: Flask,
    console: Console,
    election_id: int,
    row_counts: Callable[[], dict[str, int]],
    change: str,
) -> None:
    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    file = export_file(kiosk, [offline(issue(app, election_id, 1, booth=booth)[0])])
    if change == "edited":
        file = file.replace('\\"count\\": 1', '\\"count\\": 2')
    elif change == "empty":
        file = ""
    else:
        booth = add_booth(app, election_id, "b2")
    before = row_counts()
    refused = console.post(
        f"/admin/booths/{booth}/kiosk-exports",
        {"file": (io.BytesIO(file.encode()), "queue.json")},
    )
    assert refused.status_code == 422 and 'id="problems"' in refused.get_data(as_text=True)
    assert message("kiosk_export_invalid", lang="ko") in text_of(refused)
    assert row_counts() == before


# --- the voter roll -----------------------------------------------------------------------


def test_the_roll_is_uploaded_and_a_refused_file_shows_every_line(
    app: Flask, english: Console, election_id: int
) -> None:
    path = f"/admin/elections/{election_id}/voter-roll"
    assert english.get(path).status_code == 200
    added = english.post(path, {"text": "identifier,factor\nA1,1990-01-01\nB2,1985-03-12\n"})
    assert added.status_code == 200 and "Added 2 people; 0 were" in text_of(added)
    bad = "identifier\nC3\n\nC3\n,\nD4\n"
    refused = english.post(path, {"file": (io.BytesIO(bad.encode()), "roll.csv")})
    assert refused.status_code == 422
    rows = re.findall(r'<tr class="refused"><td>(\d+)</td><td>([^<]+)</td>', refused.get_data(True))
    assert rows == [("4", "Listed twice."), ("5", "No identifier.")]
    # a record whose quoted cell spans lines 3-4 is named by line 3, where it starts
    spanning = 'identifier,factor\nF6,1\n"","two\nlines"\n'
    refused = english.post(path, {"file": (io.BytesIO(spanning.encode()), "roll.csv")})
    rows = re.findall(r'<tr class="refused"><td>(\d+)</td><td>([^<]+)</td>', refused.get_data(True))
    assert rows == [("3", "No identifier.")]
    no_column = english.post(path, {"text": "name\nKim\n"})
    assert no_column.status_code == 422 and 'id="e-file"' in no_column.get_data(as_text=True)
    latin = english.post(path, {"file": (io.BytesIO("identifier\n\xe9\n".encode("cp1252")), "r")})
    assert latin.status_code == 422 and "UTF-8" in text_of(latin)


# --- participation ------------------------------------------------------------------------


def test_participation_per_channel_refreshes_while_voting(
    app: Flask, english: Console, election_id: int
) -> None:
    issue(app, election_id, 2)
    issue(app, election_id, 4, booth=booth_id(app, election_id))
    page = english.get(f"/admin/elections/{election_id}/participation")
    html = page.get_data(as_text=True)
    assert "js/console-refresh.js" in html and 'data-refresh="' in html and "Refresh" in html
    cells = re.findall(r'<th scope="row">([^<]+)</th>\s*<td>(\d+)</td>', html)
    assert cells == [("Online", "2"), ("중앙동 주민센터", "4")]
    table = english.get(f"/admin/elections/{election_id}/participation/table")
    assert table.get_data(as_text=True).startswith('<div id="participation"')
    english.post(f"/admin/elections/{election_id}/close")
    closed = english.get(f"/admin/elections/{election_id}/participation").get_data(True)
    assert "data-refresh=" not in closed and "console-refresh.js" not in closed


# --- closing, counting, publishing, the audit log ----------------------------------------


def _voted(app: Flask, client: FlaskClient, election_id: int) -> None:
    """Two ballots cast at the booth (synced from its kiosk)."""
    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    ballots = [offline(token) for token in issue(app, election_id, 2, booth=booth)]
    synced = client.post(
        f"/api/v1/elections/{election_id}/booths/{booth}/sync",
        json={"ballots": ballots},
        headers={"Authorization": f"Bearer {kiosk['credential']}"},
    )
    assert [r["status"] for r in synced.get_json()["results"]] == ["accepted"] * 2


def _count(app: Flask, console: Console, election_id: int, **form: str) -> int:
    started = console.post(f"/admin/elections/{election_id}/count", form)
    assert started.status_code == 303, started.get_data(as_text=True)
    with app.app_context():
        job = results.latest_job(election_id)
        results.wait(job.id)
        return job.id


def test_close_count_and_publish_with_preliminary_results_for_admins_only(
    app: Flask, client: FlaskClient, english: Console, election_id: int
) -> None:
    _voted(app, client, election_id)
    page = f"/admin/elections/{election_id}/count"
    assert "Close voting now" in text_of(english.get(page))
    assert english.post(f"/admin/elections/{election_id}/close").status_code == 303
    early = english.post(page, {})
    assert early.status_code == 409 and "grace" in text_of(early).lower()
    _count(app, english, election_id, force="1")
    counted = english.get(page)
    assert counted.headers["Cache-Control"] == "no-store"
    text = text_of(counted)
    assert "Preliminary results (admins only, not published)" in text and "Done" in text
    assert "data-refresh=" not in counted.get_data(as_text=True)  # a done count is final
    assert "가로등" in text and "Funded" in text
    # nothing of the count is public before publication
    assert client.get(f"/elections/{election_id}/results").status_code == 404
    assert "가로등" not in client.get(f"/elections/{election_id}/results").get_data(True)
    assert client.get(f"/api/v1/elections/{election_id}/results").status_code == 404
    assert english.post(f"/admin/elections/{election_id}/publish").status_code == 303
    published = text_of(english.get(page))
    assert "Published results" in published and "The public results page" in published
    assert client.get(f"/elections/{election_id}/results").status_code == 200
    audit_page = english.get(f"/admin/elections/{election_id}/audit")
    assert "Chain checked: all" in text_of(audit_page) and "count.done" in text_of(audit_page)


def test_counting_while_voting_is_refused_with_a_page(english: Console, election_id: int) -> None:
    refused = english.post(f"/admin/elections/{election_id}/count", {"force": "1"})
    assert refused.status_code == 409 and 'id="problems"' in refused.get_data(as_text=True)


def test_a_running_count_shows_progress_and_is_restarted(
    app: Flask, english: Console, election_id: int
) -> None:
    english.post(f"/admin/elections/{election_id}/close")
    with app.app_context():
        job = CountJob(election_id=election_id, seed="0" * 32, status="running", progress=0.4)
        job.heartbeat_at = datetime.now(UTC)
        db.session.add(job)
        db.session.commit()
        stuck = job.id
    page = english.get(f"/admin/elections/{election_id}/count").get_data(as_text=True)
    assert 'value="40"' in page and "data-refresh=" in page and 'name="restart"' in page
    fragment = english.get(f"/admin/elections/{election_id}/count/status")
    assert fragment.get_data(as_text=True).startswith('<div id="count-status"')
    busy = english.post(f"/admin/elections/{election_id}/count", {"force": "1"})
    assert busy.status_code == 409
    new = _count(app, english, election_id, force="1", restart="1")
    assert new != stuck and _rows(app, CountJob, id=stuck)[0].status == "failed"


def test_a_broken_audit_chain_is_shown(app: Flask, english: Console, election_id: int) -> None:
    issue(app, election_id, 1)
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.election_id == election_id)
        ).first()
        entry.payload = {**entry.payload, "size": 999}
        db.session.commit()
    page = english.get(f"/admin/elections/{election_id}/audit")
    assert "The chain is broken" in text_of(page)


# --- every form: CSRF and scope ------------------------------------------------------------


def _run_posts(app: Flask, election_id: int) -> list[str]:
    booth = booth_id(app, election_id)
    with app.app_context():
        batch = batches.issue_batch(election_id, {"size": 1}).id
    return [
        f"/admin/elections/{election_id}/tokens",
        f"/admin/elections/{election_id}/token-batches/{batch}/seal",
        f"/admin/elections/{election_id}/token-batches/{batch}/void",
        f"/admin/elections/{election_id}/tokens/void",
        f"/admin/booths/{booth}/kiosks",
        f"/admin/booths/{booth}/kiosk-exports",
        f"/admin/elections/{election_id}/voter-roll",
        f"/admin/elections/{election_id}/close",
        f"/admin/elections/{election_id}/count",
        f"/admin/elections/{election_id}/publish",
    ]


def test_every_form_here_refuses_a_post_without_its_token(
    app: Flask,
    client: FlaskClient,
    console: Console,
    election_id: int,
    row_counts: Callable[[], dict[str, int]],
) -> None:
    posts = _run_posts(app, election_id)
    mine = {
        r.rule
        for r in app.url_map.iter_rules()
        if "POST" in r.methods and app.view_functions[r.endpoint].__module__ in RUNNING_MODULES
    }
    assert len(mine) == len(posts)
    before = row_counts()
    for path in posts:
        refused = client.post(path, data={"csrf_token": "not-it", "size": "1", "code": "x"})
        assert refused.status_code == 400 and refused.mimetype == "text/html", path
    assert row_counts() == before


def test_a_key_of_another_election_gets_the_refusal_page(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], election_id: int
) -> None:
    mine = imported_election(slug="mine-2025")
    browser = Console(client, "ko")
    browser.sign_in(new_key(app, mine))
    gets = [
        f"/admin/elections/{election_id}/{page}"
        for page in (
            "tokens",
            "kiosks",
            "voter-roll",
            "participation",
            "participation/table",
            "count",
            "count/status",
            "audit",
        )
    ]
    for path in gets:
        refused = browser.get(path)
        assert refused.status_code == 403 and "다른 선거" in text_of(refused), path
    for path in _run_posts(app, election_id):
        assert browser.post(path, {"size": "1"}).status_code == 403, path
    assert _rows(app, Kiosk, election_id=election_id) == []
