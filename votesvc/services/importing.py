"""Imports, each in one all-or-nothing transaction: a whole election from one JSON document
(the demo election is such a document too), one contest from a pabulib ``.pb`` file, or a
contest's agendas from a CSV file (:func:`import_agenda_csv`, which can also preview).

A ``.pb`` file is turned into the same contest document a JSON import holds and checked by the
same schema, so both paths keep the same rules (whole-unit costs up to 2**53, titles, limits).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

from marshmallow import Schema, ValidationError

from votesvc.i18n import N_
from votesvc.models import Contest, Election, Phase
from votesvc.schemas.documents import ContestDocumentSchema, ElectionDocumentSchema
from votesvc.schemas.resources import AgendaInSchema
from votesvc.services import audit
from votesvc.services.agendas import build_agenda, upsert_organisation
from votesvc.services.booths import build_booth
from votesvc.services.common import ensure_draft, fetch
from votesvc.services.contests import build_contest
from votesvc.services.csv_lines import NumberedCsv
from votesvc.services.elections import apply_transition, build_election
from votesvc.services.errors import DomainError, Invalid
from votesvc.services.transaction import unit_of_work
from votesvc.tally.catalog import ALLOCATION_RULES, accepts
from votesvc.tally.model import BallotType
from votesvc.tally.options import declared_options
from votesvc.tally.pabulib import PbFile, PbFormatError, read_pb
from votesvc.tally.pb_rules import PbRuleError, meta_rule

Progress = Callable[[int, int], None]
"""Called with (items done, items in all) as an import goes; the CLI draws a bar with it."""


def _load(schema: Schema, raw: Any) -> dict[str, Any]:
    try:
        return schema.load(raw)
    except ValidationError as error:
        raise Invalid(fields=error.normalized_messages()) from error


def parse_election_document(raw: Any) -> dict[str, Any]:
    """Check a decoded JSON document against the import schema (a 422 with every problem)."""
    return _load(ElectionDocumentSchema(), raw)


@contextmanager
def _at(*path: str | int) -> Iterator[None]:
    """Report a problem found deep in the document at its place, e.g. contests.1.agendas.4."""
    try:
        yield
    except DomainError as error:
        for key in reversed(path):
            error.fields = {key: error.fields or ["Refused."]}
        raise


def _build_contest_with_agendas(
    election: Election,
    values: Mapping[str, Any],
    at: tuple[str | int, ...],
    step: Callable[[], None],
) -> Contest:
    values = dict(values)
    agendas = values.pop("agendas")
    with _at(*at):
        contest = build_contest(election, values)
    step()
    for position, agenda_values in enumerate(agendas):
        with _at(*at, "agendas", position):
            build_agenda(contest, agenda_values)
        step()
    return contest


def _stepper(total: int, progress: Progress | None) -> Callable[[], None]:
    """A function to call once per item created; it reports (done, total) to ``progress``."""
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    return step


def _size(document: Mapping[str, Any]) -> int:
    return (
        1
        + sum(1 + len(contest["agendas"]) for contest in document["contests"])
        + len(document["booths"])
    )


def import_election(document: Mapping[str, Any], progress: Progress | None = None) -> Election:
    """Create the election in ``document`` (already parsed) with everything in it, or nothing."""
    step = _stepper(_size(document), progress)
    values = dict(document)
    contests = values.pop("contests")
    booths = values.pop("booths")
    target = Phase(values.pop("phase"))
    with unit_of_work():
        for organisation in values.pop("organisations"):
            upsert_organisation(organisation["name_ko"], organisation.get("name_en", ""))
        election = build_election(values)
        step()
        for index, contest_values in enumerate(contests):
            _build_contest_with_agendas(election, contest_values, ("contests", index), step)
        for index, booth_values in enumerate(booths):
            with _at("booths", index):
                build_booth(election, booth_values)
            step()
        if target is not Phase.DRAFT:
            apply_transition(election, target)
        audit.record(
            "election.imported", election.id, {"slug": election.slug, "phase": target.value}
        )
    return election


# --- pabulib ----------------------------------------------------------------------------------

DEFAULT_PB_RULE = "greedy"
RULE_OPTIONS_FROM_META = ("min_project_score_threshold",)
"""META keys a rule reads when it counts (greedy-threshold's threshold): kept as rule options
when the contest's rule reads them, so a contest imported from a file counts as the file's
city counted it."""

PB_CONTEXT = (
    "country",
    "unit",
    "subunit",
    "district",
    "instance",
    "currency",
    "date_begin",
    "date_end",
)
"""META keys worth keeping, as text, in the imported contest's description."""


def _whole(amount: Fraction, what: str) -> int:
    if amount.denominator != 1:
        raise Invalid("invalid_pb_file", reason=f"{what} {float(amount)} is not a whole amount.")
    return int(amount)


def _pb_rule(
    pb: PbFile, rule: str | None, notes: list[str]
) -> tuple[str, dict[str, str], list[list[str]]]:
    """The rule asked for, else the file's META rule as its city counted it, else plain greedy;
    with the rule options and exclusive groups that come with it.

    Counted by its META rule, the contest breaks ties in the file's order (its agendas keep
    the file's order) and takes what ``pb_rules.meta_rule`` reads from the comment: Poznań's
    reserve fraction, Warsaw's exclusive groups.
    """
    if rule:
        return rule, {}, []
    named = pb.meta.get("rule", "")
    if named in ALLOCATION_RULES or named == "greedy-custom":
        try:
            read = meta_rule(pb.contest)
        except PbRuleError as error:
            notes.append(f"The file's rule {named!r}: {error}. Using greedy.")
        else:
            if accepts(read.rule, pb.contest.ballot_type):
                options = {**read.options, "tie_break": "file"}
                return read.rule, options, [list(group) for group in read.exclusive]
    elif accepts(named, pb.contest.ballot_type):  # a ranked rule
        return named, {}, []
    if named:
        notes.append(f"The file's rule {named!r} is not one votesvc counts; using greedy.")
    return DEFAULT_PB_RULE, {}, []


def _pb_limits(pb: PbFile, budget: int, notes: list[str]) -> dict[str, Any]:
    rules, ballot_type = pb.contest.rules, pb.contest.ballot_type
    limits: dict[str, Any] = {"min_selections": rules.min_length}
    if ballot_type is BallotType.ORDINAL:
        limits["max_ranks"] = rules.max_length
    elif ballot_type is not BallotType.CHOOSE_ONE:
        limits["max_selections"] = rules.max_length
    if rules.max_cost is not None:
        if rules.max_cost == budget:
            limits["knapsack_cap"] = True
        else:
            notes.append("max_sum_cost differs from the budget and was not kept.")
    if ballot_type is BallotType.CUMULATIVE:
        limits["points_total"] = rules.max_points
    if ballot_type in (BallotType.CUMULATIVE, BallotType.SCORING):
        limits["max_points_per_agenda"] = rules.max_points_per_agenda
    for name in ("min_cost", "min_points", "min_points_per_agenda"):
        if getattr(rules, name) is not None:
            notes.append(f"The file's {name} limit has no place in votesvc and was not kept.")
    return {key: value for key, value in limits.items() if value is not None}


def pb_contest_document(
    pb: PbFile, code: str | None = None, rule: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """A contest document (the JSON import's shape) for a parsed ``.pb`` file, and notes on
    what the file held that the contest does not keep. Names go to the English titles: pabulib
    files are in the city's own language, rarely Korean."""
    notes = list(pb.repairs)
    meta = pb.meta
    chosen, options, groups = _pb_rule(pb, rule, notes)
    budget = _whole(pb.contest.budget, "The budget")
    place = " ".join(meta.get(key, "") for key in ("unit", "subunit", "instance")).split()
    reads = {option.name for option in declared_options(chosen, {})} & set(meta)
    document: dict[str, Any] = {
        "title_en": meta.get("description") or " ".join(place) or "pabulib contest",
        "description_en": " · ".join(f"{k}: {v}" for k, v in meta.items() if k in PB_CONTEXT),
        "budget": budget,
        "ballot_type": pb.contest.ballot_type.value,
        "rule": chosen,
        "rule_options": {
            **{key: meta[key] for key in RULE_OPTIONS_FROM_META if key in reads},
            **options,
        },
        **_pb_limits(pb, budget, notes),
        "agendas": [
            {
                "code": agenda.id,
                "title_en": agenda.name or f"Project {agenda.id}",
                "cost": _whole(agenda.cost, f"The cost of project {agenda.id}"),
            }
            for agenda in pb.contest.agendas
        ],
    }
    if groups:
        document["exclusive_groups"] = groups
    if code:
        document["code"] = code
    if pb.profile.voters:
        notes.append(
            f"The file's {pb.profile.voters} ballots were not imported: this imports the contest."
        )
    return document, notes


def import_pb_contest(
    election_id: int,
    text: str,
    code: str | None = None,
    rule: str | None = None,
    progress: Progress | None = None,
) -> tuple[Contest, list[str]]:
    """Add the contest of a ``.pb`` file (its agendas, budget, ballot type and limits) to a
    draft election; the notes say what was repaired or left out."""
    try:
        pb = read_pb(text)
    except PbFormatError as error:
        raise Invalid("invalid_pb_file", reason=str(error)) from error
    raw, notes = pb_contest_document(pb, code, rule)
    document = _load(ContestDocumentSchema(), raw)
    step = _stepper(1 + len(document["agendas"]), progress)
    with unit_of_work():
        contest = _build_contest_with_agendas(fetch(Election, election_id), document, (), step)
        audit.record("contest.imported", election_id, {"contest": contest.code, "format": "pb"})
    return contest, notes


AGENDA_CSV_COLUMNS = (
    "code",
    "title_ko",
    "title_en",
    "description_ko",
    "description_en",
    "cost",
    "organisations",
)
"""The columns an agenda CSV file may have, named in its first line, in any order; ``cost``
is required, ``organisations`` lists Korean names separated by ``;``, lead first."""
AGENDA_CSV_MAX_ROWS = 2000


def read_agenda_csv(text: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of an agenda CSV file as written, each with its line number, empty cells left
    out; ``invalid_agenda_csv`` (at ``header``) when the first line does not name the columns,
    (at ``file``) when the text is not CSV at all (a cell over the csv module's size limit, a
    stray quote), as the voter roll refuses it."""
    try:
        return _agenda_rows(NumberedCsv(text))
    except csv.Error as error:
        raise Invalid(
            "invalid_agenda_csv", fields={"file": [N_("Not CSV: %(error)s.") % {"error": error}]}
        ) from None


def _agenda_rows(records: NumberedCsv) -> list[tuple[int, dict[str, str]]]:
    reader = records.reader
    header = [name.strip() for name in reader.fieldnames or ()]
    unknown = [name for name in header if name not in AGENDA_CSV_COLUMNS]
    problems = [N_("Unknown column '%(name)s'.") % {"name": name} for name in unknown]
    if "cost" not in header:
        problems.append(N_("The first line must name the columns, cost among them."))
    if len(set(header)) != len(header):
        problems.append(N_("A column is named twice."))
    if problems:
        raise Invalid("invalid_agenda_csv", fields={"header": problems})
    reader.fieldnames = header
    rows: list[tuple[int, dict[str, str]]] = []
    for line, row in records:
        if len(rows) == AGENDA_CSV_MAX_ROWS:
            limit = N_("At most %(n)d agendas in one file.") % {"n": AGENDA_CSV_MAX_ROWS}
            raise Invalid("invalid_agenda_csv", fields={"rows": [limit]})
        cells = {
            name: value.strip()
            for name, value in row.items()
            if isinstance(name, str) and isinstance(value, str) and value.strip()
        }
        if None in row:
            cells["_extra"] = ",".join(row[None])  # more cells than columns: the schema names it
        if cells:
            rows.append((line, cells))
    return rows


def _agenda_values(cells: Mapping[str, str]) -> dict[str, Any]:
    """A row's cells as the agenda schema reads a request: a whole-number cost as a number,
    the organisations as a list."""
    values: dict[str, Any] = dict(cells)
    cost = values.get("cost", "")
    if cost.isascii() and cost.isdigit():  # "²" is a digit to str.isdigit, not to int()
        values["cost"] = int(cost)
    if "organisations" in values:
        values["organisations"] = [
            name.strip() for name in values["organisations"].split(";") if name.strip()
        ]
    return values


def import_agenda_csv(contest_id: int, text: str, *, dry_run: bool = False) -> list[dict[str, Any]]:
    """Add the agendas of a CSV file to a draft contest, every one or none, each checked by
    the agenda schema and by the same building code as the API's agendas; ``dry_run`` checks
    everything and stores nothing (the console's preview). Returns what each row became;
    ``invalid_agenda_csv`` lists every problem at ``line <n>``."""
    rows = read_agenda_csv(text)
    with unit_of_work() as session:
        contest = fetch(Contest, contest_id)
        ensure_draft(contest.election)
        built: list[dict[str, Any]] = []
        problems: dict[str, Any] = {}
        if not rows:
            problems["rows"] = [N_("The file has no agenda.")]
        for line, cells in rows:
            try:
                with _at(f"line {line}"):
                    agenda = build_agenda(contest, _load(AgendaInSchema(), _agenda_values(cells)))
            except DomainError as error:
                problems.update(error.fields)
                continue
            built.append(
                {
                    "line": line,
                    "code": agenda.code,
                    "title_ko": agenda.title_ko,
                    "title_en": agenda.title_en,
                    "cost": agenda.cost,
                    "organisations": [p.organisation.name_ko for p in agenda.proposers],
                }
            )
        if problems:
            raise Invalid("invalid_agenda_csv", fields=problems)
        if dry_run:
            session.rollback()
            return built
        audit.record(
            "agenda.imported",
            contest.election_id,
            {"contest": contest.code, "agendas": len(built), "format": "csv"},
        )
    return built
