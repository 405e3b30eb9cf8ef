"""The booth kiosk in Chromium: provisioning, offline votes, restarts, sync, staff, export."""

from __future__ import annotations

import base64
import re
import string
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.browser.kiosk_support import (
    PIN,
    RECEIPT_ID,
    controlled,
    done,
    english,
    enter_code,
    free_port,
    open_staff,
    provision,
    qr_video,
    queue,
    serve,
    vote,
)
from tests.browser.support import (
    axe_violations,
    describe_violations,
    find_chromium,
    screenshot,
)
from tests.voting_support import add_booth, booth_id, issue, open_election
from tests.voting_support import provision as provision_kiosk
from votesvc.api.errors import message
from votesvc.models import Ballot, QuarantinedBallot
from votesvc.models.base import db
from votesvc.voting import shortcodes
from votesvc.voting.tokens import (
    ONLINE,
    TOKEN_ID_BYTES,
    KioskVerifier,
    TokenClaims,
    TokenError,
    TokenIssuer,
    booth_channel,
    sign,
)
from votesvc.web.kiosk import IDLE_SECONDS, WARNING_SECONDS


def refusal(code: str) -> str:
    """A refusal's English message, as the server words it."""
    return message(code, lang="en")


OLD, NEW, OTHER = (bytes([n]) * 32 for n in (1, 2, 3))
BOOTH_A, BOOTH_B = booth_channel(7), booth_channel(8)
ELECTION = "pb2026"
CHROMIUM = find_chromium()


@pytest.fixture
def app_config() -> dict[str, Any]:
    """As the shared live server: no rate limits (the app's one limiter is configured by the
    last app built, so a kiosk test's app would turn them on under the other browser tests)
    and no mixer thread."""
    return {"RATELIMIT_ENABLED": False, "VOTESVC_MIX_INTERVAL_SECONDS": 0}


@pytest.fixture
def election_id(imported_election: Callable[..., int]) -> int:
    return open_election(imported_election)


@pytest.fixture
def booth(app: Flask, election_id: int) -> int:
    return booth_id(app, election_id)


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture
def kiosk(app: Flask, election_id: int, booth: int) -> dict[str, Any]:
    return provision_kiosk(app, election_id, booth)


@pytest.fixture
def page(browser: Browser, server: str, kiosk: dict[str, Any]) -> Iterator[Page]:
    """A kiosk page, controlled by its worker and provisioned."""
    context = browser.new_context(locale="ko-KR")
    page = context.new_page()
    controlled(page, f"{server}/kiosk/")
    provision(page, kiosk["provisioning_code"])
    yield page
    context.close()


def _b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def _stored(app: Flask) -> int:
    with app.app_context():
        return db.session.query(Ballot).count()


def test_three_ballots_offline_survive_a_reload_then_sync(
    app: Flask, page: Page, election_id: int, booth: int
) -> None:
    tokens = issue(app, election_id, 3, booth=booth)
    page.context.set_offline(True)
    receipts = []
    for token in tokens:
        receipts.append(vote(page, token.signed))
        done(page)
    assert sorted(b["id"] for b in queue(page)) == sorted(receipts)
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator("[data-screen=start] h1")).to_be_visible()
    assert len(queue(page)) == 3
    assert _stored(app) == 0
    page.context.set_offline(False)
    page.evaluate("window.VotesvcKiosk.sync()")
    assert queue(page) == []
    assert _stored(app) == 6  # two contests each


def _python_verdict(kiosk: KioskVerifier, signed: str) -> str:
    try:
        claims = kiosk.verify(signed, expected_election=ELECTION)
    except TokenError as error:
        return error.code
    return "test" if claims.test else "ok"


def _token_cases() -> list[str]:
    """The cases of tests/unit/test_tokens.py, as texts a kiosk of booth A is shown."""
    issuer = TokenIssuer([NEW, OLD])
    current = issuer.issue(ELECTION, BOOTH_A).signed
    payload, _, signature = current.rpartition(".")
    version, election, channel, token_id = payload.split(".")
    other_id = shortcodes.encode_id(bytes(TOKEN_ID_BYTES))
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    last = alphabet.index(current[-1])
    cases = [
        current,
        issuer.issue(ELECTION, BOOTH_A, test=True).signed,
        issuer.issue(ELECTION, BOOTH_A, test=True).signed.replace(".t.", "."),
        TokenIssuer([OLD]).issue(ELECTION, BOOTH_A).signed,
        issuer.issue(ELECTION, BOOTH_B).signed,
        issuer.issue(ELECTION, ONLINE).signed,
        issuer.issue("pb2025", BOOTH_A).signed,
        TokenIssuer([OTHER]).issue(ELECTION, BOOTH_A).signed,
        sign(TokenClaims(ELECTION, BOOTH_B, bytes(TOKEN_ID_BYTES)), issuer.channel_keys(BOOTH_A)),
        f"{version}.x{election}.{channel}.{token_id}.{signature}",
        f"{version}.{election}.{BOOTH_B}.{token_id}.{signature}",
        f"{version}.{election}.{channel}.{other_id}.{signature}",
        f"{version}.{election}.{channel}.{token_id}.t.{signature}",
        f"{payload}.{'A' * len(signature)}",
        *(current[:-1] + alphabet[last ^ bits] for bits in (1, 2, 3)),
        *(current[:end] for end in range(len(current))),
        *(
            current[:i] + ("A" if ch != "A" else "B") + current[i + 1 :]
            for i, ch in enumerate(current)
        ),
        "",
        "hello",
        "....",
        "v2.pb2026.booth-7.0000000000000000.sig",
        "v1.pb2026.booth-7.000000000000000.sig",
        "v1.pb2026.booth-7.UUUUUUUUUUUUUUUU.sig",
        "v1.pb2026.booth-7.0000000000000000.x.sig",
        "v1.pb2026.booth-7.0000000000000000.t.t.sig",
        "v1.pb 2026.booth-7.0000000000000000.sig",
        "v1.선거.booth-7.0000000000000000.sig",
        "v1." + "e" * 65 + ".booth-7.0000000000000000.sig",
        "v1.pb2026.booth-7.0000000000000000." + "A" * 600,
    ]
    return cases


def test_the_javascript_verifier_agrees_with_kiosk_verifier(browser: Browser, server: str) -> None:
    keys = TokenIssuer([NEW, OLD]).channel_keys(BOOTH_A)
    kiosk = KioskVerifier(BOOTH_A, keys)
    cases = _token_cases()
    expected = [_python_verdict(kiosk, case) for case in cases]
    assert {"ok", "test", "token_wrong_channel", "token_wrong_election"} <= set(expected)
    assert {"token_bad_signature", "token_malformed"} <= set(expected)
    page = browser.new_page()
    page.goto(f"{server}/kiosk/")
    verdicts = page.evaluate(
        """([channel, election, keys, cases]) => {
            const verify = window.VotesvcKiosk.makeVerifier(channel, election, keys);
            return Promise.all(cases.map(c => verify(c).then(
                r => r.error || (r.test ? "test" : "ok"))));
        }""",
        [BOOTH_A, ELECTION, [_b64(key) for key in keys], cases],
    )
    page.close()
    assert dict(zip(cases, verdicts, strict=True)) == dict(zip(cases, expected, strict=True))


def test_the_same_code_twice_and_forged_codes_are_refused_offline(
    app: Flask, page: Page, election_id: int, booth: int, kiosk: dict[str, Any]
) -> None:
    token = issue(app, election_id, 1, booth=booth)[0]
    other_booth = add_booth(app, election_id, "b2")
    page.context.set_offline(True)
    vote(page, token.signed)
    done(page)
    error = page.locator("[data-live=code-error]")
    enter_code(page, token.signed)
    expect(error).to_have_text("이 투표 코드는 이 키오스크에서 이미 사용되었습니다.")
    enter_code(page, token.short_code)
    expect(error).to_have_text("이 투표 코드는 이 키오스크에서 이미 사용되었습니다.")
    fresh = issue(app, election_id, 1, booth=booth)[0].signed
    forged = fresh[:-3] + ("AAA" if not fresh.endswith("AAA") else "BBB")
    elsewhere = issue(app, election_id, 1, booth=other_booth)[0].signed
    for refused in (forged, elsewhere, "v1.nonsense"):
        enter_code(page, refused)
        expect(error).not_to_be_empty()
        expect(page.locator("[data-screen=start]")).to_be_visible()
    assert len(queue(page)) == 1


def test_a_typed_short_code_is_only_typo_checked_and_the_server_decides(
    app: Flask, page: Page, election_id: int, booth: int
) -> None:
    token = issue(app, election_id, 1, booth=booth)[0]
    page.context.set_offline(True)
    code = token.short_code
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    enter_code(page, typo)
    expect(page.locator("[data-live=code-error]")).to_contain_text("용지의 코드와 비교")
    vote(page, code.lower())
    done(page)
    page.context.set_offline(False)
    page.evaluate("window.VotesvcKiosk.sync()")
    assert queue(page) == [] and _stored(app) == 2


def test_idle_voter_is_warned_then_the_screen_clears(
    browser: Browser, server: str, kiosk: dict[str, Any], app: Flask, election_id: int, booth: int
) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.clock.install()
    controlled(page, f"{server}/kiosk/")
    provision(page, kiosk["provisioning_code"])
    english(page)
    entries = page.evaluate("history.length")
    token = issue(app, election_id, 1, booth=booth)[0]
    enter_code(page, token.signed)
    page.check("input[name=choice][value=A1]")
    page.clock.run_for(IDLE_SECONDS * 1000 + 500)
    warning = page.locator("[data-screen=idle]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("seconds")
    screenshot(page, "kiosk-idle-warning")
    page.clock.run_for((WARNING_SECONDS + 1) * 1000)
    expect(page.locator("[data-screen=start] h1")).to_have_text("여기에서 투표하세요")  # default
    assert page.locator("input[name=choice]").count() == 0
    assert page.evaluate("history.length") == entries
    assert queue(page) == []
    context.close()


def test_two_kiosks_one_token_offline_one_accepted_one_quarantined_and_shown(
    app: Flask, browser: Browser, server: str, page: Page, election_id: int, booth: int
) -> None:
    second_kiosk = provision_kiosk(app, election_id, booth)
    other = browser.new_context(locale="ko-KR")
    second = other.new_page()
    controlled(second, f"{server}/kiosk/")
    provision(second, second_kiosk["provisioning_code"])
    token = issue(app, election_id, 1, booth=booth)[0]
    for kiosk_page in (page, second):
        kiosk_page.context.set_offline(True)
        vote(kiosk_page, token.signed)
        done(kiosk_page)
        kiosk_page.context.set_offline(False)
    page.evaluate("window.VotesvcKiosk.sync()")
    second.evaluate("window.VotesvcKiosk.sync()")
    assert queue(page) == [] and queue(second) == []
    assert _stored(app) == 2
    with app.app_context():
        assert [q.reason for q in db.session.query(QuarantinedBallot)] == ["token_already_used"]
    open_staff(second)
    refused = second.locator("[data-live=refused] li")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("token_already_used")
    expect(second.locator("[data-live=queue]")).to_have_text("0")
    screenshot(second, "kiosk-staff-refused")
    other.close()


def test_export_then_admin_upload(
    app: Flask,
    client: FlaskClient,
    admin_headers: dict[str, str],
    page: Page,
    election_id: int,
    booth: int,
) -> None:
    tokens = issue(app, election_id, 2, booth=booth)
    page.context.set_offline(True)
    for token in tokens:
        vote(page, token.signed)
        done(page)
    open_staff(page)
    with page.expect_download() as download:
        page.click("[data-go=export]")
    text = Path(download.value.path()).read_text("utf-8")
    path = f"/api/v1/admin/elections/{election_id}/booths/{booth}/kiosk-exports"
    headers = {**admin_headers, "Content-Type": "application/json"}
    answer = client.post(path, data=text.encode(), headers=headers)
    assert answer.get_json()["counts"] == {"accepted": 2}
    edited = text.replace("A3", "A2")
    assert client.post(path, data=edited.encode(), headers=headers).status_code == 422
    assert _stored(app) == 4
    page.context.set_offline(False)
    page.evaluate("window.VotesvcKiosk.sync()")  # the kiosk syncs later: nothing twice
    assert queue(page) == [] and _stored(app) == 4


def test_a_kiosk_clock_ahead_of_the_server_shows_a_banner(
    browser: Browser, server: str, kiosk: dict[str, Any]
) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.clock.install(time=datetime.now(UTC) + timedelta(minutes=9))
    page.clock.resume()
    controlled(page, f"{server}/kiosk/")
    provision(page, kiosk["provisioning_code"])
    english(page)
    banner = page.locator("[data-live=banner]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("9 minutes")
    context.close()


def test_the_queue_survives_a_browser_restart_with_no_network(
    app: Flask, playwright: Playwright, tmp_path: Path, election_id: int, booth: int
) -> None:
    kiosk = provision_kiosk(app, election_id, booth)
    tokens = issue(app, election_id, 3, booth=booth)
    profile = tmp_path / "profile"
    port = free_port()
    with serve(app, port) as server:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), locale="ko-KR"
        )
        page = context.pages[0]
        controlled(page, f"{server}/kiosk/")
        provision(page, kiosk["provisioning_code"])
        context.set_offline(True)
        receipts = sorted(vote_and_leave(page, token.signed) for token in tokens)
        context.close()
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=str(CHROMIUM), locale="ko-KR", offline=True
    )
    page = context.pages[0]
    response = page.goto(f"http://127.0.0.1:{port}/kiosk/")
    assert response is not None and response.from_service_worker
    expect(page.locator("[data-screen=start] h1")).to_be_visible()
    assert sorted(b["id"] for b in queue(page)) == receipts
    with serve(app, port):
        context.set_offline(False)
        page.evaluate("window.VotesvcKiosk.sync()")
        assert queue(page) == []
    context.close()
    assert _stored(app) == 6


def vote_and_leave(page: Page, code: str) -> str:
    receipt = vote(page, code)
    done(page)
    return receipt


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_kiosk_screen_passes_axe(
    app: Flask, browser: Browser, server: str, election_id: int, booth: int, lang: str
) -> None:
    kiosk = provision_kiosk(app, election_id, booth)
    context = browser.new_context(locale="ko-KR", viewport={"width": 1024, "height": 1366})
    page = context.new_page()
    controlled(page, f"{server}/kiosk/")
    seen = {"provision": describe_violations(axe_violations(page))}
    screenshot(page, f"kiosk-provision-{lang}")
    provision(page, kiosk["provisioning_code"])
    if lang == "en":
        english(page)

    def look(name: str) -> None:
        seen[name] = describe_violations(axe_violations(page))
        screenshot(page, f"kiosk-{name}-{lang}")

    look("start")
    enter_code(page, issue(app, election_id, 1, booth=booth)[0].signed)
    page.check("input[name=choice][value=A1]")
    look("step-knapsack")
    page.click("form.ballot button[type=submit]")
    page.fill("[name=points-N1]", "6")
    page.fill("[name=points-N2]", "6")
    page.click("form.ballot button[type=submit]")
    expect(page.locator("[data-live=problems]")).to_be_visible()
    look("step-problem")
    page.fill("[name=points-N2]", "4")
    page.click("form.ballot button[type=submit]")
    look("review")
    page.click("[data-go=cast]")
    expect(page.locator("[data-live=receipt]")).to_be_visible()
    look("receipt")
    done(page)
    open_staff(page)
    look("staff")
    context.close()
    assert seen == {name: "" for name in seen}


def test_a_wrong_provisioning_code_is_refused_and_nothing_is_kept(
    browser: Browser, server: str, kiosk: dict[str, Any]
) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(f"{server}/kiosk/")
    error = page.locator("[data-live=provision-error]")
    forged = kiosk["provisioning_code"][:-4] + "AAAA"
    for code, words in (("hello", "not a provisioning code"), (forged, "did not accept")):
        page.fill("#provision-code", code)
        page.fill("#pin-new", "246813")
        page.fill("#pin-again", "246813")
        page.click("#provision-form button[type=submit]")
        expect(error).to_contain_text(words)
    page.fill("#provision-code", kiosk["provisioning_code"])
    page.fill("#pin-again", "246814")
    page.click("#provision-form button[type=submit]")
    expect(error).to_contain_text("at least 6 digits")
    page.reload()
    expect(page.locator("#provision")).to_be_visible()
    context.close()


@pytest.mark.parametrize("forged", [False, True])
def test_a_sheet_scanned_by_the_camera(
    playwright: Playwright,
    server: str,
    kiosk: dict[str, Any],
    app: Flask,
    election_id: int,
    booth: int,
    tmp_path: Path,
    forged: bool,
) -> None:
    """jsQR reads the camera: a genuine sheet opens the ballot, an edited one is refused."""
    signed = issue(app, election_id, 1, booth=booth)[0].signed
    if forged:
        signed = signed[:-2] + ("AA" if not signed.endswith("AA") else "BB")
    video = qr_video(signed, tmp_path / "sheet.y4m")
    camera = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    context = camera.new_context(locale="en-GB", permissions=["camera"])
    page = context.new_page()
    controlled(page, f"{server}/kiosk/")
    provision(page, kiosk["provisioning_code"])
    english(page)
    page.click("[data-screen=start] [data-scan]")
    if forged:
        expect(page.locator("[data-live=code-error]")).to_contain_text(
            "not genuine", timeout=15_000
        )
    else:
        expect(page.locator("form.ballot")).to_be_visible(timeout=15_000)
    expect(page.locator("[data-scanner]").first).to_be_hidden()
    camera.close()


def test_the_staff_dry_run_asks_the_server_when_online_and_says_so_when_not(
    app: Flask, page: Page, election_id: int, booth: int
) -> None:
    (test_code,) = issue(app, election_id, 1, booth=booth, test=True)
    (real,) = issue(app, election_id, 1, booth=booth)
    english(page)
    open_staff(page)
    here, server = page.locator("[data-live=dry-run]"), page.locator("[data-live=dry-run-server]")

    def dry_run(code: str) -> None:
        page.fill("#dry-run", code)
        page.click("[data-form=dry-run] button[type=submit]")

    dry_run(test_code.signed)
    expect(here).to_have_text("This kiosk, offline: Valid test code of this booth.")
    expect(server).to_contain_text("The server: a test code of this booth")
    dry_run(real.signed)
    expect(server).to_contain_text("would be accepted now")
    dry_run(real.signed[:-2] + ("AA" if not real.signed.endswith("AA") else "BB"))
    expect(here).to_contain_text("This kiosk, offline: ")
    expect(server).to_have_text("The server: " + refusal("token_bad_signature"))
    assert _stored(app) == 0
    page.context.set_offline(True)
    dry_run(real.short_code)
    expect(here).to_contain_text("A typed code can only be checked for typos here")
    expect(server).to_have_text("The server was not asked: this kiosk is offline.")


def test_the_review_shows_the_total_cost_against_the_budget(
    app: Flask, page: Page, election_id: int, booth: int
) -> None:
    (token,) = issue(app, election_id, 1, booth=booth)
    english(page)
    enter_code(page, token.signed)
    page.check("input[name=choice][value=A1]")
    page.check("input[name=choice][value=A3]")
    page.click("form.ballot button[type=submit]")
    page.fill("[name=points-N1]", "6")
    page.click("form.ballot button[type=submit]")
    totals = page.locator("[data-screen=review] p.total")
    expect(totals).to_have_count(1)  # the city's agendas cost money; points are not spent
    expect(totals).to_have_text("Total cost of your choices: KRW 700,000 · Budget: KRW 1,000,000")


def test_wrong_pins_lock_the_panel_for_longer_each_time_even_across_a_reload(
    browser: Browser, server: str, kiosk: dict[str, Any]
) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.clock.install()
    controlled(page, f"{server}/kiosk/")
    provision(page, kiosk["provisioning_code"])
    english(page)
    error, wait = page.locator("[data-live=pin-error]"), page.locator("[data-live=pin-wait]")

    def try_pin(pin: str) -> None:
        page.fill("#pin", pin)
        page.click("[data-form=pin] button[type=submit]")

    page.click("[data-go=pin]")
    for attempt in range(1, 5):
        try_pin(f"00000{attempt}")
        expect(error).to_have_text("That PIN is not right.")
        expect(wait).to_be_hidden()
        error.evaluate("e => { e.textContent = ''; }")
    try_pin("000005")
    expect(error).to_have_text("Too many wrong PINs: the staff panel is locked for a while.")
    expect(wait).to_have_text("Try again in 0 min 30 s.")
    page.clock.run_for(10_000)
    expect(wait).to_have_text(re.compile(r"Try again in 0 min (20|19) s\."))
    try_pin(PIN)  # the right PIN, refused while locked
    expect(page.locator("[data-screen=staff]")).to_be_hidden()
    expect(error).to_have_text("Too many wrong PINs: the staff panel is locked for a while.")

    page.reload()  # the lock is kept in IndexedDB
    english(page)
    page.click("[data-go=pin]")
    expect(error).to_have_text("Too many wrong PINs: the staff panel is locked for a while.")
    expect(wait).to_contain_text("Try again in 0 min")
    page.clock.run_for(31_000)
    expect(wait).to_be_hidden()
    try_pin("999999")  # one more wrong PIN after the lock: twice as long
    expect(wait).to_have_text("Try again in 1 min 0 s.")
    page.clock.run_for(61_000)
    try_pin(PIN)
    expect(page.locator("[data-screen=staff]")).to_be_visible(timeout=10_000)
    context.close()


def test_a_voter_switches_language_mid_ballot_and_the_next_voter_starts_in_korean(
    app: Flask, page: Page, election_id: int, booth: int
) -> None:
    (token,) = issue(app, election_id, 1, booth=booth)
    enter_code(page, token.signed)
    page.check("input[name=choice][value=A1]")
    page.click(".langs [data-lang=en]")  # on the ballot's step, not only the start screen
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("form.ballot button[type=submit]")).to_have_text("Next")
    expect(page.locator("input[name=choice][value=A1]")).to_be_checked()  # the marks stay
    page.check("input[name=choice][value=A3]")
    page.click("form.ballot button[type=submit]")
    page.fill("[name=points-N1]", "6")
    page.click("form.ballot button[type=submit]")
    expect(page.locator("[data-screen=review] h1")).to_have_text("Review your ballot")
    page.click(".langs [data-lang=ko]")
    expect(page.locator("[data-screen=review] h1")).to_have_text("투표 내용 확인")
    page.click(".langs [data-lang=en]")
    page.click("[data-go=cast]")
    expect(page.locator("[data-live=receipt-title]")).to_have_text("Your ballot is recorded")
    # the receipt id is filled after the title: wait for it before reading it
    expect(page.locator("[data-live=receipt]")).to_have_text(RECEIPT_ID)
    receipt = page.locator("[data-live=receipt]").inner_text()
    page.click(".langs [data-lang=ko]")
    expect(page.locator("[data-live=receipt]")).to_have_text(receipt)
    done(page)
    expect(page.locator("[data-screen=start] h1")).to_have_text("여기에서 투표하세요")
    (ballot,) = queue(page)
    assert ballot["selections"]["city"] == {"choices": ["A1", "A3"]}


def test_staff_set_the_booths_default_language(page: Page) -> None:
    open_staff(page)
    page.check("#default-en")
    page.click("[data-form=language] button[type=submit]")
    expect(page.locator("[data-live=language-saved]")).to_contain_text("English")
    page.click("[data-screen=staff] [data-go=done]")
    expect(page.locator("[data-screen=start] h1")).to_have_text("Vote here")
    english(page)  # already English: the voter's buttons still work
    page.click(".langs [data-lang=ko]")
    expect(page.locator("[data-screen=start] h1")).to_have_text("여기에서 투표하세요")
    page.reload()  # the next voter: the booth's default again
    expect(page.locator("[data-screen=start] h1")).to_have_text("Vote here")


def test_a_kiosk_provisioned_in_english_starts_voters_in_english(
    browser: Browser, server: str, kiosk: dict[str, Any]
) -> None:
    context = browser.new_context(locale="ko-KR")
    page = context.new_page()
    controlled(page, f"{server}/kiosk/")
    page.select_option("#provision-lang", "en")
    page.fill("#provision-code", kiosk["provisioning_code"])
    page.fill("#pin-new", PIN)
    page.fill("#pin-again", PIN)
    page.click("#provision-form button[type=submit]")
    expect(page.locator("[data-screen=start] h1")).to_have_text("Vote here", timeout=20_000)
    context.close()
