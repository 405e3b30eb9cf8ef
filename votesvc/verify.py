"""``votesvc verify URL-or-folder``: recount a publication from its files, with ``votesvc.tally``.

Reads ``publication.json`` (the manifest), fetches every file it lists and checks its SHA-256,
checks the audit log's hash chain and that its publication entry names the same file digests,
then recounts every contest from its published ballots with the published rule, options and
tie-break, and compares the outcome, round by round, with the published one. Nothing here
touches a database or the web application: a citizen can run it with this package alone.

A URL is the results address of an election (``https://host/api/v1/elections/1/results``);
files are fetched below it at ``files/<name>``. A folder holds the files under their names
(as ``votesvc publication-export`` writes them).
"""

from __future__ import annotations

import hashlib
import json
import sys
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from votesvc.audit_chain import chain_problems
from votesvc.tally.pabulib import read_pb
from votesvc.tally.pb_count import count
from votesvc.tally.ranked.case import case_from_dict, rules_from_dict
from votesvc.tally.ranked.counting import count_ranked
from votesvc.tally.ranked.rules import RankedContest

MANIFEST = "publication.json"
AUDIT = "audit.json"
PUBLISHED_ACTION = "results.published"

Fetch = Callable[[str], bytes]
"""Bytes of a published file by its name."""


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def url_source(base: str, get: Callable[[str], bytes] = _download) -> Fetch:
    """Files of the publication at ``base`` (an election's results URL); ``get`` downloads."""
    root = base.rstrip("/") + "/files/"
    return lambda name: get(root + name)


def folder_source(folder: Path) -> Fetch:
    return lambda name: (folder / name).read_bytes()


def source_for(location: str) -> Fetch:
    if location.startswith(("http://", "https://")):
        return url_source(location)
    return folder_source(Path(location))


@dataclass
class Report:
    """Per contest: an empty list when it matches, else what differs; plus publication-wide
    problems (the audit log, files that are not any contest's)."""

    contests: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.general and not any(self.contests.values())

    def text(self) -> str:
        lines = [
            f"{code}: {'match' if not problems else 'MISMATCH'}"
            + "".join(f"\n  - {p}" for p in problems)
            for code, problems in self.contests.items()
        ]
        lines.extend(f"publication: {problem}" for problem in self.general)
        lines.append("verified: all match" if self.ok else "verification FAILED")
        return "\n".join(lines)


def _recount(method: Mapping[str, Any], files: Mapping[str, bytes], prefix: str) -> dict[str, Any]:
    """The contest counted again from its published ballots under the published method."""
    if method["kind"] == "ranked":
        data = json.loads(files[prefix + "ballots.rcv.json"], parse_float=Decimal)
        case = case_from_dict(data)
        contest = RankedContest(
            case.contest.candidates, rules_from_dict(method["rules"]), case.contest.groups
        )
        outcome = count_ranked(contest, method["rule_set"], rule=method["rule"])
        return {"outcome": outcome.to_dict(), "ballots": contest.total_ballots, "funded": None}
    pb = read_pb(files[prefix + "ballots.pb"].decode("utf-8"))
    groups = tuple(tuple(group) for group in method.get("exclusive", ()))
    contest = replace(pb.contest, exclusive=groups)
    outcome = count(contest, pb.profile, method["rule"], method["options"], method["tie_break"])
    return {
        "outcome": outcome.to_dict(),
        "ballots": pb.profile.voters,
        "funded": sorted(pb.official_selected or ()),
    }


def _differences(published: Mapping[str, Any], recounted: Mapping[str, Any]) -> list[str]:
    out = []
    if published["ballots"] != recounted["ballots"]:
        out.append(f"ballots: published {published['ballots']}, file {recounted['ballots']}")
    mine, theirs = recounted["outcome"], published["outcome"]
    for key in sorted(set(mine) | set(theirs)):
        if mine.get(key) != theirs.get(key):
            out.append(f"outcome differs in {key!r}")
    if recounted["funded"] is not None and recounted["funded"] != sorted(published["funded"]):
        out.append("the .pb file's selected column differs from the published funded agendas")
    return out


def verify(fetch: Fetch) -> Report:
    """Check a publication read through ``fetch``; see the module docstring."""
    manifest = json.loads(fetch(MANIFEST))
    report = Report()
    files: dict[str, bytes] = {}
    bad_files: list[str] = []
    for name, digest in manifest["files"].items():
        try:
            files[name] = fetch(name)
        except (OSError, ValueError) as error:
            bad_files.append(f"{name}: cannot be read ({error})")
            continue
        if hashlib.sha256(files[name]).hexdigest() != digest:
            bad_files.append(f"{name}: SHA-256 differs from the published digest")
    entries = json.loads(files[AUDIT]) if AUDIT in files else []
    report.general.extend(f"audit log {p}" for p in chain_problems(entries))
    published = [e for e in entries if e["action"] == PUBLISHED_ACTION]
    named = {k: v for k, v in manifest["files"].items() if k != AUDIT}
    if not published or published[-1]["payload"].get("files") != named:
        report.general.append("the audit log's publication entry does not name these files")
    for code, method in manifest["contests"].items():
        prefix = f"contests/{method['contest_id']}/"
        problems = [p for p in bad_files if p.startswith(prefix)]
        if not problems:
            try:
                problems = _differences(method, _recount(method, files, prefix))
            except (KeyError, ValueError) as error:
                problems = [f"cannot recount: {type(error).__name__}: {error}"]
        report.contests[code] = problems
    prefixes = tuple(f"contests/{m['contest_id']}/" for m in manifest["contests"].values())
    report.general.extend(p for p in bad_files if not p.startswith(prefixes))
    return report


@click.command("verify")
@click.argument("location")
def verify_command(location: str) -> None:
    """Recount a publication (results URL or folder) and compare it with what was published."""
    report = verify(source_for(location))
    click.echo(report.text())
    sys.exit(0 if report.ok else 1)
