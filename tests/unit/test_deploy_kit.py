"""The deployment kit's files agree with the code: nginx's error files are the API's error
shape and the app's refusal page for codes the catalogues translate, every refusal nginx
answers has both, nginx tells the machines' paths from the pages' as the app does, nginx's
body limit is the app's, and the units run what the README says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from deploy_support import (
    DEPLOY,
    ERROR_TYPES,
    ERRORS_BY_STATUS,
    NGINX_KIT,
    error_file,
    stylesheet,
)
from markupsafe import escape

from votesvc.api.error_codes import CODES
from votesvc.api.errors import JSON_BLUEPRINTS
from votesvc.app import settings_module
from votesvc.i18n import translate
from votesvc.i18n.http import API_PREFIX
from votesvc.web.refusals import PROXY_REFUSALS, PROXY_STYLESHEET, SSI_REQUEST_ID, SSI_STYLESHEET

SERVER_CONF = (NGINX_KIT / "server.conf").read_text(encoding="utf-8")
HTTP_CONF = (NGINX_KIT / "http.conf").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", ERROR_TYPES)
@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("status", sorted(ERRORS_BY_STATUS))
def test_each_nginx_error_file_is_what_the_catalogues_make(
    status: int, lang: str, kind: str
) -> None:
    """The committed file is the generator's (``python tests/deploy_support.py``), so a
    changed catalogue or refusal page cannot leave the kit's copy behind."""
    assert ERRORS_BY_STATUS[status] in CODES
    path = NGINX_KIT / "errors" / lang / f"{status}.{kind}"
    assert path.read_text(encoding="utf-8") == error_file(status, lang, kind)


def test_the_stylesheet_nginx_writes_into_its_pages_is_the_pages_own() -> None:
    """The kit's copy is the generator's, and the pages' include reaches it: the error
    location serves ``errors/``."""
    css = (NGINX_KIT / "errors" / PROXY_STYLESHEET).read_text(encoding="utf-8")
    assert css == stylesheet()
    assert f'include virtual="/_votesvc_errors/{PROXY_STYLESHEET}"' in SSI_STYLESHEET
    assert "location /_votesvc_errors/ {" in SERVER_CONF
    assert "alias /etc/nginx/votesvc/errors/;" in SERVER_CONF


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("status", sorted(ERRORS_BY_STATUS))
def test_each_nginx_page_says_what_happened_and_what_next_on_its_own(
    status: int, lang: str
) -> None:
    """A page in ``lang`` with the code's heading and next step and a way home, readable on a
    phone, that fetches nothing (the app may be down: nginx writes the stylesheet in), and
    shows the request id nginx fills in where the app's refusal page shows one (5xx)."""
    page = (NGINX_KIT / "errors" / lang / f"{status}.html").read_text(encoding="utf-8")
    heading, step = PROXY_REFUSALS[ERRORS_BY_STATUS[status]]
    assert f'<html lang="{lang}">' in page
    assert f"<title>{escape(translate(lang, heading))} · " in page
    assert f"<h1>{escape(translate(lang, heading))}</h1>" in page
    assert f"<p>{escape(translate(lang, step))}</p>" in page
    assert '<a class="button" href="/">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert f"<style>\n{SSI_STYLESHEET}\n</style>" in page
    assert not re.search(r"<link rel=.stylesheet|<script|\ssrc=", page)
    assert (SSI_REQUEST_ID in page) == (status >= 500)
    # a 414's own address is the one too long: its language links lead home
    other = "en" if lang == "ko" else "ko"
    assert f'<a href="{"/" if status == 414 else ""}?lang={other}" lang="{other}"' in page


def test_every_refusal_nginx_answers_has_its_files() -> None:
    pages = re.findall(
        r"^error_page (\d+) (?:=(\d+) )?/_votesvc_errors/\$votesvc_error_lang/(\d+)"
        r"\.\$votesvc_error_type;",
        SERVER_CONF,
        re.M,
    )
    answered = {int(shown or status) for status, shown, _ in pages}
    assert answered == set(ERRORS_BY_STATUS)
    assert all(int(shown or status) == int(file) for status, shown, file in pages)
    for lang in ("en", "ko"):
        files = {p.name for p in (NGINX_KIT / "errors" / lang).iterdir()}
        assert files == {f"{s}.{kind}" for s in ERRORS_BY_STATUS for kind in ERROR_TYPES}


def test_nginx_answers_json_on_the_paths_the_app_answers_json(tmp_path: Path) -> None:
    """The app writes its refusals as JSON under ``/api/`` and on the ops blueprint's paths
    (``votesvc.api.errors``), as a page everywhere else; nginx's map does the same."""
    from conftest import make_app

    block = re.search(r"^map \$uri \$votesvc_error_type \{\n(.*?)^\}", HTTP_CONF, re.M | re.S)
    assert block is not None
    entries = dict(line.split() for line in block.group(1).strip().splitlines())
    assert entries.pop("default") == "html;"
    assert entries.pop(f'"~^{API_PREFIX}"') == "json;"
    app = make_app("sqlite://", tmp_path)
    machine_paths = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in JSON_BLUEPRINTS
    }
    assert entries == dict.fromkeys(machine_paths, "json;")


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
