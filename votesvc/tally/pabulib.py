"""Read and write pabulib ``.pb`` files (https://pabulib.org/format) exactly.

A ``.pb`` file has three ``;``-separated sections: ``META`` (key/value), ``PROJECTS`` and
``VOTES``. Real files have quirks, all handled here so that no rule has to know about them:

- decimal amounts (``400000.0``, ``2458488.22``, a decimal comma) are read exactly as
  ``Fraction``; CRLF or mixed line endings, a byte-order mark and quoted fields are
  read as the ``csv`` module reads them;
- a vote that names the same agenda twice is repaired (kept once; for points ballots the points
  are added) and the repair is reported in ``PbFile.repairs``;
- agendas priced above the budget (pabulib marks withdrawn agendas with ``999999999``) are kept,
  so every rule sees the file as published, and reported: no rule can fund them;
- ids are strings (``L17/07/VII``, ``P0039``); votes for ids not in ``PROJECTS`` are errors;
- ordinal votes are read in rank order; a ``points`` column on them (Kraków writes the
  positional points ``3,2,1``) restates the ranks and is not kept.

Ballots are anonymous here: votes are aggregated by identical content, and the VOTES section's
voter ids and other voter columns (age, sex, ...) are not kept. Everything else round-trips:
``read_pb(write_pb(f)) == f`` for every file read (``repairs`` describe one reading and take no
part in equality); a ``PbFile`` built in code gets its budget, vote type, ballot rules and
stale counts written into META, so it reads back with those META entries added.

Why one module (about 500 lines): the reader and the writer are the two halves of one format
and of its round-trip guarantee; they share the amount syntax (``parse_amount``,
``format_amount``), the key rules and the META vocabulary, and the tests check them as a
pair.
"""

from __future__ import annotations

import csv
import gc
import io
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from votesvc.tally.model import Agenda, BallotGroup, BallotRules, BallotType, Contest, Profile

POINTS_TYPES = frozenset({BallotType.CUMULATIVE, BallotType.SCORING})
"""Ballot types whose votes carry a ``points`` column."""

_SECTIONS = ("meta", "projects", "votes")

_RULE_KEYS: dict[str, str] = {
    "min_length": "min_length",
    "max_length": "max_length",
    "min_sum_cost": "min_cost",
    "max_sum_cost": "max_cost",
    "min_sum_points": "min_points",
    "max_sum_points": "max_points",
    "min_points": "min_points_per_agenda",
    "max_points": "max_points_per_agenda",
}
"""pabulib META key -> ``BallotRules`` field."""

_AMOUNT_RULES = frozenset({"min_cost", "max_cost"})


class PbFormatError(ValueError):
    """A ``.pb`` file that cannot be read; ``line`` is the 1-based physical line (0: none)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


@dataclass(frozen=True, slots=True)
class PbFile:
    """A pabulib file as the counting core sees it.

    ``contest.meta`` keeps every META key verbatim. ``project_columns`` is the PROJECTS header
    and ``projects_extra`` each agenda's other columns (``votes``, ``score``, ``selected``, ...)
    verbatim, so that writing gives them back in the same place.
    """

    contest: Contest
    profile: Profile
    project_columns: tuple[str, ...] = ("project_id", "cost", "name")
    projects_extra: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    repairs: tuple[str, ...] = field(default=(), compare=False)

    @property
    def meta(self) -> Mapping[str, str]:
        return self.contest.meta

    @property
    def official_selected(self) -> tuple[str, ...] | None:
        """The ``selected`` column's funded agendas in file order, or ``None`` without one."""
        if "selected" not in self.project_columns:
            return None
        return tuple(
            a.id for a in self.contest.agendas if self.projects_extra[a.id].get("selected") == "1"
        )


MAX_EXPONENT = 30
"""Largest power of ten a number may be written with (``1e30``): ``Fraction("1e9999999")``
alone takes half a minute, and no real amount needs more."""

_EXPONENT = re.compile(r"[eE]([+-]?\d+)")


def _fraction(text: str, what: str, line: int) -> Fraction:
    """``Fraction(text)`` for a number as files write it, or a ``PbFormatError``."""
    exponent = _EXPONENT.search(text)
    digits = exponent.group(1).lstrip("+-").lstrip("0") if exponent else ""
    if len(digits) > len(str(MAX_EXPONENT)) or int(digits or 0) > MAX_EXPONENT:
        raise PbFormatError(f"{what} {text[:40]!r} has an exponent past {MAX_EXPONENT}", line)
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):  # also integers of over 4 300 digits
        raise PbFormatError(f"{what} {text[:40]!r} is not a number", line) from None


def parse_amount(text: str, what: str, line: int = 0) -> Fraction:
    """``"400000.0"``, ``"2458488.22"``, ``"12,5"`` or ``"7/3"`` -> an exact ``Fraction``."""
    cleaned = text.strip()
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    value = _fraction(cleaned, what, line)
    if value < 0:
        raise PbFormatError(f"{what} {text!r} is negative", line)
    return value


def format_amount(value: Fraction) -> str:
    """The shortest exact text ``parse_amount`` reads back: ``400000``, ``2458488.22``, ``1/3``."""
    if value.denominator == 1:
        return str(value.numerator)
    den, twos, fives = value.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = abs(value.numerator) * 10**places // value.denominator
    sign = "-" if value < 0 else ""
    return f"{sign}{scaled // 10**places}.{scaled % 10**places:0{places}d}"


def _integer(text: str, what: str, line: int) -> int:
    value = _fraction(text.strip(), what, line)
    if value.denominator != 1:
        raise PbFormatError(f"{what} {text!r} is not a whole number", line)
    return value.numerator


class _Reader:
    """The csv rows of a ``.pb`` text, with the physical line number of the last one read."""

    def __init__(self, text: str) -> None:
        # newline="": the csv module splits lines itself, so CR-only line ends (old Mac
        # files) are line ends too rather than "new-line character seen in unquoted field"
        self.rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";")

    @property
    def line(self) -> int:
        return self.rows.line_num

    def next_row(self) -> list[str] | None:
        """The next row that is not blank, or ``None`` at the end."""
        for row in self.rows:
            if "".join(row).strip():
                return row
        return None


def _section_name(row: list[str]) -> str | None:
    """``meta``, ``projects`` or ``votes`` if ``row`` opens that section."""
    if len(row) == 1:
        name = row[0].strip().lower()
        if name in _SECTIONS:
            return name
    return None


Section = tuple[list[str], list[tuple[int, list[str]]]]
"""A section's header row and its data rows with their line numbers."""


def _sections_before_votes(reader: _Reader) -> tuple[dict[str, Section], list[str]]:
    """META and PROJECTS, read whole, and the VOTES header; the votes are left to stream."""
    sections: dict[str, Section] = {}
    current: list[tuple[int, list[str]]] | None = None
    while (row := reader.next_row()) is not None:
        name = _section_name(row)
        if name is None:
            if current is None:
                raise PbFormatError(
                    "data before the first section (META, PROJECTS or VOTES)", reader.line
                )
            current.append((reader.line, row))
            continue
        if name in sections:
            raise PbFormatError(f"section {name.upper()} appears twice", reader.line)
        header = reader.next_row()
        if header is None or _section_name(header) is not None:
            raise PbFormatError(f"section {name.upper()} has no header row", reader.line)
        header = [cell.strip() for cell in header]
        if name == "votes":
            for needed in ("meta", "projects"):
                if needed not in sections:
                    raise PbFormatError(f"no {needed.upper()} section before VOTES", reader.line)
            return sections, header
        current = []
        sections[name] = (header, current)
    raise PbFormatError("no VOTES section")


def _read_meta(
    rows: list[tuple[int, list[str]]], repairs: list[str]
) -> tuple[dict[str, str], dict[str, int]]:
    meta: dict[str, str] = {}
    lines: dict[str, int] = {}
    for line, row in rows:
        key = row[0].strip()
        if len(row) < 2:
            raise PbFormatError(f"META row {key!r} has no value", line)
        if key in meta:
            raise PbFormatError(f"META key {key!r} appears twice", line)
        if len(row) > 2:
            repairs.append(f"line {line}: META {key!r} value contained unquoted ';' (rejoined)")
        meta[key] = ";".join(row[1:]).strip()
        lines[key] = line
    return meta, lines


def _read_rules(meta: Mapping[str, str], lines: Mapping[str, int]) -> BallotRules:
    values: dict[str, int | Fraction] = {}
    for key, name in _RULE_KEYS.items():
        if key in meta and meta[key] != "":
            if name in _AMOUNT_RULES:
                values[name] = parse_amount(meta[key], f"META {key}", lines[key])
            else:
                values[name] = _integer(meta[key], f"META {key}", lines[key])
    return BallotRules(**values)  # type: ignore[arg-type]


def _read_projects(
    header: list[str], rows: list[tuple[int, list[str]]], budget: Fraction, repairs: list[str]
) -> tuple[tuple[Agenda, ...], dict[str, dict[str, str]]]:
    for column in ("project_id", "cost"):
        if column not in header:
            raise PbFormatError(f"PROJECTS has no {column!r} column")
    agendas: list[Agenda] = []
    extra: dict[str, dict[str, str]] = {}
    for line, row in rows:
        if len(row) != len(header):
            raise PbFormatError(
                f"PROJECTS row has {len(row)} fields, the header has {len(header)}", line
            )
        cells = {column: cell.strip() for column, cell in zip(header, row, strict=True)}
        agenda_id = cells.pop("project_id")
        if not agenda_id:
            raise PbFormatError("PROJECTS row has an empty project_id", line)
        if agenda_id in extra:
            raise PbFormatError(f"project {agenda_id!r} is listed twice", line)
        cost = parse_amount(cells.pop("cost"), f"cost of project {agenda_id!r}", line)
        if cost > budget:
            repairs.append(
                f"project {agenda_id} costs {format_amount(cost)}, more than the budget "
                f"{format_amount(budget)} (pabulib's mark of a withdrawn project): "
                "kept, but no rule can fund it"
            )
        agendas.append(Agenda(agenda_id, cost, cells.pop("name", "")))
        extra[agenda_id] = cells
    return tuple(agendas), extra


def _read_votes(
    header: list[str],
    reader: _Reader,
    ballot_type: BallotType,
    known: frozenset[str],
    repairs: list[str],
) -> Profile:
    if "vote" not in header:
        raise PbFormatError("VOTES has no 'vote' column")
    vote_at = header.index("vote")
    points_at = header.index("points") if "points" in header else None
    id_at = header.index("voter_id") if "voter_id" in header else None
    with_points = ballot_type in POINTS_TYPES
    ordinal = ballot_type is BallotType.ORDINAL
    counts: dict[BallotKey, int] = {}
    clean: dict[str, BallotKey] = {}
    """Votes already seen that needed no repair, by their text (a repeat skips the checks)."""
    short = max(vote_at, 1)
    """Rows this short need a closer look: blank, a section name, or no vote field."""
    for row in reader.rows:
        if len(row) <= short:
            if not "".join(row).strip():
                continue
            if _section_name(row):
                raise PbFormatError("VOTES must be the last section", reader.line)
            if len(row) <= vote_at:
                raise PbFormatError("VOTES row has no vote field", reader.line)
        vote = row[vote_at]
        key = clean.get(vote)
        if key is None and not with_points:
            key = _clean_key(vote, ordinal, known)
            if key is not None:
                clean[vote] = key
        if key is None:
            voter = row[id_at].strip() if id_at is not None and id_at < len(row) else "?"
            points = row[points_at] if points_at is not None and points_at < len(row) else ""
            where = (reader.line, voter)
            key = _checked_key(vote, points, ballot_type, known, where, repairs)
        counts[key] = counts.get(key, 0) + 1
    return Profile(tuple(BallotGroup(c, n, p) for (c, p), n in counts.items()))


BallotKey = tuple[tuple[str, ...], tuple[int, ...]]
"""The canonical content of one vote: ``BallotGroup``'s ``choices`` and ``points``."""


def _clean_key(vote: str, ordinal: bool, known: frozenset[str]) -> BallotKey | None:
    """The key of a vote without points that needs no repair, else ``None``.

    The fast path for the common case (a city's file has tens of thousands of votes): known ids,
    no spaces, no repeats; only C-level calls per vote. Anything else goes through
    ``_checked_key``.
    """
    parts = vote.split(",")
    if len(set(parts)) != len(parts) or not known.issuperset(parts):
        return None
    return (tuple(parts) if ordinal else tuple(sorted(parts))), ()


def _checked_key(
    vote: str,
    points_cell: str,
    ballot_type: BallotType,
    known: frozenset[str],
    where: tuple[int, str],
    repairs: list[str],
) -> BallotKey:
    """The key of any vote: checks every id and points, merges repeats and reports repairs."""
    line, voter = where
    choices = [c.strip() for c in vote.split(",")]
    if "" in choices and any(choices):
        repairs.append(f"line {line}: vote of voter {voter} has empty entries (dropped)")
    choices = [c for c in choices if c]
    for choice in choices:
        if choice not in known:
            raise PbFormatError(f"vote of voter {voter} names unknown project {choice!r}", line)
    points: list[int] = []
    if ballot_type in POINTS_TYPES and choices:
        cell = points_cell.strip()
        points = [_integer(p, "points", line) for p in cell.split(",")] if cell else []
        if len(points) != len(choices):
            raise PbFormatError(
                f"vote of voter {voter} lists {len(choices)} projects but {len(points)} points",
                line,
            )
    if len(set(choices)) != len(choices):
        dupes = sorted({c for c in choices if choices.count(c) > 1})
        what = "points added" if points else "kept once"
        repairs.append(
            f"line {line}: vote of voter {voter} lists project "
            f"{', '.join(dupes)} more than once ({what})"
        )
    if ballot_type is BallotType.ORDINAL:
        return tuple(dict.fromkeys(choices)), ()
    merged: dict[str, int] = {}
    for index, choice in enumerate(choices):
        merged[choice] = merged.get(choice, 0) + (points[index] if points else 0)
    ordered = sorted(merged)
    return tuple(ordered), tuple(merged[c] for c in ordered) if points else ()


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while votes are read, then restore it.

    Why: a city's votes are hundreds of thousands of new lists and tuples, none in a reference
    cycle, and the collector's passes over them are about a sixth of reading Warsaw 2026.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_pb(text: str) -> PbFile:
    """Parse the text of a ``.pb`` file; raises ``PbFormatError`` naming the line at fault."""
    reader = _Reader(text)
    try:
        return _read_pb(reader)
    except csv.Error as error:  # e.g. a quoted field left open at the end of the file
        raise PbFormatError(f"not a ';'-separated file: {error}", reader.line) from None


def _read_pb(reader: _Reader) -> PbFile:
    sections, vote_header = _sections_before_votes(reader)
    repairs: list[str] = []
    meta_rows = sections["meta"][1]
    meta, meta_lines = _read_meta(meta_rows, repairs)
    for key in ("budget", "vote_type"):
        if key not in meta:
            raise PbFormatError(f"META has no {key!r}")
    budget = parse_amount(meta["budget"], "META budget", meta_lines["budget"])
    try:
        ballot_type = BallotType(meta["vote_type"].lower())
    except ValueError:
        names = ", ".join(t.value for t in BallotType)
        raise PbFormatError(
            f"unknown vote_type {meta['vote_type']!r} (known: {names})", meta_lines["vote_type"]
        ) from None
    rules = _read_rules(meta, meta_lines)
    project_header, project_rows = sections["projects"]
    agendas, extra = _read_projects(project_header, project_rows, budget, repairs)
    known = frozenset(agenda.id for agenda in agendas)
    with _cyclic_gc_paused():
        profile = _read_votes(vote_header, reader, ballot_type, known, repairs)
    contest = Contest(agendas, budget, ballot_type, rules, meta)
    return PbFile(contest, profile, tuple(project_header), extra, tuple(repairs))


def read_pb_file(path: str | Path) -> PbFile:
    """Read a ``.pb`` file (UTF-8, with or without a byte-order mark)."""
    return read_pb(Path(path).read_text(encoding="utf-8-sig"))


def _meta_for_writing(pb: PbFile) -> dict[str, str]:
    """META as read, with the figures the contest and profile define brought up to date.

    A value that already says the same thing (``400000.0`` for a budget of 400000) is kept
    verbatim, so an unchanged file is written back as it was read; the counts ``num_projects``
    and ``num_votes`` are corrected where present and not invented where absent, so that
    reading the written file gives back the same ``meta``.
    """
    contest = pb.contest
    meta = dict(contest.meta)

    def says(key: str, value: int | Fraction) -> bool:
        try:
            return Fraction(meta[key].replace(",", ".")) == value
        except (KeyError, ValueError, ZeroDivisionError):
            return False

    def put(key: str, value: int | Fraction | None) -> None:
        if value is None:
            meta.pop(key, None)
        elif not says(key, value):
            meta[key] = format_amount(Fraction(value))

    for key, count in (("num_projects", len(contest.agendas)), ("num_votes", pb.profile.voters)):
        if key in meta:
            put(key, count)
    put("budget", contest.budget)
    meta["vote_type"] = contest.ballot_type.value
    for key, name in _RULE_KEYS.items():
        put(key, getattr(contest.rules, name))
    return meta


def write_pb(pb: PbFile) -> str:
    """The ``.pb`` text of ``pb`` (LF line endings, ``;`` delimiter, minimal quoting).

    Voters are numbered 1, 2, ... in profile order, since ballots carry no voter identity.
    Raises ``ValueError`` for an agenda id a vote could not list (empty, a comma, or spaces
    around it).
    """
    for agenda in pb.contest.agendas:
        if not agenda.id or "," in agenda.id or agenda.id != agenda.id.strip():
            raise ValueError(f"agenda id {agenda.id!r} cannot be written in a .pb vote")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows(_meta_for_writing(pb).items())
    columns = list(pb.project_columns)
    for required in ("cost", "project_id"):
        if required not in columns:
            columns.insert(0, required)
    writer.writerow(["PROJECTS"])
    writer.writerow(columns)
    for agenda in pb.contest.agendas:
        cells = {"project_id": agenda.id, "cost": format_amount(agenda.cost), "name": agenda.name}
        cells = {**pb.projects_extra.get(agenda.id, {}), **cells}
        writer.writerow([cells.get(column, "") for column in columns])
    with_points = pb.contest.ballot_type in POINTS_TYPES
    writer.writerow(["VOTES"])
    writer.writerow(["voter_id", "vote", "points"] if with_points else ["voter_id", "vote"])
    voter = 0
    for group in pb.profile.groups:
        row = [",".join(group.choices)]
        if with_points:
            row.append(",".join(str(p) for p in group.points))
        for _ in range(group.count):
            voter += 1
            writer.writerow([str(voter), *row])
    return out.getvalue()
