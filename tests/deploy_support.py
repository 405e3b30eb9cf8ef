"""The deployment kit (``deploy/``) as the tests and benches use it: its nginx error files'
expected contents (``python tests/deploy_support.py`` writes them), and nginx and gunicorn
started from the kit's own files on free ports.

nginx runs from a copy of ``deploy/nginx/votesvc/`` whose server paths (``/etc/nginx/votesvc``,
the cache, the logs) point into a scratch folder; everything else is the kit's text. gunicorn
runs ``wsgi:app`` with ``deploy/gunicorn.conf.py`` on a socket bound here and handed over
(``fd://``), so it accepts from the moment it starts, and a node is killed with its whole
process group.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from functools import cache
from http.client import HTTPConnection, HTTPResponse
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
NGINX_KIT = DEPLOY / "nginx" / "votesvc"
NGINX = shutil.which("nginx") or next(
    (path for path in ("/usr/sbin/nginx",) if Path(path).is_file()), None
)
HAS_GUNICORN = find_spec("gunicorn") is not None


def kit_part(name: str, pattern: str) -> str:
    """The first group of ``pattern`` (multiline, dot matches newlines) in the kit's file
    ``name``: the tests run what the kit says, and a kit file changed out of the expected shape
    fails here with its name, not with a TypeError in every test that imports this module."""
    found = re.search(pattern, (DEPLOY / name).read_text(), re.M | re.S)
    if found is None:
        raise LookupError(f"deploy/{name} no longer matches {pattern!r}")
    return found[1]


UPSTREAM_SETTINGS = "".join(
    f"    {line.strip()}\n"
    for line in kit_part(
        "nginx/votesvc-site.conf", r"^upstream votesvc \{\s*\n(.*?)^\}"
    ).splitlines()
    if line.strip() and not line.strip().startswith(("#", "server "))
)
"""The site's upstream block but its servers (its idle connections to the nodes and their
reuse), which the tests' nginx keeps as the site does."""
KIT_WORKERS = int(kit_part("votesvc.env.example", r"^WEB_CONCURRENCY=(\d+)\s*$"))
"""gunicorn workers per machine in the kit's settings template (2 cores)."""
KIT_THREADS: int = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))["threads"]
"""Threads per gunicorn worker in the kit's ``deploy/gunicorn.conf.py``."""


MISSING = (
    "nginx is not installed (.ci/run installs Debian's)"
    if NGINX is None
    else "gunicorn is not installed (the test extra)"
    if not HAS_GUNICORN
    else ""
)
"""Why the tests that run the kit skip, or empty when they can run."""
REDIS_URL = "redis://127.0.0.1:6379/14"
"""The shared Redis, in a database of these tests' own (emptied before and after use)."""
ERRORS_BY_STATUS = {
    400: "bad_request",
    413: "payload_too_large",
    414: "uri_too_long",
    431: "headers_too_large",
    502: "upstream_unavailable",
    504: "upstream_timeout",
}
"""The refusals nginx answers itself, and their codes (the files the kit's error_page names).
Not 408: nginx closes a connection whose request is late without answering it."""
ERROR_TYPES = ("json", "html")
"""Each refusal's two files: the API's error shape, and the page for the residents' paths."""


def error_document(status: int, lang: str) -> str:
    """What ``deploy/nginx/votesvc/errors/<lang>/<status>.json`` must hold: the API's error
    shape for the status's code in ``lang``."""
    from votesvc.i18n import translations

    code = ERRORS_BY_STATUS[status]
    body = {"error": {"code": code, "message": translations(lang).gettext(code), "fields": {}}}
    return json.dumps(body, ensure_ascii=False) + "\n"


@cache
def page_app() -> Flask:
    """An app to render pages with, outside any test's (no database is opened)."""
    from conftest import SECRET

    from votesvc.app import create_app

    instance = Path(tempfile.mkdtemp(prefix="votesvc-pages-"))
    config = {"TESTING": True, "INSTANCE_PATH": str(instance), "SECRET_KEY": SECRET}
    return create_app({**config, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def error_page(status: int, lang: str) -> str:
    """What ``deploy/nginx/votesvc/errors/<lang>/<status>.html`` must hold: the app's refusal
    page for the status's code in ``lang``, as nginx serves it (its SSI adds the request id)."""
    from votesvc.web.refusals import proxy_refusal_page

    with page_app().test_request_context("/", query_string={"lang": lang}):
        return proxy_refusal_page(status, ERRORS_BY_STATUS[status]) + "\n"


def served_page(status: int, lang: str, request_id: str) -> str:
    """The page for ``status`` in ``lang`` as nginx sends it: its SSI writes in the request id
    and the kit's copy of the stylesheet."""
    from votesvc.web.refusals import SSI_REQUEST_ID, SSI_STYLESHEET

    page = error_page(status, lang).replace(SSI_REQUEST_ID, request_id)
    return page.replace(SSI_STYLESHEET, stylesheet())


def stylesheet() -> str:
    """What ``deploy/nginx/votesvc/errors/site.css`` must hold: the pages' stylesheet, which
    the kit's nginx writes into its pages."""
    from votesvc.web.assets import STATIC

    return (STATIC / "css" / "site.css").read_text(encoding="utf-8")


def error_file(status: int, lang: str, kind: str) -> str:
    """The kit's file ``errors/<lang>/<status>.<kind>`` as it must be."""
    return error_page(status, lang) if kind == "html" else error_document(status, lang)


def write_error_files() -> list[Path]:
    """Write every error file of the kit from the catalogues, and the stylesheet they include;
    the files written."""
    from votesvc.i18n import LANGUAGES
    from votesvc.web.refusals import PROXY_STYLESHEET

    css = NGINX_KIT / "errors" / PROXY_STYLESHEET
    css.write_text(stylesheet(), encoding="utf-8")
    written = [css]
    for lang in LANGUAGES:
        for status in ERRORS_BY_STATUS:
            for kind in ERROR_TYPES:
                path = NGINX_KIT / "errors" / lang / f"{status}.{kind}"
                path.write_text(error_file(status, lang, kind), encoding="utf-8")
                written.append(path)
    return written


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def relocated(text: str, folder: Path) -> str:
    """Kit text with the server's paths moved under ``folder`` (``folder/votesvc`` holds the
    copy of ``deploy/nginx/votesvc``, ``folder/tls`` the certificate)."""
    text = text.replace("/etc/nginx/votesvc/", f"{folder}/votesvc/")
    text = text.replace("/etc/votesvc/tls/", f"{folder}/tls/")
    text = text.replace("/var/cache/nginx/votesvc", str(folder / "cache"))
    return text.replace("/var/log/nginx/", f"{folder}/")


def _stop_pid(pid: int, deadline_seconds: float = 10.0) -> None:
    """Ask a process that is not our child (nginx's daemonised master) to stop, and wait."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)  # teardown only: nginx's master exits within milliseconds
    os.kill(pid, signal.SIGKILL)


class Nginx:
    """The kit's nginx in front of ``upstreams`` (gunicorn ports), listening on ``port``."""

    def __init__(
        self,
        folder: Path,
        upstreams: list[int],
        workers: int = 1,
        changes: Mapping[str, str] | None = None,
    ) -> None:
        """``changes`` replaces text of the kit's files (a shorter timeout, for a test that
        waits for it)."""
        self.folder = folder
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        kit = folder / "votesvc"
        shutil.copytree(NGINX_KIT, kit, dirs_exist_ok=True)
        for name in ("http.conf", "server.conf"):
            text = relocated((NGINX_KIT / name).read_text(encoding="utf-8"), folder)
            for old, new in (changes or {}).items():
                text = text.replace(old, new)
            (kit / name).write_text(text, encoding="utf-8")
        servers = "".join(f"    server 127.0.0.1:{port};\n" for port in upstreams)
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the scratch copy
        temp = "".join(
            f"{kind}_temp_path {folder}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (folder / "nginx.conf").write_text(
            f"{user}worker_processes {workers};\npid {folder}/nginx.pid;\n"
            f"error_log {folder}/error.log warn;\n"
            "events { worker_connections 4096; }\n"
            "http {\ninclude /etc/nginx/mime.types;\n"
            f"{temp}include {kit}/http.conf;\n"
            f"upstream votesvc {{\n{servers}{UPSTREAM_SETTINGS}}}\n"
            f"server {{\nlisten 127.0.0.1:{self.port};\ninclude {kit}/server.conf;\n}}\n}}\n",
            encoding="utf-8",
        )
        self.pid: int | None = None

    @property
    def access_log(self) -> Path:
        return self.folder / "votesvc.access.log"

    def start(self) -> Nginx:
        """Start nginx; it returns once its master has bound the port and gone to the
        background, so the port accepts when this returns."""
        assert NGINX is not None
        command = [NGINX, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")]
        subprocess.run([*command, "-e", str(self.folder / "error.log")], check=True)
        self.pid = int((self.folder / "nginx.pid").read_text())
        return self

    def stop(self) -> None:
        if self.pid is not None:
            _stop_pid(self.pid)
            self.pid = None


class Node:
    """One app machine: gunicorn with the kit's config, ``WEB_CONCURRENCY`` workers."""

    def __init__(
        self,
        environ: Mapping[str, str],
        workers: int = 1,
        threads: int = KIT_THREADS,
        port: int = 0,
    ) -> None:
        self.environ, self.workers, self.threads = environ, workers, threads
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(1024)
        self.port = int(self.listener.getsockname()[1])
        fd = self.listener.fileno()
        command = [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py")]
        command += ["--bind", f"fd://{fd}", "--threads", str(threads), "wsgi:app"]
        env = {**os.environ, **environ, "WEB_CONCURRENCY": str(workers)}
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            pass_fds=(fd,),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.listener.close()  # gunicorn holds it now; once it dies, connections are refused

    def wait_ready(self) -> Node:
        """Block until a worker answers ``/readyz`` (the connection waits in the backlog)."""
        connection = HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request("GET", "/readyz")
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        assert response.status == 200, body
        return self

    def worker_pids(self) -> list[int]:
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in found.stdout.split()]

    def restarted(self) -> Node:
        """The same node started again on its port (after :meth:`kill`), ready."""
        return Node(self.environ, self.workers, self.threads, self.port).wait_ready()

    def kill(self) -> None:
        """SIGKILL the master and its workers at once: the machine is gone."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def call(
    port: int,
    method: str,
    path: str,
    body: object = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a new connection: status, headers (lower-case names) and body."""
    connection = HTTPConnection("127.0.0.1", port, timeout=timeout)
    sent = dict(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    try:
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def raw_request(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Raw bytes sent on a new connection (a request ``http.client`` would refuse to write,
    or one cut short): the answer's status, headers (lower-case names) and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(request)
        response = HTTPResponse(sock)
        response.begin()
        body = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


@pytest.fixture(scope="module")
def redis_db() -> Iterator[str]:
    """Redis database 14 of the shared server, emptied before and after the module."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.RedisError as error:
        client.close()
        pytest.skip(f"no Redis at {REDIS_URL} ({type(error).__name__})")
    yield REDIS_URL
    client.flushdb()
    client.close()


def node_environ(database_url: str, instance: Path, **changes: str) -> dict[str, str]:
    """A production node's settings on the tests' database and secret (so tokens the test
    process issues verify on the nodes)."""
    from conftest import SECRET

    return {
        "VOTESVC_ENV": "production",
        "VOTESVC_DATABASE_URL": database_url,
        "VOTESVC_SECRET_KEY": SECRET,
        "VOTESVC_INSTANCE_PATH": str(instance),
        "VOTESVC_PUBLIC_URL": "https://vote.example.kr",
        "VOTESVC_PROXY_HOPS": "1",
        "VOTESVC_MIX_INTERVAL_SECONDS": "0",
        "VOTESVC_CAST_LIMIT": "1000000 per minute",
        **changes,
    }


if __name__ == "__main__":  # python tests/deploy_support.py: after a catalogue changes
    for path in write_error_files():
        print(path.relative_to(ROOT))
