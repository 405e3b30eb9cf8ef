"""``python -m votesvc.web.manifest``: record each static file's SHA-256 in the manifest.

Run it after changing a file under ``votesvc/web/static/``. A file new to the manifest is
recorded as votesvc's own (AGPL); for a vendored file, edit its entry's ``version``,
``licence`` and ``source`` by hand — this only keeps the digests and the list true.
``tests/unit/test_static_manifest.py`` fails while the manifest and the files disagree.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
MANIFEST = STATIC / "manifest.json"
OWN = {"version": "votesvc", "licence": "AGPL-3.0-or-later", "source": "written for votesvc"}


def main() -> None:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    known = {entry["path"]: entry for entry in manifest["files"]}
    files = []
    for path in sorted(STATIC.rglob("*")):
        if not path.is_file() or path == MANIFEST:
            continue
        name = str(path.relative_to(STATIC))
        entry = {**OWN, **known.get(name, {}), "path": name}
        entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        files.append(entry)
    manifest["files"] = files
    MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main()
