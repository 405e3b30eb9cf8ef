"""Driving the pages through the Flask test client as a browser without JavaScript would."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.voting_support import CONTESTS

RANKED = {
    "code": "mayor",
    "title_ko": "구청장 공약 사업",
    "title_en": "Mayor's pledge",
    "budget": 100,
    "ballot_type": "ordinal",
    "rule": "irv",
    "max_ranks": 3,
    "agendas": [
        {"code": "R1", "title_ko": "놀이터", "title_en": "Playground", "cost": 100},
        {"code": "R2", "title_ko": "도서관", "title_en": "Library", "cost": 100},
        {"code": "R3", "title_ko": "공원", "title_en": "Park", "cost": 100},
        {"code": "R4", "title_ko": "주차장", "title_en": "Car park", "cost": 100},
    ],
}
PAGE_CONTESTS = [*CONTESTS, RANKED]
"""A knapsack (city), a points ballot (north) and a ranked ballot (mayor)."""

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A test client that keeps its cookies and fills each form's CSRF field from the page,
    as a browser posting the form it was shown does."""

    def __init__(self, client: FlaskClient, lang: str = "ko") -> None:
        self.client = client
        self.headers = {"Accept-Language": lang}
        self.csrf = ""

    def get(self, path: str) -> TestResponse:
        response = self.client.get(path, headers=self.headers)
        found = _CSRF.search(response.get_data(as_text=True))
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, path: str, data: dict[str, Any] | None = None) -> TestResponse:
        if not self.csrf:
            self.get(path)
        body = {"csrf_token": self.csrf, **(data or {})}
        return self.client.post(path, data=body, headers=self.headers)


def text_of(response: TestResponse) -> str:
    """The page's text without tags, whitespace collapsed (what a reader reads)."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def heading(response: TestResponse) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), flags=re.S)
    return unescape(re.sub(r"<[^>]+>|\s+", " ", found.group(1))).strip() if found else ""


def receipt_code(response: TestResponse) -> str:
    found = re.search(r'class="receipt-code"[^>]*>([^<]+)<', response.get_data(as_text=True))
    assert found, text_of(response)
    return found.group(1).strip()
