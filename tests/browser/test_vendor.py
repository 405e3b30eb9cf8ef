"""What needs no browser: the vendored files are the ones the manifest names; Chromium is
found where Debian puts it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from .support import AXE, VENDOR, find_chromium, manifest


def test_every_vendored_file_matches_its_manifest_checksum() -> None:
    entries = manifest()
    assert AXE.relative_to(VENDOR).as_posix() in entries
    for name, entry in entries.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == entry["sha256"], name
        assert all((VENDOR / licence).is_file() for licence in entry["licence_files"])


def test_the_axe_file_is_the_version_the_manifest_says() -> None:
    entry = manifest()["axe-core/axe.min.js"]
    assert AXE.read_text(encoding="utf-8").startswith(f"/*! axe v{entry['version']}\n")
    assert entry["licence"] == "MPL-2.0"


def test_chromium_is_looked_for_in_the_debian_paths_then_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium([tmp_path / "none"]) is None
    wrapper = tmp_path / "chromium"
    wrapper.write_text("#!/bin/sh\n")
    wrapper.chmod(0o755)
    assert find_chromium([tmp_path / "none"]) == wrapper
    binary = tmp_path / "lib-chromium"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    assert find_chromium([binary, tmp_path / "none"]) == binary
