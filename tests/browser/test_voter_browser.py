"""The voter's way in Chromium: Korean and English, phone and desktop, keyboard, no JavaScript,
and axe-core on every page. Ballots cast here are read back through the API."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, screenshot


def path(live: LiveServer, tail: str = "") -> str:
    return f"{live.url}/elections/{live.election_id}{tail}"


def start(page: Any, live: LiveServer, code: str) -> None:
    """Open the voting link: the code after ``#`` is moved into the form and posted."""
    page.goto(path(live, f"/vote#code={code}"))
    page.wait_for_url(re.compile(r"/ballot/city$"))


def receipt_of(page: Any) -> str:
    return page.locator(".receipt-code").inner_text().strip()


def recorded(live: LiveServer, receipt: str) -> list[str]:
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
    new_page: Any, live_server: LiveServer, lang: str, names: tuple[str, ...]
) -> None:
    (token,) = live_server.codes()
    page = new_page(lang)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    start(page, live_server, token.signed)
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
    assert recorded(live_server, receipt_of(page)) == ["city", "north", "mayor"]
    assert not [m for m in messages if "Content Security Policy" in m or "Refused" in m]


def test_the_knapsack_meter_blocks_what_no_longer_fits(
    new_page: Any, live_server: LiveServer
) -> None:
    (token,) = live_server.codes()
    page = new_page("en")
    start(page, live_server, token.signed)
    page.locator("input[value=A2]").check()  # 700,000 of 1,000,000
    meter = page.locator("[data-live=status]")
    assert "KRW 300,000 left of KRW 1,000,000" in meter.inner_text()
    assert meter.get_attribute("aria-live") == "polite"
    lamps = page.locator("input[value=A1]")  # 400,000 no longer fits
    assert lamps.is_disabled()
    assert "KRW 100,000 more than is left" in page.locator("li[data-code=A1] .why").inner_text()
    assert page.locator("input[value=A3]").is_enabled()  # 300,000 still fits
    screenshot(page, "ballot-knapsack-over-en-390")
    page.locator("input[value=A2]").uncheck()
    assert lamps.is_enabled()


def test_an_over_budget_ballot_without_javascript_is_refused_with_the_reason(
    new_page: Any, live_server: LiveServer
) -> None:
    (token,) = live_server.codes()
    page = new_page("ko", javascript=False)
    page.goto(path(live_server, "/vote"))
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
    assert recorded(live_server, receipt_of(page)) == ["city", "north"]


def test_points_with_the_buttons(new_page: Any, live_server: LiveServer) -> None:
    (token,) = live_server.codes()
    page = new_page("en")
    start(page, live_server, token.signed)
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


def test_a_ranked_ballot_by_keyboard_only(new_page: Any, live_server: LiveServer) -> None:
    (token,) = live_server.codes(contests=["mayor"])
    page = new_page("en", DESKTOP)
    page.goto(path(live_server, "/vote"))
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
    assert recorded(live_server, receipt_of(page)) == ["mayor"]


def test_a_typo_is_caught_as_the_code_is_typed(new_page: Any, live_server: LiveServer) -> None:
    (token,) = live_server.codes()
    code = token.short_code.replace("-", "")
    typo = code[:3] + ("1" if code[3] != "1" else "2") + code[4:]
    page = new_page("ko")
    page.goto(path(live_server, "/vote"))
    page.locator("#code").fill(typo)
    assert "잘못 입력한 글자" in page.locator("#code-check").inner_text()
    assert page.locator("#code").get_attribute("aria-invalid") == "true"
    page.locator("#code").fill(code.lower())
    assert "모두 입력" in page.locator("#code-check").inner_text()


def test_a_used_code_is_refused_with_its_page(new_page: Any, live_server: LiveServer) -> None:
    (token,) = live_server.codes()
    page = new_page("ko")
    start(page, live_server, token.signed)
    page.locator("input[value=A3]").check()
    page.get_by_role("button", name="다음").click()
    page.goto(path(live_server, "/review"))
    page.get_by_role("button", name="투표 제출").click()
    page.wait_for_url(re.compile(r"/receipt$"))
    again = new_page("en")
    again.goto(path(live_server, f"/vote#code={token.signed}"))
    again.wait_for_load_state("networkidle")
    assert "already used" in again.locator("h1").inner_text()
    assert "tell the election office" in again.locator("main").inner_text()
    screenshot(again, "refusal-used-en-390")


def test_leaving_a_half_filled_step_asks_first(new_page: Any, live_server: LiveServer) -> None:
    (token,) = live_server.codes()
    page = new_page("en")
    start(page, live_server, token.signed)
    page.locator("input[value=A3]").check()
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.locator("a.brand").click()
    assert asked == ["beforeunload"]
    assert page.url.endswith("/ballot/city")


def test_the_receipt_check_page(new_page: Any, live_server: LiveServer) -> None:
    (token,) = live_server.codes()
    page = new_page("ko")
    start(page, live_server, token.signed)
    page.locator("input[value=A3]").check()
    page.get_by_role("button", name="다음").click()
    page.goto(path(live_server, "/review"))
    page.get_by_role("button", name="투표 제출").click()
    page.wait_for_url(re.compile(r"/receipt$"))
    receipt = receipt_of(page)
    page.get_by_role("link", name="접수 번호 확인").click()
    page.get_by_label("접수 번호").fill(receipt)
    page.get_by_role("button", name="확인", exact=True).click()
    status = page.get_by_role("status")
    assert "기록됨" in status.inner_text() and "(Asia/Seoul)" in status.inner_text()
    assert "A3" not in page.content() and "도서관" not in status.inner_text()
    screenshot(page, "receipt-check-ko-390")


PAGES = ["", "/vote", "/receipt-check", "/claim"]


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_every_page_passes_axe(
    new_page: Any, live_server: LiveServer, lang: str, viewport: dict[str, int]
) -> None:
    """Each page, and each state a voter meets (steps of every ballot type, problems shown,
    review, receipt, a refusal), with no axe violation of any impact."""
    page = new_page(lang, viewport)
    for tail in PAGES:
        page.goto(path(live_server, tail))
        assert_accessible(page)
    page.goto(f"{live_server.url}/")
    assert_accessible(page)
    page.goto(f"{live_server.url}/nowhere")
    assert_accessible(page)
    (token,) = live_server.codes()
    start(page, live_server, token.signed)
    page.locator("input[value=A3]").check()
    page.locator("form.ballot button[type=submit]").click()
    page.wait_for_url(re.compile(r"/ballot/north$"))
    for step in ("city", "north", "mayor"):
        page.goto(path(live_server, f"/ballot/{step}"))
        assert_accessible(page)
    page.goto(path(live_server, "/ballot/north"))
    page.locator("input[name=points-N1]").fill("9")
    page.locator("form.ballot button[type=submit]").click()
    page.wait_for_load_state()
    assert_accessible(page, "a step showing a problem")
    page.goto(path(live_server, "/review"))
    assert_accessible(page)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/receipt$"))
    assert_accessible(page)


def test_no_horizontal_scroll_at_200_percent_zoom(new_page: Any, live_server: LiveServer) -> None:
    """200 % zoom of a 390 px phone is a 195 px wide layout."""
    (token,) = live_server.codes()
    page = new_page("ko", {"width": 195, "height": 422})
    start(page, live_server, token.signed)
    for tail in ("/ballot/city", "/ballot/north", "/ballot/mayor", "/review", "", "/vote"):
        page.goto(path(live_server, tail))
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= 195, f"{tail}: {wide} px wide"
