"""The kit's whole nginx site, as the README installs it, passes ``nginx -t``: the site file,
its two includes, TLS with a certificate where the README puts one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from deploy_support import DEPLOY, NGINX, NGINX_KIT, relocated

pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (.ci/run installs it)"
)


def test_the_site_passes_nginx_configuration_test(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (the README's self-signed certificate)")
    assert NGINX is not None
    (tmp_path / "tls").mkdir()
    request = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    keys = ["-keyout", str(tmp_path / "tls" / "privkey.pem")]
    subprocess.run(
        [
            *request,
            "-subj",
            "/CN=vote.example.kr",
            *keys,
            "-out",
            str(tmp_path / "tls" / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    shutil.copytree(NGINX_KIT, tmp_path / "votesvc")
    for name in ("http.conf", "server.conf"):
        text = (NGINX_KIT / name).read_text(encoding="utf-8")
        (tmp_path / "votesvc" / name).write_text(relocated(text, tmp_path), encoding="utf-8")
    site = (DEPLOY / "nginx" / "votesvc-site.conf").read_text(encoding="utf-8")
    (tmp_path / "site.conf").write_text(relocated(site, tmp_path), encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\n"
        f"http {{\ninclude /etc/nginx/mime.types;\ninclude {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
