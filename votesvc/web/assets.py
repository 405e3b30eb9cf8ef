"""Static files by address: each one's digest in its URL, so a changed file is never stale."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import url_for

STATIC = Path(__file__).parent / "static"
MANIFEST = STATIC / "manifest.json"


@cache
def _digests() -> dict[str, str]:
    """Each static file's SHA-256 as the manifest records it (a test checks they match)."""
    entries = json.loads(MANIFEST.read_text(encoding="utf-8"))["files"]
    return {entry["path"]: entry["sha256"] for entry in entries}


def static_url(path: str) -> str:
    """A static file's address with its digest, so a changed file is never served stale."""
    digest = _digests().get(path) or hashlib.sha256((STATIC / path).read_bytes()).hexdigest()
    return url_for("web.static", filename=path, v=digest[:12])
