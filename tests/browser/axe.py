"""axe-core in the page under test: every WCAG 2.0-2.2 A/AA rule and axe's best practices."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
RULE_SETS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@functools.cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now (any impact)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # evaluated through DevTools rather than added as a <script>: the pages' CSP refuses
        # inline scripts, and a test must not weaken the CSP it runs under
        page.evaluate(_source() + "\n;undefined")
    return page.evaluate(
        "sets => axe.run(document, {runOnly: sets}).then(result => result.violations)",
        RULE_SETS,
    )


def assert_accessible(page: Any, where: str = "") -> None:
    """No axe violation of any impact; the failure lists each rule and the nodes it hit."""
    found = violations(page)
    lines = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in found
    ]
    assert not found, f"axe on {where or page.url}:\n" + "\n".join(lines)
