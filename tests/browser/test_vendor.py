"""The vendored test files are the ones the manifest names (no browser needed)."""

from __future__ import annotations

import hashlib

from .support import AXE, VENDOR, manifest


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
