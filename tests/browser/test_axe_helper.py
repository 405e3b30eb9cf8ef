"""The axe-core helper finds what it should, and passes what it should.

A page with known faults proves the check is live (a helper that never ran axe would pass every
page); a minimal well-formed page proves it does not fail everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from .support import assert_accessible, axe_violations, describe_violations

if TYPE_CHECKING:
    from playwright.sync_api import Page

BROKEN = """<!DOCTYPE html><html><head></head><body>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<button></button>
<input type="text" id="name">
<p style="color:#ccc;background:#fff">Pale text nobody reads</p>
</body></html>"""

WELL_FORMED = """<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>투표</title></head>
<body><header><p>2024 지역문제해결플랫폼</p></header>
<main><h1>투표 코드 입력</h1>
<form><label for="code">투표 코드</label> <input id="code" name="code" autocomplete="off">
<button type="submit">다음</button></form>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="QR 코드 예시"></main>
</body></html>"""


def test_a_broken_page_shows_the_expected_violations(phone_page: Page) -> None:
    phone_page.set_content(BROKEN)
    found = {v["id"]: v for v in axe_violations(phone_page)}
    expected = {"button-name", "html-has-lang", "image-alt", "label", "document-title"}
    assert expected | {"color-contrast", "landmark-one-main", "region"} <= set(found)
    assert found["image-alt"]["nodes"][0]["target"] == ["img"]
    with pytest.raises(AssertionError) as failure:
        assert_accessible(phone_page)
    message = str(failure.value)
    for rule in expected:
        assert f"\n{rule} ({found[rule]['impact']}): " in message
    assert "\n    button  <button></button>" in message


def test_a_well_formed_page_passes(any_page: Page) -> None:
    any_page.set_content(WELL_FORMED)
    assert axe_violations(any_page) == []
    assert_accessible(any_page)


def test_a_page_without_javascript_is_checked_as_it_shows(
    open_page: Callable[..., Page], live_server: object
) -> None:
    """Its DOM is checked in a copy: ``<noscript>`` content counts, scripts did not run."""
    page = open_page("phone", "ko", javascript=False)
    page.route(
        "**/no-script-check",
        lambda route: route.fulfill(
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": "script-src 'self'"},
            body=WELL_FORMED.replace(
                "</main>",
                "<noscript><button></button></noscript><script src='/x.js'></script></main>",
            ),
        ),
    )
    page.route(
        "**/x.js",
        lambda route: route.fulfill(
            content_type="text/javascript", body="document.querySelector('main').remove()"
        ),
    )
    page.goto("/no-script-check")
    found = axe_violations(page)
    assert [v["id"] for v in found] == ["button-name"]
    assert page.locator("main").count() == 1


def test_descriptions_are_one_line_per_violation_and_node() -> None:
    text = describe_violations(
        [
            {
                "id": "label",
                "impact": "critical",
                "help": "Form elements must have labels",
                "nodes": [
                    {"target": ["#a"], "html": "<input id=a>"},
                    {"target": ["#b"], "html": "<input id=b>"},
                ],
            }
        ]
    )
    assert text.splitlines() == [
        "label (critical): Form elements must have labels",
        "    #a  <input id=a>",
        "    #b  <input id=b>",
    ]
