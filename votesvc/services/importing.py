"""Imports: a whole election from one JSON document, in one all-or-nothing transaction.

The demo election is such a document too, so files, the API and the demo share this path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from marshmallow import ValidationError

from votesvc.models import Election, Phase
from votesvc.schemas.resources import ElectionDocumentSchema
from votesvc.services.agendas import build_agenda, upsert_organisation
from votesvc.services.booths import build_booth
from votesvc.services.contests import build_contest
from votesvc.services.elections import apply_transition, build_election
from votesvc.services.errors import DomainError, Invalid
from votesvc.services.transaction import unit_of_work

Progress = Callable[[int, int], None]
"""Called with (items done, items in all) as an import goes; the CLI draws a bar with it."""


def parse_election_document(raw: Any) -> dict[str, Any]:
    """Check a decoded JSON document against the import schema (a 422 with every problem)."""
    try:
        return ElectionDocumentSchema().load(raw)
    except ValidationError as error:
        raise Invalid(fields=error.normalized_messages()) from error


@contextmanager
def _at(*path: str | int) -> Iterator[None]:
    """Report a problem found deep in the document at its place, e.g. contests.1.agendas.4."""
    try:
        yield
    except DomainError as error:
        for key in reversed(path):
            error.fields = {key: error.fields or ["Refused."]}
        raise


def _size(document: Mapping[str, Any]) -> int:
    return (
        1
        + sum(1 + len(contest["agendas"]) for contest in document["contests"])
        + len(document["booths"])
    )


def import_election(document: Mapping[str, Any], progress: Progress | None = None) -> Election:
    """Create the election in ``document`` (already parsed) with everything in it, or nothing."""
    total, done = _size(document), 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

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
            contest_values = dict(contest_values)
            agendas = contest_values.pop("agendas")
            with _at("contests", index):
                contest = build_contest(election, contest_values)
            step()
            for position, agenda_values in enumerate(agendas):
                with _at("contests", index, "agendas", position):
                    build_agenda(contest, agenda_values)
                step()
        for index, booth_values in enumerate(booths):
            with _at("booths", index):
                build_booth(election, booth_values)
            step()
        if target is not Phase.DRAFT:
            apply_transition(election, target)
    return election
