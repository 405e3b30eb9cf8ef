"""The public results pages through the test client: what they show in both languages, that
they show it only after publication, and that every figure, digest and the verify line are the
published document's (the API's bytes), never a second computation."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.results_support import (
    EXPECTED_BALLOTS,
    close_count_publish,
    count_and_wait,
    sync_booth,
    vote,
)
from tests.voting_support import issue
from tests.web.page_support import Browser, heading, text_of
from votesvc.api.immutable import ImmutableResponses
from votesvc.publication.verify import url_source, verify
from votesvc.services.demo import load_demo

CONTESTS = ("city", "north", "rank")


@pytest.fixture
def voted(app: Flask, client: FlaskClient, imported_election: Callable[..., int]) -> int:
    """An election with an allocation, a points and a ranked contest, voted online and at a
    booth, still open."""
    done = vote(app, client, imported_election)
    sync_booth(client, done)
    return done.election_id


@pytest.fixture
def published(client: FlaskClient, voted: int, admin_headers: dict[str, str]) -> int:
    close_count_publish(client, voted, admin_headers)
    return voted


def api_results(client: FlaskClient, election_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/elections/{election_id}/results")
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json()
    return document


def contest_of(document: dict[str, Any], code: str) -> dict[str, Any]:
    return next(c for c in document["contests"] if c["code"] == code)


def html_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def cells(response: TestResponse, table_class: str) -> list[list[str]]:
    """The text of each row's cells in the first table with ``table_class``."""
    found = re.search(
        rf'<table class="[^"]*\b{table_class}\b[^"]*">(.*?)</table>', html_of(response), re.S
    )
    assert found, table_class
    return rows_of(found.group(1))


def table_with(response: TestResponse, text: str) -> list[list[str]]:
    """The rows of the first table whose markup (its caption) or the heading before it has
    ``text``."""
    html = html_of(response)
    at = html.index(text)
    start = html.rfind("<table", 0, at)
    if start == -1 or html.rfind("</table>", 0, at) > start:
        start = html.index("<table", at)
    return rows_of(html[start : html.index("</table>", start)])


def rows_of(table: str) -> list[list[str]]:
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    return [
        [
            re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", cell))).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in rows
    ]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_overview_shows_each_contest_turnout_per_channel_and_ballots_per_contest(
    client: FlaskClient, published: int, lang: str
) -> None:
    document = api_results(client, published)
    page = Browser(client, lang).get(f"/elections/{published}/results")
    assert page.status_code == 200
    name = document["election"][f"name_{lang}"]
    assert heading(page) == ("결과: " if lang == "ko" else "Results: ") + name
    for code in CONTESTS:
        assert f'href="/elections/{published}/results/{code}"' in html_of(page)
    # 5 online codes (4 used) and 3 booth codes (all used): 7 voters of 8 codes
    turnout = cells(page, "figures")
    online, booth = ("온라인", "중앙동 주민센터") if lang == "ko" else ("Online", "중앙동 주민센터")
    assert turnout[1:] == [[online, "4", "5", "80%"], [booth, "3", "3", "100%"]]
    assert document["turnout"]["channels"] == [
        {"channel": "online", "voters": 4, "tokens_issued": 5},
        {
            "channel": "booth",
            "booth": "b1",
            "name_ko": "중앙동 주민센터",
            "name_en": "",
            "voters": 3,
            "tokens_issued": 3,
        },
    ]
    caption = "투표별 집계한 투표지" if lang == "ko" else "Ballots counted per contest"
    per_contest = {row[0]: row[1:] for row in table_with(page, caption)[1:]}
    titles = {
        "ko": ["시 전체", "North district", "선호 투표"],
        "en": ["시 전체", "North district", "Ranked choice"],  # city has no English title
    }
    assert list(per_contest) == titles[lang]
    for title, code in zip(titles[lang], CONTESTS, strict=True):
        channels = {
            c.get("booth", "online"): c["ballots"] for c in contest_of(document, code)["channels"]
        }
        assert per_contest[title] == [
            str(channels.get("online", 0)),
            str(channels.get("b1", 0)),
            str(EXPECTED_BALLOTS[code]),
        ]
    receipt = f'href="/elections/{published}/receipt-check"'
    assert receipt in html_of(page)


def test_the_downloads_and_the_verify_line_are_the_apis_and_verify_passes(
    client: FlaskClient, published: int
) -> None:
    document = api_results(client, published)
    page = client.get(f"/elections/{published}/results")
    html = html_of(page)
    shown = dict(
        re.findall(r'<a href="([^"]+)" download>[^<]+</a></td><td><code[^>]*>([0-9a-f]{64})<', html)
    )
    api_files = f"/api/v1/elections/{published}/results/files/"
    assert {url.removeprefix(api_files): sha for url, sha in shown.items()} == document["files"]
    for url, sha in shown.items():
        body = client.get(url).data
        assert hashlib.sha256(body).hexdigest() == sha
    line = f"votesvc verify http://127.0.0.1:5000/api/v1/elections/{published}/results"
    assert f"<code>{line}</code>" in html
    base = line.removeprefix("votesvc verify http://127.0.0.1:5000")
    report = verify(url_source(base, lambda path: client.get(path).data))
    assert report.ok, report.text()
    rank = client.get(f"/elections/{published}/results/rank")
    rank_files = re.findall(r'<a href="[^"]+/([^/"]+)" download>', html_of(rank))
    assert rank_files == ["ballots.pb", "ballots.csv", "ballots.rcv.json"]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_contest_page_puts_the_funded_first_with_their_support_and_why(
    client: FlaskClient, published: int, lang: str
) -> None:
    city = contest_of(api_results(client, published), "city")
    page = Browser(client, lang).get(f"/elections/{published}/results/city")
    assert page.status_code == 200
    rows = cells(page, "results")[1:]
    codes = re.findall(r'<span class="code" translate="no">([^<]+)</span>', html_of(page))
    assert codes == ["A3", "A1", "A2"]  # funded in the order funded, then the rest
    by_code = {a["code"]: a for a in city["agendas"]}
    for code, row in zip(codes, rows, strict=True):
        agenda = by_code[code]
        title = agenda[f"title_{lang}"] or agenda["title_ko"] or agenda["title_en"]
        assert row[0].startswith(title)
        assert agenda["explanation"][lang] in row[0]
        assert row[2].startswith(agenda["support"])
    funded, unfunded = ("선정", "선정되지 않음") if lang == "ko" else ("Funded", "Not funded")
    assert [row[3] for row in rows] == [funded, funded, unfunded]
    money = "₩" if lang == "ko" else "KRW "
    text = text_of(page)
    for figure in (city["budget"], city["spent"], city["remaining"]):
        assert f"{money}{figure:,}" in text
    assert "70%" in text  # spent 700 000 of 1 000 000


def test_how_voters_fared_is_published_with_the_outcome_and_shown(
    client: FlaskClient, published: int
) -> None:
    document = api_results(client, published)
    # city: funded A3, A1; ballots [A1 A3] x2, [A3] x2, [A1], [A2] x2
    # north: funded N1, N2; rank: elected R1, ranked on five of seven ballots
    assert {c["code"]: c["fared"] for c in document["contests"]} == {
        "city": [2, 3, 2],
        "north": [0, 2, 3],
        "rank": [2, 5],
    }
    own = client.get(
        f"/api/v1/elections/{published}/results/contests/"
        f"{contest_of(document, 'city')['contest_id']}"
    ).get_json()
    assert own["fared"] == [2, 3, 2]
    page = Browser(client, "en").get(f"/elections/{published}/results/city")
    assert cells(page, "fared")[1:] == [
        ["0 funded choices", "2 (29%)"],
        ["1 funded choice", "3 (43%)"],
        ["2 funded choices", "2 (29%)"],
    ]
    assert "71% of the voters (5 of 7) have at least one agenda they chose funded." in (
        text_of(page)
    )
    korean = Browser(client, "ko").get(f"/elections/{published}/results/rank")
    assert cells(korean, "fared")[1:] == [
        ["선정된 선택 0개", "2 (29%)"],
        ["선정된 선택 1개", "5 (71%)"],
    ]


def test_every_chart_has_its_text_equivalent(client: FlaskClient, published: int) -> None:
    for code in CONTESTS:
        html = html_of(client.get(f"/elections/{published}/results/{code}"))
        charts = re.findall(r"<svg([^>]*)>(.*?)</svg>(.{0,200})", html, re.S)
        assert charts
        for attributes, _inside, after in charts:
            if 'role="img"' in attributes:
                labelled = re.search(r'aria-labelledby="([^"]+)"', attributes)
                assert labelled
                label = re.search(rf'id="{labelled.group(1)}"[^>]*>([^<]+)<', html)
                assert label and label.group(1).strip()
            else:  # a bar: hidden from screen readers, its figure written right after it
                assert 'aria-hidden="true"' in attributes
                assert re.match(r'\s*<span class="figure">[\d,.]+</span>', after)
        strip = re.search(r'id="strip-text">([^<]+)<', html)
        assert strip is not None and "%" in strip.group(1)


def test_a_ranked_contest_has_its_round_by_round_table(client: FlaskClient, published: int) -> None:
    rank = contest_of(api_results(client, published), "rank")
    assert [r["eliminated"] for r in rank["rounds"]] == [["R3"], []]
    page = Browser(client, "en").get(f"/elections/{published}/results/rank")
    table = cells(page, "rounds-table")
    assert table == [
        ["Agenda", "Round 1", "Round 2"],
        ["Park benches", "3", "4 elected"],
        ["Community garden", "3", "3"],
        ["Street art", "1 eliminated", "–"],
        ["Exhausted ballots", "0", "0"],
        ["Votes needed to win", "4", "4"],
    ]
    html = html_of(page)
    assert 'data-rounds="2"' in html and "js/rounds.js" in html
    assert "<script>" not in html and " style=" not in html
    korean = Browser(client, "ko").get(f"/elections/{published}/results/rank")
    assert cells(korean, "rounds-table")[0] == ["안건", "1라운드", "2라운드"]


def test_the_election_page_links_the_results_once_published(
    app: Flask, client: FlaskClient, voted: int, admin_headers: dict[str, str]
) -> None:
    link = f'href="/elections/{voted}/results"'
    assert link not in html_of(client.get(f"/elections/{voted}"))
    close_count_publish(client, voted, admin_headers)
    assert link in html_of(client.get(f"/elections/{voted}"))


def embargoed(client: FlaskClient, election_id: int, lang: str) -> None:
    """Every results page answers the "not published yet" page and shows no figure."""
    browser = Browser(client, lang)
    for path in ("", *(f"/{code}" for code in CONTESTS), "/nowhere"):
        page = browser.get(f"/elections/{election_id}/results{path}")
        assert page.status_code == 404, path
        text = text_of(page)
        assert ("공개" if lang == "ko" else "published") in text
        for word in ("A1", "A3", "R1", "가로등", "Park benches", "%", "SHA-256"):
            assert word not in text
        assert page.headers["Cache-Control"] == "no-store"


def test_before_publication_every_results_page_is_not_published_and_leaks_nothing(
    app: Flask, client: FlaskClient, voted: int, admin_headers: dict[str, str]
) -> None:
    for lang in ("ko", "en"):
        embargoed(client, voted, lang)
    client.post(f"/api/v1/admin/elections/{voted}/close", headers=admin_headers)
    job = count_and_wait(client, voted, headers=admin_headers, force=True)
    assert job["status"] == "done"  # counted: the preliminary results exist, for admins only
    for lang in ("ko", "en"):
        embargoed(client, voted, lang)
    assert ImmutableResponses.of(app).pages == {}
    response = client.post(f"/api/v1/admin/elections/{voted}/publish", headers=admin_headers)
    assert response.status_code == 201
    assert client.get(f"/elections/{voted}/results").status_code == 200


def test_a_published_page_is_answered_from_the_workers_memory_by_language(
    app: Flask, client: FlaskClient, published: int
) -> None:
    path = f"/elections/{published}/results/city"
    first = client.get(path, headers={"Accept-Language": "en"})
    memory = ImmutableResponses.of(app)
    assert list(memory.pages) == [("localhost", path, "en")]
    again = client.get(path, headers={"Accept-Language": "en"})
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert again.headers["Cache-Control"] == "public, max-age=300"
    assert again.headers["Vary"] == "Accept-Language, Cookie"
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    revalidated = client.get(
        path, headers={"Accept-Language": "en", "If-None-Match": first.headers["ETag"]}
    )
    assert revalidated.status_code == 304 and revalidated.data == b""
    korean = client.get(path, headers={"Accept-Language": "ko"})
    assert "선정된 안건" in html_of(korean) and korean.data != first.data
    assert len(memory.pages) == 2
    # ?lang= sets the language cookie, so it is never answered from memory; the cookie then
    # picks the page the memory holds for that language
    switched = client.get(f"{path}?lang=en", headers={"Accept-Language": "ko"})
    assert "lang=en" in switched.headers["Set-Cookie"]
    assert client.get(path, headers={"Accept-Language": "ko"}).data == first.data
    variant = client.get(f"/elections/0{published}/results/city")
    assert variant.status_code == 200 and len(memory.pages) == 2


def test_the_equal_shares_round_view_shows_who_paid_how_much(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    with app.app_context():
        election, _ = load_demo()
        election_id = election.id
    choices = [["C-01", "C-03"], ["C-01"], ["C-01", "C-02"], ["C-03"], ["C-02", "C-03"]]
    for token, city in zip(issue(app, election_id, len(choices)), choices, strict=True):
        cast = client.post(
            f"/api/v1/elections/{election_id}/ballots",
            json={"token": token.signed, "selections": {"city": {"choices": city}}},
        )
        assert cast.status_code == 201
    close_count_publish(client, election_id, admin_headers)
    city = contest_of(api_results(client, election_id), "city")
    bought = [r for r in city["rounds"] if r["action"] == "select" and "price" in r["details"]]
    assert bought
    page = Browser(client, "en").get(f"/elections/{election_id}/results/city")
    view = table_with(page, "Rounds of the Method of Equal Shares")
    assert len(view) == len(bought) + 1
    titles = {a["code"]: a["title_en"] for a in city["agendas"]}
    for shown, r in zip(view[1:], bought, strict=True):
        details = r["details"]
        assert shown[0] == str(r["number"]) and shown[1] == titles[r["agenda"]]
        assert shown[2] == str(details["supporters"]) and shown[3] == str(details["paid_all"])
        assert shown[4].startswith("KRW ") or "about" in shown[4]
        cost, price = int(details["cost"]), details["price"]
        effective = (
            cost * int(price.split("/")[1]) / int(price.split("/")[0])
            if "/" in price
            else cost / int(price)
        )
        assert shown[5] == (
            f"{effective:,.0f}" if effective == int(effective) else f"{effective:,.2f}"
        )
