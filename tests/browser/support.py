"""Helpers for the browser tests: where Chromium is, axe-core checks, screenshots.

axe-core is evaluated from its file through the DevTools protocol rather than added as a
``<script>`` element (``page.add_script_tag``): the pages' Content-Security-Policy
(``script-src 'self'``) refuses the inline script Playwright would insert, and the protocol's
evaluation is not subject to the page's policy. A page in a context with JavaScript disabled
cannot run axe (its timers never fire, so ``axe.run`` never ends): its DOM is copied into a
JavaScript-enabled page at the same address, with the page's stylesheets and images, and
checked there.
"""

from __future__ import annotations

import json
import re
import shutil
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "vendor"
MANIFEST = VENDOR / "manifest.json"
AXE = VENDOR / "axe-core" / "axe.min.js"
SCREENSHOTS = HERE.parents[1] / "test-output" / "screenshots"

CHROMIUM_CANDIDATES = (Path("/usr/lib/chromium/chromium"), Path("/usr/bin/chromium"))
"""Debian's browser: the binary itself first (it skips the wrapper script's start-up line),
then the wrapper."""

NO_SCRIPT: weakref.WeakSet[Any] = weakref.WeakSet()
"""Browser contexts made with JavaScript disabled (the fixtures add them), which
:func:`assert_accessible` checks through a copy."""

AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21aa", "wcag22aa", "best-practice")

RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html}))
  }));
}"""

STATIC_COPY = """() => {
  const root = document.documentElement.cloneNode(true);
  root.querySelectorAll('script').forEach(s => s.remove());
  root.querySelectorAll('noscript').forEach(n => {
    const shown = document.createElement('div');
    shown.append(...n.childNodes);
    n.replaceWith(shown);
  });
  return '<!DOCTYPE html>' + root.outerHTML;
}"""
"""The page's DOM as a JavaScript-less browser shows it: ``<noscript>`` content shown (as a
``div``: re-parsed with scripting on, ``<noscript>`` would hide it), no scripts."""


def find_chromium(candidates: Sequence[Path] = CHROMIUM_CANDIDATES) -> Path | None:
    """The first executable Chromium among ``candidates``, else ``chromium`` on ``PATH``."""
    for candidate in candidates:
        if candidate.is_file() and shutil.which(str(candidate)):
            return candidate
    found = shutil.which("chromium")
    return Path(found) if found else None


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on ``page`` under :data:`AXE_TAGS`: id, impact, help and the
    target of each node."""
    if page.context not in NO_SCRIPT:
        return _run_axe(page)
    assert page.context.browser is not None
    return _run_axe_on_copy(page.context.browser, page)


def _run_axe(page: Page) -> list[dict[str, Any]]:
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(RUN_AXE, list(AXE_TAGS))


def _run_axe_on_copy(browser: Browser, page: Page) -> list[dict[str, Any]]:
    html = page.evaluate(STATIC_COPY)
    viewport = page.viewport_size
    context = browser.new_context(viewport=viewport, java_script_enabled=True)
    try:

        def answer(route: Route) -> None:
            if route.request.resource_type == "document":
                route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            elif route.request.resource_type == "script":
                route.abort()
            else:
                route.continue_()

        context.route("**/*", answer)
        copy = context.new_page()
        copy.goto(page.url)
        return _run_axe(copy)
    finally:
        context.close()


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One line per violation and one per node it found: what a failing test prints."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(
            f"    {' '.join(map(str, node['target']))}  {node['html'][:120]}"
            for node in violation["nodes"]
        )
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Fail on any axe-core violation, whatever its impact, listing them all."""
    violations = axe_violations(page)
    assert not violations, (
        f"axe-core found {len(violations)} violation(s) on {page.url}:\n"
        + describe_violations(violations)
    )


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG under ``test-output/screenshots/`` (gitignored), named ``name`` made
    safe for a file name; returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^\w.-]+", "-", name).strip("-") + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


def manifest() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))
