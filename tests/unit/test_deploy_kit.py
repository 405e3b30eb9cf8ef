"""The deployment kit's files agree with the code: nginx's error files are the API's error
shape for codes the catalogues translate, every refusal nginx answers has one, nginx's body
limit is the app's, and the units run what the README says."""

from __future__ import annotations

import re

import pytest
from deploy_support import DEPLOY, ERRORS_BY_STATUS, NGINX_KIT, error_document

from votesvc.api.error_codes import CODES
from votesvc.app import settings_module

SERVER_CONF = (NGINX_KIT / "server.conf").read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("status", sorted(ERRORS_BY_STATUS))
def test_each_nginx_error_file_is_the_api_error_shape(status: int, lang: str) -> None:
    assert ERRORS_BY_STATUS[status] in CODES
    path = NGINX_KIT / "errors" / lang / f"{status}.json"
    assert path.read_text(encoding="utf-8") == error_document(status, lang)


def test_every_refusal_nginx_answers_has_its_file() -> None:
    pages = re.findall(
        r"^error_page (\d+) (?:=(\d+) )?/_votesvc_errors/\S+/(\d+)\.json;", SERVER_CONF, re.M
    )
    answered = {int(shown or status) for status, shown, _ in pages}
    assert answered == set(ERRORS_BY_STATUS)
    assert all(int(shown or status) == int(file) for status, shown, file in pages)
    files = {p.name for p in (NGINX_KIT / "errors" / "en").iterdir()}
    assert files == {f"{status}.json" for status in ERRORS_BY_STATUS}


def test_nginx_takes_the_bodies_the_app_takes() -> None:
    megabytes = int(re.search(r"^client_max_body_size (\d+)m;", SERVER_CONF, re.M).group(1))
    assert megabytes * 1024 * 1024 == settings_module().DEFAULT_MAX_CONTENT_LENGTH
    assert re.search(r"^proxy_request_buffering on;", SERVER_CONF, re.M)


def test_the_units_run_the_kit_from_the_checkout() -> None:
    web = (DEPLOY / "systemd" / "votesvc.service").read_text(encoding="utf-8")
    worker = (DEPLOY / "systemd" / "votesvc-worker.service").read_text(encoding="utf-8")
    assert (
        "ExecStart=/srv/votesvc/.venv/bin/gunicorn --config deploy/gunicorn.conf.py wsgi:app" in web
    )
    assert "rq worker --url ${VOTESVC_REDIS_URL} votesvc" in worker
    for unit in (web, worker):
        assert "EnvironmentFile=/etc/votesvc/votesvc.env" in unit
        assert "WorkingDirectory=/srv/votesvc" in unit
