"""The ranked cases every corpus test runs: the RCTab regression corpus
(``<project root>/../shared/data/rcv``) and our own cases in the same format
(``tests/unit/data/rcv``), which cover endings of a count the corpus has no case for."""

from __future__ import annotations

from pathlib import Path

import pytest

RCV_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "rcv"
OWN_DIR = Path(__file__).resolve().parent / "data" / "rcv"
CORPUS_FILES = sorted(RCV_DIR.glob("*.json")) if RCV_DIR.is_dir() else []
CASE_FILES = CORPUS_FILES + sorted(OWN_DIR.glob("*.json"))


def case_params() -> list[object]:
    """One parameter per case file, and a skipped one saying so when the corpus is absent."""
    params: list[object] = [pytest.param(path, id=path.stem) for path in CASE_FILES]
    if not CORPUS_FILES:
        reason = f"no RCV corpus at {RCV_DIR}"
        params.append(pytest.param(None, id="rctab-corpus", marks=pytest.mark.skip(reason=reason)))
    return params
