"""Take the README's screenshots of the pages: the demo election on a phone, in Korean, and
the admin console running it, in Korean and English on a phone and a desktop.

    .venv/bin/python docs/screenshots/take.py

Serves a fresh demo election from a temporary SQLite database, votes in it with Debian's
Chromium (390 px wide), then signs in to the console: its tokens page, a kiosk just
provisioned (the QR code), and, once the election is closed and counted, the count page
with its preliminary results. Writes the PNGs beside this file.
"""

from __future__ import annotations

import re
import tempfile
import threading
from pathlib import Path

import flask_migrate
from flask import Flask
from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

from votesvc import create_app
from votesvc.models.base import db
from votesvc.services import api_keys, batches, demo, results

HERE = Path(__file__).resolve().parent
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def main() -> None:
    folder = tempfile.mkdtemp()
    app = create_app({"INSTANCE_PATH": folder})
    with app.app_context():
        flask_migrate.upgrade()
        election, _ = demo.load_demo()
        election_id = election.id
        (token,) = batches.batch_tokens(batches.issue_batch(election_id, {"size": 1}))
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/elections/{election_id}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/lib/chromium/chromium")
        page = browser.new_context(viewport=PHONE, locale="ko-KR").new_page()
        page.goto(f"{base}/vote?lang=ko#code={token.signed}")
        page.wait_for_url(re.compile(r"/ballot/city$"))
        page.locator("input[name=choice]").first.check()
        page.screenshot(path=HERE / "ballot-ko-390.png")
        page.locator("form.ballot button.primary").click()
        page.wait_for_url(re.compile(r"/ballot/old-town$"))
        boxes = page.locator("input[name=choice]")
        boxes.nth(0).check()
        boxes.nth(1).check()
        page.screenshot(path=HERE / "ballot-knapsack-ko-390.png")
        page.goto(f"{base}/review")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/receipt$"))
        page.screenshot(path=HERE / "receipt-ko-390.png")
        console(app, browser, f"http://127.0.0.1:{server.server_port}", election_id)
        browser.close()
    server.shutdown()


def console(app: Flask, browser: Browser, root: str, election_id: int) -> None:
    """The console running the demo: tokens, a provisioned kiosk, then a closed, counted
    election's preliminary results; each in both languages at both widths."""
    with app.app_context():
        key = api_keys.create_api_key(None, label="screenshots")[1]
    shots = [
        (lang, width, size)
        for lang in ("ko", "en")
        for width, size in (("390", PHONE), ("desktop", DESKTOP))
    ]
    pages = {}
    for lang, width, size in shots:
        page = browser.new_context(viewport=size, locale=f"{lang}-KR").new_page()
        page.goto(f"{root}/admin/sign-in?lang={lang}")
        page.fill("#key", key)
        page.click("main button[type=submit]")
        page.wait_for_url("**/admin/")
        page.goto(f"{root}/admin/elections/{election_id}/tokens")
        page.screenshot(path=HERE / f"console-tokens-{lang}-{width}.png", full_page=True)
        page.goto(f"{root}/admin/elections/{election_id}/kiosks")
        page.locator("main form[action$='/kiosks'] button").first.click()
        page.screenshot(path=HERE / f"console-kiosk-{lang}-{width}.png", full_page=True)
        pages[lang, width] = page
    with app.app_context():
        results.close_election(election_id)
        results.wait(results.request_count(election_id, force=True).id)
    for (lang, width), page in pages.items():
        page.goto(f"{root}/admin/elections/{election_id}/count")
        page.screenshot(path=HERE / f"console-count-{lang}-{width}.png", full_page=True)


if __name__ == "__main__":
    main()
