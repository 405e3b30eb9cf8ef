"""The shared pabulib files and their reference outcomes, each parsed once per test session.

Tests import this module instead of reparsing: Warsaw 2026 alone is 3 MB. The data lives in
``<project root>/../shared``; tests that need it skip cleanly where it is absent.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from votesvc.tally.pabulib import PbFile, read_pb_file

PABULIB = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pabulib"
FILES = sorted(p.name for p in PABULIB.glob("*.pb")) if PABULIB.is_dir() else []
"""Every shared ``.pb`` file name (empty where the shared data is absent)."""


def _require_shared() -> None:
    if not FILES:
        pytest.skip(f"shared pabulib data not found at {PABULIB}")


@cache
def load(name: str) -> PbFile:
    """The parsed file ``name``, read once per session."""
    _require_shared()
    return read_pb_file(PABULIB / name)


@cache
def expected() -> dict[str, Any]:
    """``expected.json``: pabutools' outcomes per file and rule, and the official selections."""
    _require_shared()
    return json.loads((PABULIB / "expected.json").read_text(encoding="utf-8"))


def file_params() -> list[Any]:
    """``FILES`` for ``parametrize``, or one skipped case saying why there are none."""
    if FILES:
        return FILES
    return [pytest.param(None, marks=pytest.mark.skip(reason=f"no shared data at {PABULIB}"))]


def reference_cases(keys: list[str]) -> list[Any]:
    """``(file, rule key)`` for every pabutools outcome in ``expected.json`` under ``keys``."""
    if not FILES:
        reason = f"no shared data at {PABULIB}"
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=reason))]
    stored = expected()
    return [(name, key) for name in FILES for key in keys if key in stored[name]["rules"]]
