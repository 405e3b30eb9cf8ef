"""Take the README's screenshots: the citizen pages on a phone in Korean, and the booth kiosk
on a tablet in Korean and English (each voter step, review, receipt, the staff panel), and
the admin console running the election in Korean and English on a phone and a desktop.

    .venv/bin/python docs/screenshots/take.py

Serves a fresh demo election from a temporary SQLite database, votes in it with Debian's
Chromium (390 px wide for the pages, 800 px for the kiosk) and writes the PNGs beside this
file. The kiosk is provisioned for the demo's first booth once per language, its default
language set at provisioning, and votes with that booth's sheet codes. Last, the console:
its tokens page, a kiosk just provisioned (the QR code) and, once the election is closed and
counted, the count page with its preliminary results.
"""

from __future__ import annotations

import re
import tempfile
import threading
from pathlib import Path
from typing import Any

import flask_migrate
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from votesvc import create_app
from votesvc.models import Election
from votesvc.models.base import db
from votesvc.services import api_keys, batches, demo, results

HERE = Path(__file__).resolve().parent
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 800, "height": 1280}
DESKTOP = {"width": 1280, "height": 900}
PIN = "135790"


def main() -> None:
    folder = tempfile.mkdtemp()
    app = create_app({"INSTANCE_PATH": folder})
    with app.app_context():
        flask_migrate.upgrade()
        election, _ = demo.load_demo()
        election_id = election.id
        (token,) = batches.batch_tokens(batches.issue_batch(election_id, {"size": 1}))
        booth = election.booths[0]
        sheets = demo.demo_codes(election, 2, booth)
        test_batch = {"size": 2, "booth_id": booth.id, "test": True}
        tests = batches.batch_tokens(batches.issue_batch(election_id, test_batch))
        kiosks = [demo.demo_kiosk(db.session.get(Election, election_id))[1] for _ in range(2)]
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
        root = f"http://127.0.0.1:{server.server_port}"
        for at, lang in enumerate(("ko", "en")):
            kiosk(browser, root, lang, kiosks[at], sheets[at].signed, tests[at].signed)
        console(app, browser, root, election_id)
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


def kiosk(browser: Browser, root: str, lang: str, provisioned: Any, sheet: str, test: str) -> None:
    """One booth voter's way through the kiosk and the staff panel after them, in ``lang`` (the
    kiosk's default language, chosen at provisioning)."""
    context = browser.new_context(viewport=TABLET, locale="ko-KR")
    page = context.new_page()
    page.goto(f"{root}/kiosk/")
    page.fill("#provision-code", provisioned["provisioning_code"])
    page.select_option("#provision-lang", lang)
    page.fill("#pin-new", PIN)
    page.fill("#pin-again", PIN)
    page.click("#provision-form button[type=submit]")
    start = page.locator("[data-screen=start] h1")
    expect(start).to_be_visible(timeout=20_000)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    shot(page, f"kiosk-start-{lang}")
    page.fill("#voter-code", sheet)
    page.click("[data-form=code] button[type=submit]")
    for _step in range(10):  # the booth's contests, then the review
        if not page.locator("[data-screen=ballot]").is_visible():
            break
        form = page.locator("[data-slot=contest] form.ballot")
        kind = form.get_attribute("data-kind") or ""
        mark(page, kind)
        shot(page, f"kiosk-step-{kind}-{lang}")
        form.locator("button[type=submit]").click()
    expect(page.locator("[data-screen=review] h1")).to_be_visible()
    shot(page, f"kiosk-review-{lang}")
    page.click("[data-go=cast]")
    expect(page.locator("[data-live=receipt]")).not_to_be_empty()
    shot(page, f"kiosk-receipt-{lang}")
    page.click("[data-screen=receipt] [data-go=done]")
    expect(start).to_be_visible()
    page.click("[data-go=pin]")
    page.fill("#pin", PIN)
    page.click("[data-form=pin] button[type=submit]")
    expect(page.locator("[data-screen=staff]")).to_be_visible(timeout=10_000)
    page.fill("#dry-run", test)
    page.click("[data-form=dry-run] button[type=submit]")
    expect(page.locator("[data-live=dry-run-server]")).not_to_be_empty()
    expect(page.locator("[data-live=dry-run]")).not_to_have_text("…")
    page.locator("[data-screen=staff] h1").focus()
    shot(page, f"kiosk-staff-{lang}", full_page=True)
    context.close()


def mark(page: Page, kind: str) -> None:
    """Marks that show what the step does: two choices; on the knapsack step choices until the
    agendas that no longer fit are marked unavailable; points shared out."""
    choices = page.locator("[data-slot=contest] li.choice")
    if kind == "knapsack":
        for code in ("O-01", "O-04", "O-02"):  # 240 of 250 million: the rest no longer fit
            page.locator(f"input[name=choice][value={code}]").check()
        return
    if kind == "points":
        page.locator("input[type=number]").nth(0).fill("5")
        page.locator("input[type=number]").nth(2).fill("3")
        return
    for index in (0, 2):
        choices.nth(index).locator("input").check()


def shot(page: Page, name: str, full_page: bool = False) -> None:
    """The tablet's screen (a ballot's budget meter sticks to its top, so a whole-page picture
    would show it mid-page); the staff panel whole."""
    page.screenshot(path=HERE / f"{name}.png", full_page=full_page)


if __name__ == "__main__":
    main()
