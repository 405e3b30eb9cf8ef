"""The kiosk in headless Chromium: its own server per test, and the steps staff and voters take.

The browser comes from ``conftest.py``; a kiosk test serves its test's own ``app`` (each test
provisions kiosks and spends tokens), on a port it can serve again after a "browser restart".
PAGES.md has the facts this relies on (worker scope, when a page is controlled, offline).
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import segno
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect
from werkzeug.serving import make_server

PIN = "246813"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(app: Flask, port: int = 0) -> Iterator[str]:
    """``app`` served on 127.0.0.1 (a secure context, as the kiosk needs) until the block ends;
    the same ``port`` again is the same origin, with the same service worker and storage."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def controlled(page: Page, url: str) -> None:
    """Open the kiosk and wait until its service worker controls the page, so that from now on
    it starts and reloads with no network."""
    page.goto(url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.evaluate(
        "navigator.serviceWorker.controller ? true : new Promise(done =>"
        " navigator.serviceWorker.addEventListener('controllerchange', () => done(true)))"
    )


RECEIPT_ID = re.compile(r"^\w{4}-")
"""The start of a kiosk-made receipt id as the receipt screen shows it."""

LOAD_TIMEOUT_MS = 20_000
"""How long a fresh kiosk load (service worker, IndexedDB, the bundle) may take on a loaded
2-core CI machine before the test gives up: Playwright's 5 s default was met under load."""


def provision(page: Page, code: str) -> None:
    """Booth staff set the kiosk up with the admin's provisioning code and a PIN."""
    page.fill("#provision-code", code)
    page.fill("#pin-new", PIN)
    page.fill("#pin-again", PIN)
    page.click("#provision-form button[type=submit]")
    expect(page.locator("[data-screen=start] h1")).to_be_visible(timeout=LOAD_TIMEOUT_MS)


def enter_code(page: Page, code: str) -> None:
    page.fill("#voter-code", code)
    page.click("[data-form=code] button[type=submit]")


def vote(page: Page, code: str) -> str:
    """A voter casts the tests' ballot (A1 and A3 in the city, 6 + 4 points in the north);
    returns the receipt shown."""
    enter_code(page, code)
    page.check("input[name=choice][value=A1]")
    page.check("input[name=choice][value=A3]")
    page.click("form.ballot button[type=submit]")
    page.fill("[name=points-N1]", "6")
    page.fill("[name=points-N2]", "4")
    page.click("form.ballot button[type=submit]")
    expect(page.locator("[data-screen=review]")).to_be_visible()
    page.click("[data-go=cast]")
    receipt = page.locator("[data-live=receipt]")
    expect(receipt).to_have_text(RECEIPT_ID)  # filled after the screen shows: wait for it
    return receipt.inner_text()


def done(page: Page) -> None:
    """The voter leaves: the screen clears for the next one (a fresh load)."""
    page.click("[data-screen=receipt] [data-go=done]")
    expect(page.locator("[data-screen=start] h1")).to_be_visible(timeout=LOAD_TIMEOUT_MS)


def english(page: Page) -> None:
    """The voter picks English on the start screen (the kiosk starts in Korean)."""
    page.click(".langs [data-lang=en]")
    expect(page.locator("[data-screen=start] h1")).to_have_text("Vote here")


def queue(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("window.VotesvcKiosk.queue()")


def open_staff(page: Page) -> None:
    page.click("[data-go=pin]")
    page.fill("#pin", PIN)
    page.click("[data-form=pin] button[type=submit]")
    expect(page.locator("[data-screen=staff]")).to_be_visible(timeout=10_000)


def new_context(browser: Any, **options: Any) -> BrowserContext:
    return browser.new_context(locale="ko-KR", **options)


def qr_video(text: str, path: Path, scale: int = 6) -> Path:
    """A still video of ``text``'s QR code, for Chromium's fake camera
    (``--use-file-for-fake-video-capture``): YUV4MPEG2 4:2:0, two identical frames."""
    rows = [list(row) for row in segno.make(text, error="m").matrix_iter(scale=scale, border=4)]
    size = len(rows) + len(rows) % 2
    luma = bytearray([255]) * (size * size)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                luma[y * size + x] = 0
    chroma = bytes([128]) * ((size // 2) * (size // 2) * 2)
    frame = b"FRAME\n" + bytes(luma) + chroma
    path.write_bytes(f"YUV4MPEG2 W{size} H{size} F10:1 Ip A1:1 C420\n".encode() + frame * 2)
    return path
