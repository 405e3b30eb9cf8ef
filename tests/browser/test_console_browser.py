"""The admin console in Chromium: axe-core on every console page in Korean and English at
phone and desktop width, signing in and deleting by keyboard, and the confirmation step
without JavaScript."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import LiveServer
from tests.browser.support import assert_accessible, screenshot
from tests.conftest import ELECTION_DOCUMENT
from votesvc.models import Phase
from votesvc.services import api_keys, elections, importing

CSV = "code,title_ko,title_en,cost\nK1,새 안건,New agenda,100\nA1,중복,Twice,x\n"


@dataclass(frozen=True)
class ConsoleElection:
    key: str
    election_id: int
    contest_id: int
    agenda_id: int
    booth_id: int
    frozen_id: int
    """A second election, voted and closed: the pages' frozen states. Closed, not voting,
    so that it stays out of the public list the other browser tests read."""
    frozen_contest_id: int


@pytest.fixture(scope="session")
def console_election(live_server: LiveServer) -> ConsoleElection:
    """A draft election on the live server for the console's pages, and an unscoped key."""
    document = {**copy.deepcopy(ELECTION_DOCUMENT), "slug": "console-browser"}
    voting_document = {**document, "slug": "console-browser-voting", "phase": "voting"}
    now = datetime.now(UTC)
    voting_document["starts_at"] = (now - timedelta(days=1)).isoformat()
    voting_document["ends_at"] = (now + timedelta(days=1)).isoformat()
    with live_server.app.app_context():
        election = importing.import_election(importing.parse_election_document(document))
        voting = importing.import_election(importing.parse_election_document(voting_document))
        elections.transition(voting.id, Phase.CLOSED)
        contest = election.contests[0]
        found = ConsoleElection(
            api_keys.create_api_key(None, label="console browser test")[1],
            election.id,
            contest.id,
            contest.agendas[-1].id,
            election.booths[0].id,
            voting.id,
            voting.contests[0].id,
        )
    return found


def sign_in(page: Page, key: str) -> None:
    """Sign in by keyboard alone: focus the key field, type, Enter."""
    page.goto("/admin/sign-in")
    page.locator("#key").focus()
    page.keyboard.type(key)
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/")


def console_pages(found: ConsoleElection) -> list[str]:
    """Every console page this branch adds (GET), with real ids."""
    e, c, a, b = found.election_id, found.contest_id, found.agenda_id, found.booth_id
    return [
        "/admin/",
        "/admin/elections/new",
        "/admin/elections/import",
        f"/admin/elections/{e}",
        f"/admin/elections/{e}/edit",
        f"/admin/elections/{e}/contests",
        f"/admin/elections/{e}/contests/import-pb",
        f"/admin/elections/{e}/contests/new",
        f"/admin/elections/{e}/booths",
        f"/admin/elections/{e}/phase",
        f"/admin/contests/{c}/edit",
        f"/admin/contests/{c}/agendas/new",
        f"/admin/contests/{c}/agendas/import-csv",
        f"/admin/contests/{c}/delete",
        f"/admin/agendas/{a}/edit",
        f"/admin/agendas/{a}/delete",
        f"/admin/booths/{b}/edit",
        f"/admin/booths/{b}/delete",
        f"/admin/elections/{found.frozen_id}/phase",
        f"/admin/elections/{found.frozen_id}/contests",
        f"/admin/elections/{found.frozen_id}/edit",
        f"/admin/contests/{found.frozen_contest_id}/edit",
        f"/admin/contests/{found.frozen_contest_id}/delete",
    ]


def test_every_console_page_is_accessible(
    any_page: Page, console_election: ConsoleElection
) -> None:
    page = any_page
    page.goto("/admin/sign-in")
    assert_accessible(page)
    page.fill("#key", "vsk_wrong")
    page.click("button[type=submit]")
    assert page.locator("#key[aria-invalid=true]").count() == 1
    assert_accessible(page)  # the refused sign-in
    sign_in(page, console_election.key)
    for path in console_pages(console_election):
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, path
        assert_accessible(page)
    missing = page.goto("/admin/elections/999999")
    assert missing is not None and missing.status == 404
    assert_accessible(page)  # a refusal in the console's layout
    # forms with their refusals, and the CSV preview
    page.goto("/admin/elections/new")
    page.fill("#f-name_ko", "새 선거")
    page.fill("#f-starts_at", "2030-05-01T09:00")
    page.fill("#f-ends_at", "2030-05-31T18:00")
    page.fill("#f-slug", "Not A Slug")
    page.click("main button[type=submit].primary")
    assert page.locator("#e-slug").count() == 1
    assert_accessible(page)
    page.goto(f"/admin/contests/{console_election.contest_id}/agendas/import-csv")
    page.set_input_files(
        "#f-file", files=[{"name": "a.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    page.click("main form[enctype] button[type=submit]")
    assert page.locator("tr.refused").count() == 1
    assert_accessible(page)


@pytest.mark.parametrize("path", ["/admin/", "phase", "contests", "csv"])
def test_screenshots(
    open_page: Callable[..., Page], console_election: ConsoleElection, path: str
) -> None:
    """Pictures to look at (test-output/screenshots/), in Korean at phone width."""
    page = open_page("phone", "ko")
    sign_in(page, console_election.key)
    e, c = console_election.election_id, console_election.contest_id
    targets = {
        "/admin/": "/admin/",
        "phase": f"/admin/elections/{e}/phase",
        "contests": f"/admin/elections/{e}/contests",
        "csv": f"/admin/contests/{c}/agendas/import-csv",
    }
    page.goto(targets[path])
    if path == "csv":
        page.set_input_files(
            "#f-file", files=[{"name": "a.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
        )
        page.click("main form[enctype] button[type=submit]")
    assert screenshot(page, f"console-{path}-ko-phone").exists()


def test_an_agenda_is_deleted_by_keyboard_without_javascript(
    open_page: Callable[..., Page], live_server: LiveServer
) -> None:
    document = {**copy.deepcopy(ELECTION_DOCUMENT), "slug": "console-keyboard"}
    with live_server.app.app_context():
        election = importing.import_election(importing.parse_election_document(document))
        election_id, agenda = election.id, election.contests[0].agendas[0]
        agenda_id, title = agenda.id, agenda.title_ko
        key = api_keys.create_api_key(election_id, label="keyboard")[1]
    page = open_page("desktop", "en", javascript=False)
    sign_in(page, key)
    page.goto(f"/admin/elections/{election_id}/contests")
    link = page.locator(f"a[href='/admin/agendas/{agenda_id}/delete']")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/agendas/{agenda_id}/delete")
    assert "cannot be undone" in page.inner_text("main")
    page.locator("main form button.danger").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/elections/{election_id}/contests")
    assert page.locator(f"a[href='/admin/agendas/{agenda_id}/delete']").count() == 0
    assert title not in page.inner_text("main table")
