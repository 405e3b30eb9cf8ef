"""The voter's way in Chromium: Korean and English, phone and desktop, keyboard, no JavaScript,
and axe-core on every page. Ballots cast here are read back through the API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer
from tests.browser.support import assert_accessible, screenshot
from tests.voting_support import issue, window
from tests.web.page_support import PAGE_CONTESTS
from votesvc.services import importing
from votesvc.voting.tokens import IssuedToken


@dataclass(frozen=True)
class Ballots:
    """The page tests' election on the live server: a knapsack (city), points (north) and a
    ranked contest (mayor), with codes issued on demand."""

    live: Ballots
    election_id: int

    @property
    def url(self) -> str:
        return self.live.url

    @property
    def app(self) -> Any:
        return self.live.app

    def codes(self, count: int = 1, **kwargs: Any) -> list[IssuedToken]:
        return issue(self.live.app, self.election_id, count, **kwargs)


@pytest.fixture(scope="session")
def ballots(live_server: LiveServer) -> Ballots:
    document = {
        "slug": "pages",
        "name_ko": "브라우저 시험 선거",
        "name_en": "Browser test election",
    }
    document |= {"timezone": "Asia/Seoul", "contests": PAGE_CONTESTS, "phase": "voting"}
    with live_server.app.app_context():
        parsed = importing.parse_election_document({**document, **window()})
        return Ballots(live_server, importing.import_election(parsed).id)


def path(live: Ballots, tail: str = "") -> str:
    return f"{live.url}/elections/{live.election_id}{tail}"


def start(page: Any, live: Ballots, code: str) -> None:
    """Open the voting link: the code after ``#`` is moved into the form and posted."""
    page.goto(path(live, f"/vote#code={code}"))
    page.wait_for_url(re.compile(r"/ballot/city$"))


def cast_one(page: Any, live: Ballots, code: str) -> None:
    """A Korean page votes for one city agenda with ``code`` and reaches its receipt."""
    start(page, live, code)
    page.locator("input[value=A3]").check()
    page.get_by_role("button", name="다음").click()
    page.goto(path(live, "/review"))
    page.get_by_role("button", name="투표 제출").click()
    page.wait_for_url(re.compile(r"/receipt$"))


def receipt_of(page: Any) -> str:
    return page.locator(".receipt-code").inner_text().strip()


def recorded(live: Ballots, receipt: str) -> list[str]:
    client = live.app.test_client()
    answer = client.post(
        f"/api/v1/elections/{live.election_id}/receipt-check", json={"receipt": receipt}
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["contests"]


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        ("ko", ("가로등", "도서관", "다음", "투표 내용 확인", "투표 제출")),
        ("en", ("A1", "A3", "Next", "Review my ballot", "Cast my ballot")),
    ],
)
def test_a_whole_vote_on_a_phone(
    open_page: Any, ballots: Ballots, lang: str, names: tuple[str, ...]
) -> None:
    (token,) = ballots.codes()
    page = open_page("phone", lang)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    start(page, ballots, token.signed)
    assert "#" not in page.url
    first, second, next_label, review_label, cast_label = names
    if lang == "ko":
        page.get_by_label(first).check()
        page.get_by_label(second).check()
    else:  # the test election's city agendas have Korean titles only: boxes by value
        page.locator("input[value=A1]").check()
        page.locator("input[value=A3]").check()
    screenshot(page, f"ballot-knapsack-{lang}-390")
    page.get_by_role("button", name=next_label).click()
    page.wait_for_url(re.compile(r"/ballot/north$"))
    page.locator("input[name=points-N1]").fill("6")
    page.locator("input[name=points-N2]").fill("4")
    page.get_by_role("button", name=next_label).click()
    page.wait_for_url(re.compile(r"/ballot/mayor$"))
    page.locator("select[name=rank-R2]").select_option("1")
    page.get_by_role("button", name=review_label).click()
    page.wait_for_url(re.compile(r"/review$"))
    screenshot(page, f"review-{lang}-390")
    page.get_by_role("button", name=cast_label).click()
    page.wait_for_url(re.compile(r"/receipt$"))
    screenshot(page, f"receipt-{lang}-390")
    assert recorded(ballots, receipt_of(page)) == ["city", "north", "mayor"]
    assert not [m for m in messages if "Content Security Policy" in m or "Refused" in m]


def test_the_knapsack_meter_blocks_what_no_longer_fits(open_page: Any, ballots: Ballots) -> None:
    (token,) = ballots.codes()
    page = open_page("phone", "en")
    start(page, ballots, token.signed)
    page.locator("input[value=A2]").check()  # 700,000 of 1,000,000
    meter = page.locator("[data-live=status]")
    assert "KRW 300,000 left of KRW 1,000,000" in meter.inner_text()
    assert meter.get_attribute("aria-live") == "polite"
    lamps = page.locator("input[value=A1]")  # 400,000 no longer fits
    expect(lamps).to_have_attribute("aria-disabled", "true")
    assert lamps.evaluate("box => !box.disabled")  # aria-disabled only: still focusable
    assert "KRW 100,000 more than is left" in page.locator("li[data-code=A1] .why").inner_text()
    page.locator("li[data-code=A1] label").click(force=True)  # past Playwright's own refusal
    expect(lamps).not_to_be_checked()  # choosing it is refused
    expect(page.locator("input[value=A3]")).not_to_have_attribute("aria-disabled", "true")
    screenshot(page, "ballot-knapsack-over-en-390")
    page.locator("input[value=A2]").uncheck()
    expect(lamps).not_to_have_attribute("aria-disabled", "true")
    lamps.check()
    expect(lamps).to_be_checked()


def test_an_agenda_that_no_longer_fits_is_reached_by_tab_and_says_why(
    open_page: Any, ballots: Ballots
) -> None:
    (token,) = ballots.codes()
    page = open_page("desktop", "en")
    start(page, ballots, token.signed)
    page.locator("input[value=A2]").check()
    page.locator("input[value=A2]").focus()
    page.keyboard.press("Shift+Tab")  # A1's "About this agenda"
    page.keyboard.press("Shift+Tab")  # A1's box, which no longer fits: still in the tab order
    lamps = page.locator("input[value=A1]")
    expect(lamps).to_be_focused()
    expect(lamps).to_have_accessible_description(re.compile("KRW 100,000 more than is left"))
    page.keyboard.press("Space")
    expect(lamps).not_to_be_checked()
    assert_accessible(page)


def test_the_approval_counter_stops_at_the_maximum(
    open_page: Any, live_server: LiveServer, voting_codes: Any
) -> None:
    """The demo's city-wide contest: up to 5 of 11 agendas."""
    (token,) = voting_codes(1)
    page = open_page("phone", "en")
    page.goto(live_server.voting_page.link(token.signed))
    page.wait_for_url(re.compile(r"/ballot/city$"))
    boxes = page.locator("input[name=choice]")
    for index in range(5):
        boxes.nth(index).check()
        assert f"{index + 1} of 5 chosen" in page.locator("[data-live=status]").inner_text()
    expect(boxes.nth(5)).to_have_attribute("aria-disabled", "true")
    expect(boxes.nth(10)).to_have_attribute("aria-disabled", "true")
    expect(boxes.nth(5)).to_have_accessible_description(re.compile("5 already chosen"))
    boxes.nth(5).focus()
    page.keyboard.press("Space")
    expect(boxes.nth(5)).not_to_be_checked()
    boxes.nth(0).uncheck()
    expect(boxes.nth(5)).not_to_have_attribute("aria-disabled", "true")
    assert "4 of 5 chosen" in page.locator("[data-live=status]").inner_text()


def test_an_over_budget_ballot_without_javascript_is_refused_with_the_reason(
    open_page: Any, ballots: Ballots
) -> None:
    (token,) = ballots.codes()
    page = open_page("phone", "ko", javascript=False)
    page.goto(path(ballots, "/vote"))
    page.get_by_label("투표 코드").fill(token.short_code)
    page.get_by_role("button", name="계속").click()
    page.wait_for_url(re.compile(r"/ballot/city$"))
    page.locator("input[value=A1]").check()
    page.locator("input[value=A2]").check()
    page.get_by_role("button", name="다음").click()
    alert = page.get_by_role("alert")
    assert "사업비 합계" in alert.inner_text() and "넘습니다" in alert.inner_text()
    screenshot(page, "ballot-over-budget-nojs-ko-390")
    page.locator("input[value=A2]").uncheck()
    page.get_by_role("button", name="다음").click()
    page.wait_for_url(re.compile(r"/ballot/north$"))
    page.locator("input[name=points-N1]").fill("10")
    page.get_by_role("button", name="다음").click()
    assert "6점까지" in page.locator("li[data-code=N1] .error").inner_text()
    page.locator("input[name=points-N1]").fill("6")
    page.get_by_role("button", name="다음").click()
    page.wait_for_url(re.compile(r"/ballot/mayor$"))
    page.get_by_role("button", name="투표 내용 확인").click()
    page.get_by_role("button", name="투표 제출").click()
    page.wait_for_url(re.compile(r"/receipt$"))
    assert recorded(ballots, receipt_of(page)) == ["city", "north"]


def test_points_with_the_buttons(open_page: Any, ballots: Ballots) -> None:
    (token,) = ballots.codes()
    page = open_page("phone", "en")
    start(page, ballots, token.signed)
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(r"/ballot/north$"))
    more = page.get_by_role("button", name="One point more: Safe school routes")
    for _ in range(7):
        more.click()
    assert page.locator("input[name=points-N1]").input_value() == "6"  # capped at the maximum
    page.get_by_role("button", name="One point more: Small theatres").click()
    assert "3 of 10 points left" in page.locator("[data-live=status]").inner_text()
    page.get_by_role("button", name="One point less: Small theatres").click()
    assert "4 of 10 points left" in page.locator("[data-live=status]").inner_text()
    screenshot(page, "ballot-points-en-390")


def test_a_ranked_ballot_by_keyboard_only(open_page: Any, ballots: Ballots) -> None:
    (token,) = ballots.codes(contests=["mayor"])
    page = open_page("desktop", "en")
    page.goto(path(ballots, "/vote"))
    page.keyboard.press("Tab")  # the skip link first
    focused = page.evaluate("() => document.activeElement.className")
    assert focused == "skip"
    page.locator("#code").focus()
    page.keyboard.type(token.short_code)
    assert "complete" in page.locator("#code-check").inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/ballot/mayor$"))
    for code, presses in (("R3", 1), ("R1", 2), ("R4", 3)):  # ArrowDown n times: "Rank n"
        page.locator(f"select[name=rank-{code}]").focus()
        for _ in range(presses):
            page.keyboard.press("ArrowDown")
    assert "3 of 3 chosen" in page.locator("[data-live=status]").inner_text()
    submit = page.get_by_role("button", name="Review my ballot")
    submit.focus()
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # a visible focus
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/review$"))
    text = page.locator("main").inner_text()
    assert text.index("Park") < text.index("Playground") < text.index("Car park")
    page.get_by_role("button", name="Cast my ballot").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/receipt$"))
    assert recorded(ballots, receipt_of(page)) == ["mayor"]


def test_a_typo_is_caught_as_the_code_is_typed(open_page: Any, ballots: Ballots) -> None:
    (token,) = ballots.codes()
    code = token.short_code.replace("-", "")
    typo = code[:3] + ("1" if code[3] != "1" else "2") + code[4:]
    page = open_page("phone", "ko")
    page.goto(path(ballots, "/vote"))
    page.locator("#code").fill(typo)
    assert "잘못 입력한 글자" in page.locator("#code-check").inner_text()
    assert page.locator("#code").get_attribute("aria-invalid") == "true"
    page.locator("#code").fill(code.lower())
    assert "모두 입력" in page.locator("#code-check").inner_text()


def test_a_used_code_is_refused_with_its_page(open_page: Any, ballots: Ballots) -> None:
    (token,) = ballots.codes()
    page = open_page("phone", "ko")
    cast_one(page, ballots, token.signed)
    again = open_page("phone", "en")
    again.goto(path(ballots, f"/vote#code={token.signed}"))
    again.wait_for_load_state("networkidle")
    assert "already used" in again.locator("h1").inner_text()
    assert "tell the election office" in again.locator("main").inner_text()
    screenshot(again, "refusal-used-en-390")


def test_leaving_a_half_filled_step_asks_first(open_page: Any, ballots: Ballots) -> None:
    (token,) = ballots.codes()
    page = open_page("phone", "en")
    start(page, ballots, token.signed)
    page.locator("input[value=A3]").check()
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.locator("a.brand").click()
    assert asked == ["beforeunload"]
    assert page.url.endswith("/ballot/city")


def test_the_receipt_check_page(open_page: Any, ballots: Ballots) -> None:
    (token,) = ballots.codes()
    page = open_page("phone", "ko")
    cast_one(page, ballots, token.signed)
    receipt = receipt_of(page)
    page.get_by_role("link", name="접수 번호 확인").click()
    page.get_by_label("접수 번호").fill(receipt)
    page.get_by_role("button", name="확인", exact=True).click()
    status = page.get_by_role("status")
    assert "기록됨" in status.inner_text() and "(Asia/Seoul)" in status.inner_text()
    shown = page.locator("main").inner_text()  # what the page says, not its form values
    assert "A3" not in shown and "도서관" not in shown
    screenshot(page, "receipt-check-ko-390")


PAGES = ["", "/vote", "/receipt-check", "/claim"]


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_every_page_passes_axe(open_page: Any, ballots: Ballots, lang: str, viewport: str) -> None:
    """Each page, and each state a voter meets (steps of every ballot type, problems shown,
    review, receipt, a refusal), with no axe violation of any impact."""
    page = open_page(viewport, lang)
    for tail in PAGES:
        page.goto(path(ballots, tail))
        assert_accessible(page)
    page.goto(f"{ballots.url}/")
    assert_accessible(page)
    page.goto(f"{ballots.url}/nowhere")
    assert_accessible(page)
    (token,) = ballots.codes()
    start(page, ballots, token.signed)
    page.locator("input[value=A3]").check()
    page.locator("form.ballot button.primary").click()
    page.wait_for_url(re.compile(r"/ballot/north$"))
    for step in ("city", "north", "mayor"):
        page.goto(path(ballots, f"/ballot/{step}"))
        assert_accessible(page)
    page.goto(path(ballots, "/ballot/north"))
    page.locator("input[name=points-N1]").fill("9")
    page.locator("form.ballot button.primary").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.goto(path(ballots, "/review"))
    assert_accessible(page)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/receipt$"))
    assert_accessible(page)


def test_no_horizontal_scroll_at_200_percent_zoom(open_page: Any, ballots: Ballots) -> None:
    """200 % zoom of a 390 px phone is a 195 px wide layout."""
    (token,) = ballots.codes()
    page = open_page("phone", "ko")
    page.set_viewport_size({"width": 195, "height": 422})
    start(page, ballots, token.signed)
    for tail in ("/ballot/city", "/ballot/north", "/ballot/mayor", "/review", "", "/vote"):
        page.goto(path(ballots, tail))
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= 195, f"{tail}: {wide} px wide"
