"""Assertions on the API's one error shape, shared by the API tests."""

from __future__ import annotations

from typing import Any

from werkzeug.test import TestResponse

from votesvc.i18n import translations


def assert_error(
    response: TestResponse,
    status: int,
    code: str,
    fields: dict[str, Any] | None = None,
    *,
    language: str = "en",
) -> dict[str, Any]:
    """The response is exactly ``{"error": {"code", "message", "fields"}}`` with this status
    and code; ``fields`` (when given) must match exactly. Returns the field details."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    template = translations(language).gettext(code)
    head = template.split("%(", 1)[0]
    assert body["error"]["message"].startswith(head) and body["error"]["message"]
    if fields is not None:
        assert body["error"]["fields"] == fields
    assert response.headers["X-Request-ID"]
    return body["error"]["fields"]


def assert_rate_limited(response: TestResponse, window_seconds: int = 60) -> None:
    """``429 rate_limited`` in the one error shape, saying when to retry: ``Retry-After`` in
    whole seconds within the limit's window, and no ``X-RateLimit-*`` headers."""
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= window_seconds
    assert not [name for name, _ in response.headers if name.startswith("X-RateLimit")]
