"""The voter's way through the pages without JavaScript: every step is a form the server checks.

Each ballot goes through the same service the API uses, so a ballot cast here is stored and
counted like any other: the tests read what was stored through the API's receipt check and the
database, never through the page alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.voting_support import add_booth, issue, window
from tests.web.page_support import PAGE_CONTESTS, Browser, heading, receipt_code, text_of
from votesvc.models import Ballot, Contest
from votesvc.models.base import db
from votesvc.services import voters


@pytest.fixture
def election_id(imported_election: Callable[..., int]) -> int:
    return imported_election(contests=PAGE_CONTESTS, phase="voting", **window())


def vote_everything(browser: Browser, election_id: int, code: str) -> str:
    """Code, three steps, review, cast; the receipt code shown at the end."""
    base = f"/elections/{election_id}"
    response = browser.post(f"{base}/vote", {"code": code})
    assert response.status_code == 303, text_of(response)
    assert response.headers["Location"] == f"{base}/ballot/city"
    response = browser.post(f"{base}/ballot/city", {"choice": ["A1", "A3"]})
    assert response.headers["Location"] == f"{base}/ballot/north"
    response = browser.post(f"{base}/ballot/north", {"points-N1": "6", "points-N2": "4"})
    assert response.headers["Location"] == f"{base}/ballot/mayor"
    response = browser.post(f"{base}/ballot/mayor", {"rank-R2": "1", "rank-R1": "2"})
    assert response.headers["Location"] == f"{base}/review"
    review = browser.get(f"{base}/review")
    assert review.status_code == 200
    (total,) = re.findall(r'<p class="total">.*?</p>', review.get_data(as_text=True))
    assert re.search(r"700,000.*· .*1,000,000", total)  # A1 + A3 against the city's budget
    response = browser.post(f"{base}/review")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{base}/receipt"
    return receipt_code(browser.get(f"{base}/receipt"))


def refusal(client: FlaskClient, election_id: int, code: str, lang: str, status: int) -> Any:
    """The page a refused code gets: its status, and HTML, not the API's JSON."""
    response = Browser(client, lang).post(f"/elections/{election_id}/vote", {"code": code})
    assert response.status_code == status
    assert response.mimetype == "text/html"
    return response


def stored_contents(app: Flask) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Contest.code, Ballot.content).join(Contest, Contest.id == Ballot.contest_id)
        )
        return dict(rows.all())


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_whole_vote_is_stored_as_the_api_would_store_it(
    app: Flask, client: FlaskClient, election_id: int, lang: str
) -> None:
    (token,) = issue(app, election_id, 1)
    browser = Browser(client, lang)
    receipt = vote_everything(browser, election_id, token.signed)
    assert stored_contents(app) == {
        "city": '{"choices":["A1","A3"]}',
        "north": '{"choices":["N1","N2"],"points":[6,4]}',
        "mayor": '{"choices":["R2","R1"]}',
    }
    checked = client.post(
        f"/api/v1/elections/{election_id}/receipt-check", json={"receipt": receipt}
    )
    assert checked.status_code == 200
    assert checked.get_json()["contests"] == ["city", "north", "mayor"]
    page = browser.post(f"/elections/{election_id}/receipt-check", {"receipt": receipt})
    expected = "기록됨" if lang == "ko" else "Recorded"
    assert page.status_code == 200 and expected in text_of(page)


def test_a_short_code_typed_with_spaces_and_lowercase_votes(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    (token,) = issue(app, election_id, 1)
    typed = token.short_code.replace("-", " ").lower()
    vote_everything(Browser(client), election_id, typed)
    assert len(stored_contents(app)) == 3


def test_a_typo_in_a_short_code_is_said_on_the_form(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    (token,) = issue(app, election_id, 1)
    code = token.short_code
    swapped = code[1] + code[0] + code[2:] if code[0] != code[1] else code[:-1] + "0"
    response = Browser(client).post(f"/elections/{election_id}/vote", {"code": swapped})
    assert response.status_code == 422
    assert "용지와 비교" in text_of(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_an_over_budget_knapsack_is_refused_with_the_amounts(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    (token,) = issue(app, election_id, 1)
    browser = Browser(client, "en")
    browser.post(f"/elections/{election_id}/vote", {"code": token.signed})
    response = browser.post(f"/elections/{election_id}/ballot/city", {"choice": ["A1", "A2"]})
    assert response.status_code == 422
    text = text_of(response)
    assert "Total cost 1100000 exceeds the limit 1000000." in text
    # the voter's choices are still marked on the page shown again
    assert response.get_data(as_text=True).count(" checked") == 2
    assert stored_contents(app) == {}


def test_points_and_ranks_problems_are_placed_at_their_agenda(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    (token,) = issue(app, election_id, 1)
    browser = Browser(client, "ko")
    browser.post(f"/elections/{election_id}/vote", {"code": token.signed})
    browser.post(f"/elections/{election_id}/ballot/city", {"choice": ["A1"]})
    response = browser.post(
        f"/elections/{election_id}/ballot/north", {"points-N1": "7", "points-N2": "x"}
    )
    assert response.status_code == 422
    assert "점수는 정수로 입력해 주세요." in text_of(response)
    response = browser.post(
        f"/elections/{election_id}/ballot/north", {"points-N1": "7", "points-N2": "3"}
    )
    assert response.status_code == 422
    assert "N1의 점수가 7점입니다. 안건마다 6점까지 줄 수 있습니다." in text_of(response)
    browser.post(f"/elections/{election_id}/ballot/north", {"points-N1": "6", "points-N2": "4"})
    response = browser.post(
        f"/elections/{election_id}/ballot/mayor", {"rank-R1": "1", "rank-R2": "1"}
    )
    assert response.status_code == 422
    assert "같은 순위" in text_of(response)


def test_a_used_code_gets_its_own_page_and_changes_nothing(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    (token,) = issue(app, election_id, 1)
    vote_everything(Browser(client), election_id, token.signed)
    before = stored_contents(app)
    for lang, words in (("ko", "이미 사용된 투표 코드입니다."), ("en", "already used")):
        assert words in heading(refusal(client, election_id, token.signed, lang, 409))
    assert stored_contents(app) == before


def test_a_booth_code_online_says_where_to_take_it(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    booth = add_booth(app, election_id, "b9")
    (token,) = issue(app, election_id, 1, booth=booth)
    refused = refusal(client, election_id, token.signed, "en", 403)
    assert "booth named on it" in text_of(refused)


def test_a_closed_election_refuses_codes_with_a_page(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    closed = imported_election(
        contests=PAGE_CONTESTS,
        phase="voting",
        **window(opened=timedelta(days=3), closes=-timedelta(days=1)),
    )
    (token,) = issue(app, closed, 1)
    assert "투표 기간이 아닙니다" in text_of(refusal(client, closed, token.signed, "ko", 409))


def test_a_double_submit_gets_the_first_receipt_back(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    """The second tap carries the cookie the first tap had (its answer not read yet)."""
    (token,) = issue(app, election_id, 1)
    browser = Browser(client)
    base = f"/elections/{election_id}"
    browser.post(f"{base}/vote", {"code": token.signed})
    browser.post(f"{base}/ballot/city", {"choice": ["A3"]})
    browser.get(f"{base}/review")
    cookie = client.get_cookie("votesvc_session")
    assert cookie is not None
    first = browser.post(f"{base}/review")
    first_receipt = receipt_code(browser.get(f"{base}/receipt"))
    client.set_cookie("votesvc_session", cookie.value)
    second = browser.post(f"{base}/review")
    assert first.status_code == second.status_code == 303
    assert receipt_code(browser.get(f"{base}/receipt")) == first_receipt
    assert len(stored_contents(app)) == 1


def test_forms_need_their_csrf_token(app: Flask, client: FlaskClient, election_id: int) -> None:
    (token,) = issue(app, election_id, 1)
    response = client.post(f"/elections/{election_id}/vote", data={"code": token.signed})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "다시" in text_of(response)
    other = Browser(client.application.test_client())
    other.get(f"/elections/{election_id}/vote")  # a token, but another session's
    forged = client.post(
        f"/elections/{election_id}/vote", data={"code": token.signed, "csrf_token": other.csrf}
    )
    assert forged.status_code == 400
    own = Browser(client)
    assert own.post(f"/elections/{election_id}/vote", {"code": token.signed}).status_code == 303


def test_every_page_answer_carries_the_security_headers(
    client: FlaskClient, election_id: int
) -> None:
    for path in ("/", f"/elections/{election_id}", f"/elections/{election_id}/vote", "/nowhere"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
    api = client.get("/api/v1/elections")
    assert "Set-Cookie" not in api.headers and "Content-Security-Policy" not in api.headers


def test_codes_and_receipts_never_appear_in_a_url(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    (token,) = issue(app, election_id, 1)
    seen: list[str] = []
    browser = Browser(client)
    original = client.open

    def recording(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        response = original(*args, **kwargs)
        seen.append(str(args[0]) if args else "")
        seen.append(response.headers.get("Location", ""))
        return response

    client.open = recording  # type: ignore[method-assign]
    receipt = vote_everything(browser, election_id, token.signed)
    client.open = original  # type: ignore[method-assign]
    assert seen and not any(
        secret in url
        for url in seen
        for secret in (token.signed, token.short_code, receipt, token.signed.split(".")[0])
    )


def test_the_language_switch_keeps_the_choice_in_a_cookie(
    client: FlaskClient, election_id: int
) -> None:
    english = client.get(f"/elections/{election_id}?lang=en")
    assert '<html lang="en">' in english.get_data(as_text=True)
    again = client.get(f"/elections/{election_id}")
    assert '<html lang="en">' in again.get_data(as_text=True)
    korean = client.get(f"/elections/{election_id}?lang=ko")
    assert '<html lang="ko">' in korean.get_data(as_text=True)
    assert "₩1,000,000" in text_of(korean) and "100만 원" in text_of(korean)


def test_a_step_without_a_code_sends_the_voter_to_the_code_page(
    client: FlaskClient, election_id: int
) -> None:
    response = client.get(f"/elections/{election_id}/ballot/city")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/elections/{election_id}/vote"


def test_drafts_are_not_pages(client: FlaskClient, imported_election: Callable[..., int]) -> None:
    draft = imported_election(contests=PAGE_CONTESTS, **window())
    response = client.get(f"/elections/{draft}", headers={"Accept-Language": "en"})
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_a_shuffling_contest_gives_each_voter_an_order_of_their_own(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    shuffled = [{**PAGE_CONTESTS[2], "shuffle_agendas": True}]
    election_id = imported_election(contests=shuffled, phase="voting", **window())
    orders = set()
    for token in issue(app, election_id, 6):
        browser = Browser(client.application.test_client(), "en")
        browser.post(f"/elections/{election_id}/vote", {"code": token.signed})
        first = browser.get(f"/elections/{election_id}/ballot/mayor")
        again = browser.get(f"/elections/{election_id}/ballot/mayor")
        order = re.findall(r'data-code="(R\d)"', first.get_data(as_text=True))
        assert order == re.findall(r'data-code="(R\d)"', again.get_data(as_text=True))
        assert sorted(order) == ["R1", "R2", "R3", "R4"]
        assert "an order of your own" in text_of(first)
        orders.add(tuple(order))
    assert len(orders) > 1  # 6 voters, 24 orders: all equal has probability 24**-5


def test_a_voter_on_the_roll_claims_a_code_and_votes_with_it(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    with app.app_context():
        voters.import_roll(election_id, "identifier,factor\nr-1,1990-01-01\n")
    base = f"/elections/{election_id}"
    browser = Browser(client, "en")
    wrong = browser.post(f"{base}/claim", {"identifier": "r-1", "factor": "1990-01-02"})
    assert wrong.status_code == 403 and "voter roll" in text_of(wrong)
    claimed = browser.post(f"{base}/claim", {"identifier": "r-1", "factor": "1990-01-01"})
    assert claimed.status_code == 200
    assert re.search(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}-[0-9A-Z]", text_of(claimed))
    browser.post(f"{base}/ballot/city", {"choice": ["A1"]})
    browser.get(f"{base}/review")
    assert browser.post(f"{base}/review").status_code == 303
    assert stored_contents(app) == {"city": '{"choices":["A1"]}'}
    again = Browser(client, "en").post(
        f"{base}/claim", {"identifier": "r-1", "factor": "1990-01-01"}
    )
    assert again.status_code == 409  # one code per voter, ever


@pytest.mark.parametrize(
    "form",
    [
        {"points-N1": "--5"},
        {"points-N1": "²"},
        {"points-N1": "9" * 40},
        {"rank-R1": "²"},
        {"rank-R1": "0"},
        {"rank-R1": "99"},
        {"choice": "ZZZ"},
    ],
)
def test_odd_form_values_are_problems_on_the_page_never_errors(
    app: Flask, client: FlaskClient, election_id: int, form: dict[str, str]
) -> None:
    (token,) = issue(app, election_id, 1)
    browser = Browser(client, "en")
    browser.post(f"/elections/{election_id}/vote", {"code": token.signed})
    step = {"points": "north", "rank-": "mayor", "choice": "city"}
    contest = next(code for prefix, code in step.items() if next(iter(form)).startswith(prefix))
    response = browser.post(f"/elections/{election_id}/ballot/{contest}", form)
    assert response.status_code == 422, text_of(response)
    assert 'class="error' in response.get_data(as_text=True)  # said on the page, placed


def test_a_session_for_contests_the_election_no_longer_has_starts_again(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    (token,) = issue(app, election_id, 1)
    browser = Browser(client)
    browser.post(f"/elections/{election_id}/vote", {"code": token.signed})
    with client.session_transaction() as session:
        session["vote"] = {**session["vote"], "c": ["city", "gone"]}
    for path in ("/review", "/ballot/city"):
        answer = client.get(f"/elections/{election_id}{path}")
        assert answer.status_code == 303
        assert answer.headers["Location"] == f"/elections/{election_id}/vote"
    with client.session_transaction() as session:
        session["vote"] = {"e": election_id, "c": "not a list"}
        session["receipt"] = {"e": election_id}
    assert client.get(f"/elections/{election_id}/review").status_code == 303
    assert client.get(f"/elections/{election_id}/receipt").status_code == 303


def test_a_post_without_cookies_says_the_pages_need_them(
    client: FlaskClient, election_id: int
) -> None:
    answer = client.post(f"/elections/{election_id}/vote", data={"code": "x"})
    assert answer.status_code == 400
    assert "쿠키" in heading(answer)


def test_an_election_in_another_currency_shows_its_own_money(
    client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    zloty = imported_election(contests=PAGE_CONTESTS, phase="voting", currency="PLN", **window())
    for lang in ("ko", "en"):
        page = text_of(client.get(f"/elections/{zloty}?lang={lang}"))
        assert "1,000,000 PLN" in page
        assert "₩" not in page and "KRW" not in page and "만 원" not in page


def test_back_keeps_what_was_marked_on_the_step(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    (token,) = issue(app, election_id, 1)
    browser = Browser(client)
    base = f"/elections/{election_id}"
    browser.post(f"{base}/vote", {"code": token.signed})
    browser.post(f"{base}/ballot/city", {"choice": ["A1"]})
    back = browser.post(f"{base}/ballot/north", {"points-N1": "3", "go": "back"})
    assert back.status_code == 303 and back.headers["Location"] == f"{base}/ballot/city"
    again = browser.get(f"{base}/ballot/north")
    assert 'name="points-N1" min="0" max="6" step="1" inputmode="numeric" value="3"' in (
        again.get_data(as_text=True)
    )
