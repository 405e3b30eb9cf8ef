"""The audit log's hash chain, in the standard library only, so ``votesvc verify`` checks a
published log with exactly the code that wrote it.

Each entry's hash is SHA-256 over the canonical JSON of the entry (sorted keys, no spaces,
UTF-8) followed by the previous entry's hash as hex text. Editing, dropping or reordering an
entry changes every later hash; the first entry of a chain follows ``GENESIS``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

GENESIS = "0" * 64

HASHED_FIELDS = ("chain", "seq", "election_id", "action", "actor", "payload", "created_at")
"""What an entry's hash covers (``prev_hash`` is appended, ``hash`` is the result)."""


def canonical(entry: Mapping[str, Any]) -> bytes:
    body = {name: entry[name] for name in HASHED_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(entry) + prev_hash.encode("ascii")).hexdigest()


def chain_problems(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """Everything wrong with one chain given in order; empty when it is intact."""
    problems = []
    previous = GENESIS
    for position, entry in enumerate(entries, start=1):
        if entry["seq"] != position:
            problems.append(f"entry {position}: sequence number {entry['seq']} (a gap or reorder)")
        if entry["prev_hash"] != previous:
            problems.append(f"entry {position}: prev_hash does not name the entry before it")
        if entry_hash(entry, entry["prev_hash"]) != entry["hash"]:
            problems.append(f"entry {position}: hash does not match its content")
        previous = entry["hash"]
    return problems
