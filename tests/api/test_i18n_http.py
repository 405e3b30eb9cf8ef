"""One locale selector for the API and the pages: ``?lang=``, the ``lang`` cookie,
``Accept-Language``, then Korean (English for API clients that name no language of ours)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_babel import gettext

from votesvc.i18n.http import LANG_COOKIE, select_locale

ELECTIONS = "/api/v1/admin/elections"


@pytest.mark.parametrize(
    ("path", "headers", "cookie", "expected"),
    [
        ("/page?lang=en", {"Accept-Language": "ko"}, "ko", "en"),
        ("/page?lang=fr", {"Accept-Language": "en"}, None, "en"),
        ("/page", {"Accept-Language": "en"}, "ko", "ko"),
        ("/page", {"Accept-Language": "fr, en;q=0.5"}, None, "en"),
        ("/page", {"Accept-Language": "ko-KR,ko;q=0.9"}, None, "ko"),
        # a regional tag is its language, at its own weight (werkzeug's best_match preferred
        # an exact "en" of lower weight)
        ("/page", {"Accept-Language": "ko-KR, en;q=0.3"}, None, "ko"),
        ("/page", {"Accept-Language": "en;q=0.3, ko-KR;q=0.5"}, None, "ko"),
        ("/page", {"Accept-Language": "en-GB, ko;q=0.9"}, None, "en"),
        ("/page", {"Accept-Language": "kok, en"}, None, "en"),
        ("/page", {"Accept-Language": "en;q=0, fr"}, None, "ko"),
        ("/page", {"Accept-Language": "fr"}, None, "ko"),
        ("/page", {}, None, "ko"),
        ("/page", {"Accept-Language": "*"}, None, "ko"),
        ("/api/v1/x", {}, None, "en"),
        ("/api/v1/x", {"Accept-Language": "*"}, None, "en"),
        ("/api/v1/x", {"Accept-Language": "ko"}, None, "ko"),
        ("/api/v1/x?lang=ko", {}, None, "ko"),
        ("/api/v1/x", {"Accept-Language": "en"}, "ko", "en"),  # the API reads no cookie
    ],
)
def test_the_locale_is_chosen_in_one_order(
    app: Flask, path: str, headers: dict[str, str], cookie: str | None, expected: str
) -> None:
    if cookie:
        headers = {**headers, "Cookie": f"{LANG_COOKIE}={cookie}"}
    with app.test_request_context(path, headers=headers):
        assert select_locale() == expected


def test_flask_babel_and_jinja_read_the_catalogues(app: Flask) -> None:
    with app.test_request_context("/page"):
        assert gettext("token_already_used") == "이미 사용된 투표 코드입니다."
        rendered = render_template_string(
            "{{ _('illegal_phase_transition', current='<b>', target='voting') }}"
        )
        assert rendered == "선거 단계를 &lt;b&gt;에서 voting(으)로 바꿀 수 없습니다."
    with app.test_request_context("/page?lang=en"):
        assert render_template_string("{% trans %}not_found{% endtrans %}") == "Not found."
        at = datetime(2026, 3, 1, 15, tzinfo=UTC)
        shown = render_template_string("{{ at | local_time('Asia/Seoul') }}", at=at)
        assert shown == "2 March 2026, 00:00 (Asia/Seoul)"


def test_the_api_answers_in_the_asked_language_without_cookies(client: FlaskClient) -> None:
    response = client.get(ELECTIONS + "?lang=ko")
    assert response.get_json()["error"]["message"].startswith("관리자 API 키가 필요합니다")
    assert response.headers["Content-Language"] == "ko"
    assert "Set-Cookie" not in response.headers
    plain = client.get(ELECTIONS)
    assert plain.headers["Content-Language"] == "en"


def test_a_page_asked_with_lang_remembers_it_in_a_cookie(app: Flask) -> None:
    app.add_url_rule("/page", "page", lambda: gettext("not_found"))
    client = app.test_client()
    english = client.get("/page?lang=en", headers={"Accept-Language": "ko"})
    assert english.get_data(as_text=True) == "Not found."
    assert f"{LANG_COOKIE}=en" in english.headers["Set-Cookie"]
    again = client.get("/page", headers={"Accept-Language": "ko"})
    assert again.get_data(as_text=True) == "Not found."
    assert "Set-Cookie" not in again.headers
