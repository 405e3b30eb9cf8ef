"""Every static file the pages serve is listed in the manifest with its true SHA-256."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "votesvc" / "web" / "static"


def test_the_manifest_lists_every_static_file_with_its_digest() -> None:
    manifest = json.loads((STATIC / "manifest.json").read_text(encoding="utf-8"))
    listed = {entry["path"]: entry for entry in manifest["files"]}
    present = {
        str(path.relative_to(STATIC))
        for path in STATIC.rglob("*")
        if path.is_file() and path.name != "manifest.json"
    }
    assert set(listed) == present
    for path, entry in listed.items():
        digest = hashlib.sha256((STATIC / path).read_bytes()).hexdigest()
        assert entry["sha256"] == digest, f"{path}: manifest {entry['sha256']}, file {digest}"
        assert entry["version"] and entry["licence"] and entry["source"]
