"""Take the README's screenshots of the pages: the demo election on a phone, in Korean.

    .venv/bin/python docs/screenshots/take.py

Serves a fresh demo election from a temporary SQLite database, votes in it with Debian's
Chromium (390 px wide) and writes the PNGs beside this file.
"""

from __future__ import annotations

import re
import tempfile
import threading
from pathlib import Path

import flask_migrate
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from votesvc import create_app
from votesvc.models.base import db
from votesvc.services import batches, demo

HERE = Path(__file__).resolve().parent
PHONE = {"width": 390, "height": 844}


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
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
