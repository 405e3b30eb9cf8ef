"""Issue 15's evidence: a whole election run through pages alone, from an empty database.

An official signs in to the console, imports an election with a city-wide contest and a
booth, adds a district contest from a ``.pb`` file, opens voting, issues and downloads token
sheets (online ones for the city-wide contest, a district booth batch for both), provisions
the booth's kiosk from the code the console shows; three residents vote, two on the online
citizen pages and one at the kiosk; the official closes, counts and publishes. Then the
public results page's funded agendas equal what ``votesvc tally`` counts from the published
``.pb`` files, and ``votesvc verify`` of the publication passes.

The only steps that are not pages: the first admin key comes from ``votesvc
create-admin-key`` (there is no page without a key), and the test reads the token codes the
sheets carry from the batch (a person would read them off the printed sheet).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.browser.kiosk_support import controlled, enter_code, provision, serve
from tests.browser.support import screenshot
from votesvc.cli.commands import create_admin_key
from votesvc.cli.tally import tally_command
from votesvc.cli.verify import verify_command
from votesvc.services import batches, results

DISTRICT_PB = """META
key;value
description;North district
country;Korea
unit;North
instance;2026
budget;1000000
vote_type;approval
rule;greedy
min_length;1
max_length;2
PROJECTS
project_id;cost;name
N1;600000;Safe school routes
N2;500000;Small theatres
N3;300000;Pocket park
VOTES
voter_id;vote
"""

ONLINE_BALLOTS = (["A1", "A3"], ["A3", "A1"])
"""The two online residents' city-wide choices; the kiosk voter picks A3 and A2 there and
N1 and N3 in the district: no ties, so the funded lists do not depend on a draw."""
KIOSK_CITY, KIOSK_DISTRICT = ["A3", "A2"], ["N1", "N3"]


@pytest.fixture
def app_config() -> dict[str, Any]:
    """As the kiosk tests: no rate limits and no mixer thread (the count mixes first)."""
    return {"RATELIMIT_ENABLED": False, "VOTESVC_MIX_INTERVAL_SECONDS": 0}


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    with serve(app) as url:
        yield url


def _document() -> str:
    now = datetime.now(UTC)
    return json.dumps(
        {
            "slug": "issue-15",
            "name_ko": "2026 주민참여예산",
            "name_en": "2026 participatory budget",
            "timezone": "Asia/Seoul",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(),
            "contests": [
                {
                    "code": "city",
                    "title_ko": "시 전체",
                    "title_en": "City-wide",
                    "budget": 1_000_000,
                    "ballot_type": "approval",
                    "rule": "greedy",
                    "max_selections": 2,
                    "agendas": [
                        {"code": "A1", "title_ko": "가로등", "cost": 400_000},
                        {"code": "A2", "title_ko": "자전거길", "cost": 500_000},
                        {"code": "A3", "title_ko": "도서관", "cost": 300_000},
                    ],
                }
            ],
            "booths": [{"code": "north", "name_ko": "북구 주민센터", "name_en": "North office"}],
        },
        ensure_ascii=False,
    )


def _sign_in(page: Page, url: str, key: str) -> None:
    page.goto(f"{url}/admin/sign-in")
    page.fill("#key", key)
    page.click("main button[type=submit]")
    page.wait_for_url("**/admin/")


def _admin_key(app: Flask) -> str:
    out = app.test_cli_runner().invoke(create_admin_key, ["--label", "issue 15"])
    assert out.exit_code == 0, out.output
    return re.search(r"vsk_\S+", out.output).group(0)


def _issue(page: Page, tokens_url: str, size: int, where: str, contests: list[str]) -> int:
    """Issue a batch on the tokens page; its id (the newest row)."""
    page.goto(tokens_url)
    page.select_option("#f-booth_id", label=where)
    page.fill("#f-size", str(size))
    for title in contests:
        page.get_by_label(title, exact=True).check()
    page.click("main form button.primary:has-text('발급')")
    page.wait_for_url("**/tokens?done=issued")
    newest = page.locator("main table tbody tr").last.locator("td").first.inner_text()
    return int(re.match(r"#(\d+)", newest).group(1))


def _download_and_seal(app: Flask, page: Page, batch_id: int, folder: Path) -> list[str]:
    """Download the batch's sheets, note the codes they carry, then seal the batch."""
    with page.expect_download() as download:
        page.click(f"a[href$='/token-batches/{batch_id}/sheets.pdf']")
    saved = folder / f"batch-{batch_id}.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    with app.app_context():
        codes = [t.signed for t in batches.batch_tokens(batches.find_batch(batch_id))]
    page.click(f"form[action$='/token-batches/{batch_id}/seal'] button")
    page.wait_for_url("**/tokens?done=sealed")
    return codes


def _vote_online(
    browser: Browser, url: str, election_id: int, code: str, lang: str, choices: list[str]
) -> None:
    context = browser.new_context(
        locale="ko-KR" if lang == "ko" else "en-US",
        viewport={"width": 390, "height": 844},
        base_url=url,
    )
    page = context.new_page()
    page.goto(f"/elections/{election_id}/vote#code={code}")
    page.wait_for_url(re.compile(r"/ballot/city$"))
    for choice in choices:
        page.locator(f"input[value={choice}]").check()
    review = "투표 내용 확인" if lang == "ko" else "Review my ballot"
    page.get_by_role("button", name=review).click()  # the city-wide contest alone: its code
    page.wait_for_url(re.compile(r"/review$"))
    page.get_by_role("button", name="투표 제출" if lang == "ko" else "Cast my ballot").click()
    page.wait_for_url(re.compile(r"/receipt$"))
    context.close()


def _vote_at_kiosk(browser: Browser, url: str, provisioning: str, code: str) -> None:
    context = browser.new_context(locale="ko-KR")
    page = context.new_page()
    controlled(page, f"{url}/kiosk/")
    provision(page, provisioning)
    enter_code(page, code)
    for choice in KIOSK_CITY:
        page.check(f"input[name=choice][value={choice}]")
    page.click("form.ballot button[type=submit]")
    for choice in KIOSK_DISTRICT:
        page.check(f"input[name=choice][value={choice}]")
    page.click("form.ballot button[type=submit]")
    expect(page.locator("[data-screen=review]")).to_be_visible()
    page.click("[data-go=cast]")
    expect(page.locator("[data-live=receipt]")).to_be_visible()
    page.evaluate("window.VotesvcKiosk.sync()")
    assert page.evaluate("window.VotesvcKiosk.queue()") == []
    context.close()


def test_a_whole_election_through_the_console_and_the_citizen_pages(
    app: Flask, browser: Browser, server: str, tmp_path: Path
) -> None:
    key = _admin_key(app)
    context = browser.new_context(locale="ko-KR", base_url=server, accept_downloads=True)
    admin = context.new_page()
    _sign_in(admin, server, key)
    # build: the election with its city-wide contest and booth, the district from a .pb file
    admin.goto("/admin/elections/import")
    admin.fill("#f-document", _document())
    admin.click("main form button.primary")
    admin.wait_for_url(re.compile(r"/admin/elections/\d+$"))
    election_id = int(admin.url.rsplit("/", 1)[1])
    admin.goto(f"/admin/elections/{election_id}/contests/import-pb")
    admin.set_input_files(
        "#f-file",
        files=[{"name": "north.pb", "mimeType": "text/plain", "buffer": DISTRICT_PB.encode()}],
    )
    admin.click("main form button.primary")
    admin.wait_for_url(f"**/admin/elections/{election_id}/contests")
    assert "North district" in admin.inner_text("main")
    # open voting
    admin.goto(f"/admin/elections/{election_id}/phase")
    admin.click("main form button.primary")
    admin.wait_for_url(f"**/admin/elections/{election_id}/phase")
    assert "투표 기간" in admin.inner_text(".crumb")
    # tokens: two online ones for the city-wide contest, one at the district booth for both
    tokens_url = f"/admin/elections/{election_id}/tokens"
    online = _issue(admin, tokens_url, 2, "온라인", ["시 전체"])
    booth = _issue(admin, tokens_url, 1, "투표소: 북구 주민센터", [])
    online_codes = _download_and_seal(app, admin, online, tmp_path)
    (booth_code,) = _download_and_seal(app, admin, booth, tmp_path)
    screenshot(admin, "console-whole-tokens-ko-desktop")
    # the kiosk: provisioned from the code the console shows once
    admin.goto(f"/admin/elections/{election_id}/kiosks")
    admin.click("main form[action$='/kiosks'] button.primary")
    provisioning = admin.input_value("#provisioning-code")
    assert provisioning.startswith(f"vkp1.{election_id}.")
    # three residents vote
    for code, lang, choices in zip(online_codes, ("ko", "en"), ONLINE_BALLOTS, strict=True):
        _vote_online(browser, server, election_id, code, lang, choices)
    _vote_at_kiosk(browser, server, provisioning, booth_code)
    admin.goto(f"/admin/elections/{election_id}/participation")
    assert admin.locator("#participation tbody tr").nth(0).locator("td").nth(1).inner_text() == "2"
    assert admin.locator("#participation tbody tr").nth(1).locator("td").nth(1).inner_text() == "1"
    # close, count, publish
    admin.goto(f"/admin/elections/{election_id}/count")
    admin.click("main form[action$='/close'] button")
    admin.wait_for_url(f"**/admin/elections/{election_id}/count")
    admin.check("#f-force")
    admin.click("main form[action$='/count'] button.primary")
    admin.wait_for_url(f"**/admin/elections/{election_id}/count")
    with app.app_context():
        results.wait(results.latest_job(election_id).id)
    admin.reload()
    assert "잠정 결과" in admin.inner_text("main")
    screenshot(admin, "console-whole-count-ko-desktop")
    admin.click("main form[action$='/publish'] button")
    admin.wait_for_url(f"**/admin/elections/{election_id}/count")
    assert "공표된 결과" in admin.inner_text("main")
    # the results page's funded agendas are what `votesvc tally` counts from the .pb files
    with app.app_context():
        from votesvc.services import elections as election_service

        contests = [(c.id, c.code) for c in election_service.get_election(election_id).contests]
    assert len(contests) == 2
    public = context.new_page()
    runner = CliRunner()
    shown: dict[str, list[str]] = {}
    for contest_id, code in contests:
        public.goto(f"/elections/{election_id}/results/{code}")
        shown[code] = sorted(public.locator("tr.funded span.code").all_inner_texts())
        pb = public.request.get(
            f"/api/v1/elections/{election_id}/results/files/contests/{contest_id}/ballots.pb"
        )
        assert pb.ok
        path = tmp_path / f"{code}.pb"
        path.write_bytes(pb.body())
        tallied = runner.invoke(tally_command, [str(path), "--json"])
        assert tallied.exit_code == 0, tallied.output
        assert shown[code] == sorted(json.loads(tallied.stdout)["selected"]), code
    assert shown["city"] == ["A1", "A3"]
    assert sorted(shown.values()) == [["A1", "A3"], ["N1", "N3"]]
    verified = runner.invoke(verify_command, [f"{server}/api/v1/elections/{election_id}/results"])
    assert verified.exit_code == 0, verified.output
    context.close()
