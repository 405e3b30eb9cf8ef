"""Driving the admin console through the Flask test client: signing in, posting its forms."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from votesvc.services import api_keys

RUNNING_MODULES = frozenset(
    f"votesvc.web.console.{name}"
    for name in ("tokens", "kiosks", "roll", "participation", "counting", "audit_log")
)
"""The sections that run an election (tests/web/test_console_run.py covers their forms)."""

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def new_key(app: Flask, election_id: int | None = None) -> str:
    with app.app_context():
        return api_keys.create_api_key(election_id, label="console test")[1]


class Console:
    """A browser on the console: its cookies, its language, the CSRF token of the last page."""

    def __init__(self, client: FlaskClient, lang: str = "ko") -> None:
        self.client = client
        self.headers = {"Accept-Language": lang}
        self.csrf = ""

    def sign_in(self, key: str) -> TestResponse:
        response = self.client.post("/admin/sign-in", data={"key": key}, headers=self.headers)
        assert response.status_code == 303, response.get_data(as_text=True)
        self.get("/admin/")
        return response

    def get(self, path: str) -> TestResponse:
        response = self.client.get(path, headers=self.headers)
        found = _CSRF.search(response.get_data(as_text=True))
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        body = {"csrf_token": self.csrf, **(data or {})}
        return self.client.post(path, data=body, headers=self.headers, **kwargs)
