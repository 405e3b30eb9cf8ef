"""Recount a publication from its files with ``votesvc.tally`` (``votesvc verify``, whose command
is :mod:`votesvc.cli.verify`).

Reads ``publication.json`` (the manifest), fetches every file it lists and checks its SHA-256,
checks the audit log's hash chain and that its publication entry names the same file digests,
then recounts every contest from its published ballots with the published rule, options and
tie-break, and compares the outcome, round by round, with the published one. It then renders
each contest's results document again from the recount
(:mod:`votesvc.publication.results_document`, the
code that published it) and compares it with ``results.json`` and the contest's own
``results.json``, the files residents read: funded agendas, spend, support, ranks, rounds,
ties and every sentence saying why. Nothing here touches a database or the web application:
a citizen can run it with this package alone.

A URL is the results address of an election (``https://host/api/v1/elections/1/results``);
files are fetched below it at ``files/<name>``. A folder holds the files under their names
(as ``votesvc publication-export`` writes them).

Exit status: 0 when everything matches; 1 when anything checked differs from the recount or
its digest; 3 when nothing checked differs but a file could not be fetched or read (the
address is wrong, the results are not published, the network or disk failed), so the check
is incomplete (:attr:`Report.status`); 2 for a usage error (click's).
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from votesvc.publication.audit_chain import chain_problems
from votesvc.publication.results_document import METHOD_KEYS, contest_document, summary
from votesvc.tally.pabulib import PbFile, read_pb
from votesvc.tally.pb_count import count
from votesvc.tally.ranked.case import case_from_dict, rules_from_dict
from votesvc.tally.ranked.counting import count_ranked
from votesvc.tally.ranked.rules import RankedContest

MANIFEST = "publication.json"
AUDIT = "audit.json"
RESULTS = "results.json"
PUBLISHED_ACTION = "results.published"
MISMATCH, UNREADABLE = 1, 3
"""Exit statuses (see the module docstring)."""

Fetch = Callable[[str], bytes]
"""Bytes of a published file by its name; raises :class:`FetchError` when it cannot."""


class FetchError(Exception):
    """A published file could not be fetched or read; the message says which and why."""


def _api_reason(error: urllib.error.HTTPError) -> str:
    """The votesvc error a refusal carries (``results_not_published``, ...), if it has one."""
    try:
        problem = json.loads(error.read())["error"]
        return f" ({problem['code']}: {problem['message']})"
    except (ValueError, KeyError, TypeError, OSError):
        return ""


def _download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        raise FetchError(f"{url} answered HTTP {error.code}{_api_reason(error)}") from None
    except urllib.error.URLError as error:
        raise FetchError(f"{url} cannot be reached: {error.reason}") from None
    except (OSError, ValueError) as error:  # timeouts, resets; a malformed URL
        raise FetchError(f"{url} cannot be fetched: {error}") from None


def url_source(base: str, get: Callable[[str], bytes] = _download) -> Fetch:
    """Files of the publication at ``base`` (an election's results URL); ``get`` downloads."""
    root = base.rstrip("/") + "/files/"
    return lambda name: get(root + name)


def folder_source(folder: Path) -> Fetch:
    def read(name: str) -> bytes:
        try:
            return (folder / name).read_bytes()
        except OSError as error:
            raise FetchError(f"{folder / name} cannot be read: {error.strerror}") from None

    return read


def source_for(location: str) -> Fetch:
    if location.startswith(("http://", "https://")):
        return url_source(location)
    return folder_source(Path(location))


@dataclass
class Report:
    """Per contest: an empty list when it matches, else what differs; publication-wide
    problems (the audit log, results.json, files that are not any contest's); and what could
    not be fetched or read, with the contests left unchecked because of it."""

    contests: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    unchecked: set[str] = field(default_factory=set)

    @property
    def mismatch(self) -> bool:
        return bool(self.general) or any(self.contests.values())

    @property
    def ok(self) -> bool:
        return not self.mismatch and not self.unreadable

    @property
    def status(self) -> int:
        """The command's exit status: a mismatch outweighs a file that could not be read."""
        if self.mismatch:
            return MISMATCH
        return UNREADABLE if self.unreadable else 0

    def text(self) -> str:
        lines = []
        for code, problems in self.contests.items():
            state = "MISMATCH" if problems else "not checked" if code in self.unchecked else "match"
            lines.append(f"{code}: {state}" + "".join(f"\n  - {p}" for p in problems))
        lines.extend(f"publication: {problem}" for problem in self.general)
        lines.extend(f"not read: {problem}" for problem in self.unreadable)
        if self.mismatch:
            lines.append("verification FAILED")
        elif self.unreadable:
            lines.append("verification incomplete: some files could not be read")
        else:
            lines.append("verified: all match")
        return "\n".join(lines)


def _whole(value: Any) -> Any:
    """An exact amount as the service stores it (whole units), else as read."""
    return int(value) if value.denominator == 1 else value


def _recount(
    method: Mapping[str, Any], files: Mapping[str, bytes], prefix: str
) -> tuple[dict[str, Any], PbFile]:
    """The contest counted again from its published ballots under the published method, as
    the count recorded it (method, outcome, funded, support, spent, budget, ballots), and
    the contest's ``.pb`` file (agendas, costs, budget and its ``selected`` column)."""
    pb = read_pb(files[prefix + "ballots.pb"].decode("utf-8"))
    costs = {agenda.id: _whole(agenda.cost) for agenda in pb.contest.agendas}
    if method["kind"] == "ranked":
        data = json.loads(files[prefix + "ballots.rcv.json"], parse_float=Decimal)
        case = case_from_dict(data)
        contest = RankedContest(
            case.contest.candidates, rules_from_dict(method["rules"]), case.contest.groups
        )
        outcome = count_ranked(contest, method["rule_set"], rule=method["rule"])
        ballots = contest.total_ballots
    else:
        groups = tuple(tuple(group) for group in method.get("exclusive", ()))
        outcome = count(
            replace(pb.contest, exclusive=groups),
            pb.profile,
            method["rule"],
            method["options"],
            method["tie_break"],
        )
        ballots = pb.profile.voters
    result = {
        **{key: method[key] for key in METHOD_KEYS if key in method},
        "outcome": outcome.to_dict(),
        **summary(outcome, costs),
        "budget": _whole(pb.contest.budget),
        "ballots": ballots,
    }
    return result, pb


def _differences(
    published: Mapping[str, Any], recounted: Mapping[str, Any], pb: PbFile
) -> list[str]:
    out = []
    if published["ballots"] != recounted["ballots"]:
        out.append(f"ballots: published {published['ballots']}, file {recounted['ballots']}")
    mine, theirs = recounted["outcome"], published["outcome"]
    for key in sorted(set(mine) | set(theirs)):
        if mine.get(key) != theirs.get(key):
            out.append(f"outcome differs in {key!r}")
    selected = pb.official_selected
    if recounted["kind"] == "allocation" and sorted(selected or ()) != sorted(published["funded"]):
        out.append("the .pb file's selected column differs from the published funded agendas")
    return out


def _rendered(
    method: Mapping[str, Any],
    recounted: Mapping[str, Any],
    pb: PbFile,
    shown: Mapping[str, Any],
    digests: Mapping[str, str],
) -> dict[str, Any]:
    """The contest's results document as the recount renders it. Only what no recount can
    know comes from the published document ``shown``: titles, currency, ballots per channel."""
    titles = {agenda["code"]: agenda for agenda in shown.get("agendas", ())}
    identity = {
        "contest_id": method["contest_id"],
        "code": shown.get("code"),
        "title_ko": shown.get("title_ko"),
        "title_en": shown.get("title_en"),
        "ballot_type": pb.contest.ballot_type.value,
        "currency": shown.get("currency"),
    }
    agendas = [
        {
            "code": agenda.id,
            "title_ko": titles.get(agenda.id, {}).get("title_ko"),
            "title_en": titles.get(agenda.id, {}).get("title_en"),
            "cost": _whole(agenda.cost),
        }
        for agenda in pb.contest.agendas
    ]
    channels = shown.get("channels", [])
    return contest_document(identity, agendas, recounted, channels, digests)


def _document_problems(name: str, shown: Any, rendered: Mapping[str, Any], code: str) -> list[str]:
    """How a published results document differs from the one the recount renders."""
    if not isinstance(shown, Mapping):
        return [f"{name} has no document for contest {code}"]
    keys = sorted(set(shown) | set(rendered))
    out = [
        f"{name}: {key!r} differs from the recount"
        for key in keys
        if shown.get(key) != rendered.get(key)
    ]
    channels = shown.get("channels")
    if (
        isinstance(channels, list)
        and sum(c.get("ballots", 0) for c in channels) != rendered["ballots"]
    ):
        out.append(f"{name}: the ballots per channel do not add up to the ballots counted")
    return out


def _fetch_json(fetch: Fetch, name: str, report: Report) -> Any:
    """A published JSON file, or None (noted as unreadable) when it cannot be fetched."""
    try:
        return json.loads(fetch(name))
    except FetchError as error:
        report.unreadable.append(str(error))
    except ValueError:
        report.general.append(f"{name} is not JSON")
    return None


def _election_problems(
    results: Mapping[str, Any], manifest: Mapping[str, Any], digests: Mapping[str, str]
) -> list[str]:
    """What ``results.json`` says about the whole publication, against the manifest."""
    out = [
        f"{RESULTS}: {key!r} differs from {MANIFEST}"
        for key in ("election", "published_at", "software_version", "seed")
        if results.get(key) != manifest.get(key)
    ]
    if results.get("files") != digests:
        out.append(f"{RESULTS}: the file digests differ from the published files")
    codes = [c.get("code") for c in results.get("contests", ()) if isinstance(c, Mapping)]
    if sorted(map(str, codes)) != sorted(manifest["contests"]):
        out.append(f"{RESULTS}: the contests listed differ from {MANIFEST}")
    return out


def _manifest(fetch: Fetch) -> tuple[dict[str, Any], bytes]:
    raw = fetch(MANIFEST)
    try:
        manifest = json.loads(raw)
        if isinstance(manifest["files"], dict) and isinstance(manifest["contests"], dict):
            return manifest, raw
    except (ValueError, KeyError, TypeError):
        pass
    raise FetchError(f"{MANIFEST} is not a votesvc publication manifest")


def verify(fetch: Fetch) -> Report:
    """Check a publication read through ``fetch``; see the module docstring. Raises
    :class:`FetchError` when the manifest itself cannot be had: nothing can be checked."""
    manifest, raw = _manifest(fetch)
    report = Report()
    files: dict[str, bytes] = {}
    bad_files: list[str] = []
    for name, digest in manifest["files"].items():
        try:
            files[name] = fetch(name)
        except FetchError as error:
            report.unreadable.append(str(error))
            continue
        if hashlib.sha256(files[name]).hexdigest() != digest:
            bad_files.append(f"{name}: SHA-256 differs from the published digest")
    digests = {**manifest["files"], MANIFEST: hashlib.sha256(raw).hexdigest()}
    if AUDIT in files:
        entries = json.loads(files[AUDIT])
        report.general.extend(f"audit log {p}" for p in chain_problems(entries))
        published = [e for e in entries if e["action"] == PUBLISHED_ACTION]
        named = {k: v for k, v in manifest["files"].items() if k != AUDIT}
        if not published or published[-1]["payload"].get("files") != named:
            report.general.append("the audit log's publication entry does not name these files")
    results = _fetch_json(fetch, RESULTS, report)
    if isinstance(results, Mapping):
        report.general.extend(_election_problems(results, manifest, digests))
    shown_in_results = {
        c.get("code"): c for c in (results or {}).get("contests", ()) if isinstance(c, Mapping)
    }
    for code, method in manifest["contests"].items():
        prefix = f"contests/{method['contest_id']}/"
        report.contests[code] = [p for p in bad_files if p.startswith(prefix)]
        if report.contests[code]:
            continue
        if any(name.startswith(prefix) and name not in files for name in manifest["files"]):
            report.unchecked.add(code)
            continue
        try:
            recounted, pb = _recount(method, files, prefix)
        except (KeyError, ValueError) as error:
            report.contests[code] = [f"cannot recount: {type(error).__name__}: {error}"]
            continue
        problems = _differences(method, recounted, pb)
        if results is not None:
            shown = shown_in_results.get(code)
            rendered = _rendered(method, recounted, pb, shown or {}, digests)
            problems += _document_problems(RESULTS, shown, rendered, code)
            own = _fetch_json(fetch, prefix + RESULTS, report)
            if own is not None:
                problems += _document_problems(prefix + RESULTS, own, rendered, code)
        report.contests[code] = problems
    prefixes = tuple(f"contests/{m['contest_id']}/" for m in manifest["contests"].values())
    report.general.extend(p for p in bad_files if not p.startswith(prefixes))
    return report
