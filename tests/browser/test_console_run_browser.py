"""The console's pages that run an election, in Chromium: axe-core on each (Korean and
English, phone and desktop) in its states (tokens issued, a kiosk just provisioned with its
QR code, a queue file settled, a refused roll, a count's preliminary results, the audit
log); issuing tokens by keyboard without JavaScript; the participation table refreshing
itself with JavaScript."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import LiveServer
from tests.browser.support import assert_accessible, screenshot
from tests.browser.test_console_browser import sign_in
from tests.conftest import ELECTION_DOCUMENT
from tests.voting_support import CONTESTS, export_file, offline
from votesvc.services import api_keys, batches, importing, kiosks, results, tokens


@dataclass(frozen=True)
class Running:
    key: str
    election_id: int
    booth_id: int
    batch_id: int
    export: str
    """A queue file of the booth's kiosk: one ballot accepted, one quarantined."""
    counted_id: int
    """A second election, closed and counted (preliminary results), never published."""


def _document(slug: str, phase: str) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        **copy.deepcopy(ELECTION_DOCUMENT),
        "slug": slug,
        "contests": copy.deepcopy(CONTESTS),
        "phase": phase,
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
    }


@pytest.fixture(scope="module")
def running(live_server: LiveServer) -> Iterator[Running]:
    """A voting election with batches, a kiosk and a quarantined ballot, and a counted one.

    Voting only while this module's tests run: the other browser tests read the public list of
    elections open for voting, which must hold the demo's alone, so it is closed after."""
    app = live_server.app
    with app.app_context():
        election = importing.import_election(
            importing.parse_election_document(_document("console-run-browser", "voting"))
        )
        booth = election.booths[0].id
        batch = batches.issue_batch(election.id, {"size": 2, "label": "1층"})
        batches.issue_batch(election.id, {"size": 2, "booth_id": booth, "contests": ["city"]})
        kiosk = kiosks.provision_kiosk(election.id, booth, "입구")
        good, cancelled = batches.batch_tokens(
            batches.issue_batch(election.id, {"size": 2, "booth_id": booth, "contests": ["city"]})
        )
        tokens.void_token(election.id, cancelled.short_code)
        city = {"city": {"choices": ["A1"]}}
        spoilt = export_file(kiosk, [offline(cancelled, selections=city)])
        kiosks.settle_export(election.id, booth, spoilt)
        export = export_file(kiosk, [offline(good, selections=city)])
        counted = importing.import_election(
            importing.parse_election_document(_document("console-run-counted", "voting"))
        )
        results.close_election(counted.id)
        job = results.request_count(counted.id, force=True)
        results.wait(job.id)
        found = Running(
            api_keys.create_api_key(None, label="console run browser")[1],
            election.id,
            booth,
            batch.id,
            export,
            counted.id,
        )
    yield found
    with app.app_context():
        results.close_election(found.election_id)


def _pages(found: Running) -> list[str]:
    e = found.election_id
    return [
        f"/admin/elections/{e}/tokens",
        f"/admin/elections/{e}/token-batches/{found.batch_id}/void",
        f"/admin/elections/{e}/kiosks",
        f"/admin/elections/{e}/voter-roll",
        f"/admin/elections/{e}/participation",
        f"/admin/elections/{e}/count",
        f"/admin/elections/{e}/audit",
        f"/admin/elections/{found.counted_id}/count",
        f"/admin/elections/{found.counted_id}/participation",
    ]


def test_every_page_that_runs_an_election_is_accessible(any_page: Page, running: Running) -> None:
    page = any_page
    sign_in(page, running.key)
    for path in _pages(running):
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, path
        assert_accessible(page)
    e = running.election_id
    # a refused batch, a kiosk provisioned, a queue file settled, a refused roll
    page.goto(f"/admin/elections/{e}/tokens")
    page.fill("#f-size", "0")
    page.click("main form button.primary")
    assert page.locator("#e-size").count() == 1
    assert_accessible(page)
    page.goto(f"/admin/elections/{e}/kiosks")
    page.click(f"form[action='/admin/booths/{running.booth_id}/kiosks'] button")
    assert page.locator("img.qr").count() == 1
    assert page.input_value("#provisioning-code").startswith(f"vkp1.{e}.{running.booth_id}.")
    assert_accessible(page)
    page.goto(f"/admin/elections/{e}/kiosks")
    page.set_input_files(
        f"#file-{running.booth_id}",
        files=[
            {"name": "q.json", "mimeType": "application/json", "buffer": running.export.encode()}
        ],
    )
    page.click(f"form[action='/admin/booths/{running.booth_id}/kiosk-exports'] button")
    assert page.locator("#uploaded-heading").count() == 1
    assert_accessible(page)
    page.goto(f"/admin/elections/{e}/voter-roll")
    page.fill("#f-text", "identifier\nA1\nA1\n,\n")
    page.click("main form button.primary")
    assert page.locator("tr.refused").count() == 2
    assert_accessible(page)


def test_tokens_are_issued_by_keyboard_without_javascript(
    open_page: Callable[..., Page], running: Running
) -> None:
    page = open_page("desktop", "en", javascript=False)
    sign_in(page, running.key)
    page.goto(f"/admin/elections/{running.election_id}/tokens")
    rows = page.locator("main table tbody tr").count()
    page.locator("#f-booth_id").focus()
    page.keyboard.press("Tab")
    page.keyboard.type("5")
    page.keyboard.press("Tab")
    page.keyboard.type("by keyboard")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # test tokens
    page.keyboard.press("Enter")
    page.wait_for_url("**/tokens?done=issued")
    assert page.locator("main table tbody tr").count() == rows + 1
    assert "by keyboard" in page.inner_text("main table")


CHECKS = """() => [...document.querySelectorAll("main p.check")].map(line => {
    const box = line.querySelector("input").getBoundingClientRect();
    const label = line.querySelector("label");
    const text = label.getBoundingClientRect();
    const lineHeight = parseFloat(getComputedStyle(label).lineHeight);
    return {
        weight: getComputedStyle(label).fontWeight,
        width: box.width,
        height: box.height,
        offset: Math.abs(text.top + lineHeight / 2 - (box.top + box.height / 2)),
    };
})"""
"""Each checkbox line of the page: its label's weight, its box's size, and how far the middle
of the label's first line is from the middle of the box."""


def test_a_checkbox_label_is_plain_text_beside_a_box_of_24px(
    open_page: Callable[..., Page], running: Running
) -> None:
    page = open_page("phone", "ko")
    sign_in(page, running.key)
    page.goto(f"/admin/elections/{running.election_id}/tokens")
    checks = page.evaluate(CHECKS)
    assert len(checks) == 3  # test tokens, and the two contests
    for check in checks:
        assert check["weight"] == "400", check
        assert check["width"] >= 24 and check["height"] >= 24, check  # WCAG 2.2's target size
        assert check["offset"] <= 3, check


def test_participation_refreshes_itself_with_javascript(
    open_page: Callable[..., Page], live_server: LiveServer, running: Running
) -> None:
    page = open_page("desktop", "en")
    page.clock.install()
    sign_in(page, running.key)
    page.goto(f"/admin/elections/{running.election_id}/participation")
    online = page.locator("#participation tbody tr").first.locator("td").first
    before = int(online.inner_text())
    with live_server.app.app_context():
        batches.issue_batch(running.election_id, {"size": 3})
    page.clock.fast_forward(20_000)
    page.wait_for_function(
        "n => document.querySelector('#participation tbody tr td').textContent === String(n)",
        arg=before + 3,
    )


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("locale", ["ko", "en"])
def test_screenshots(
    open_page: Callable[..., Page], running: Running, viewport: str, locale: str
) -> None:
    """Pictures to look at (test-output/screenshots/)."""
    page = open_page(viewport, locale)
    sign_in(page, running.key)
    page.goto(f"/admin/elections/{running.election_id}/kiosks")
    page.click(f"form[action='/admin/booths/{running.booth_id}/kiosks'] button")
    assert screenshot(page, f"console-run-kiosk-{locale}-{viewport}").exists()
    page.goto(f"/admin/elections/{running.election_id}/tokens")
    assert screenshot(page, f"console-run-tokens-{locale}-{viewport}").exists()
    page.goto(f"/admin/elections/{running.counted_id}/count")
    assert screenshot(page, f"console-run-count-{locale}-{viewport}").exists()
