"""Where the RCTab regression corpus lives (``<project root>/../shared/data/rcv``)."""

from __future__ import annotations

from pathlib import Path

import pytest

RCV_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "rcv"
CASE_FILES = sorted(RCV_DIR.glob("*.json")) if RCV_DIR.is_dir() else []


def case_params() -> list[object]:
    """One parameter per case file, or a single skipped one saying why there are none."""
    if not CASE_FILES:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no RCV corpus at {RCV_DIR}"))]
    return [pytest.param(path, id=path.stem) for path in CASE_FILES]
