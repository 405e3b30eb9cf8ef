"""A contest imported from each shared pabulib file, its ballots stored, then closed, counted
and published: the published outcome equals the counting engine's on the file, the official
selection where the file records one, and ``votesvc verify`` recounts the published files."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert
from unit.pabulib_data import PABULIB, file_params, load

from votesvc.models import Ballot, Contest, Election, Receipt
from votesvc.models.base import db
from votesvc.publication.verify import folder_source, verify
from votesvc.services import importing, publication, results
from votesvc.services.contests import core_contest
from votesvc.services.selections import canonical_content
from votesvc.tally.pabulib import PbFile, read_pb_file
from votesvc.tally.pb_count import THRESHOLD_KEY, count

SLOW = {
    "Hungary_Budapest_2024.pb",
    "Poland_Krakow_2022.pb",
    "Poland_Warszawa_2026.pb",
    "Poland_Wieliczka_2023_Green_Budget.pb",
}
"""Tens of thousands of ballots, or Equal Shares with a completion counted three times
(publication, engine, verify): 10-25 s each here."""


def _params() -> list[Any]:
    return [
        pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name
        for name in file_params()
    ]


def _store_ballots(contest: Contest, pb: PbFile) -> None:
    """The file's ballots as the casting service stores them (one receipt each)."""
    core = core_contest(contest)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    receipts, ballots = [], []
    for group in pb.profile.groups:
        content = canonical_content(core, group.choices, group.points)
        for _ in range(group.count):
            code_hash = secrets.token_hex(32)
            receipts.append(
                {"code_hash": code_hash, "election_id": contest.election_id, "recorded_at": hour}
            )
            ballots.append(
                {
                    "id": secrets.token_hex(16),
                    "election_id": contest.election_id,
                    "contest_id": contest.id,
                    "channel": "online",
                    "content": content,
                    "cast_at": hour,
                    "receipt_hash": code_hash,
                }
            )
    db.session.execute(insert(Receipt), receipts)
    db.session.execute(insert(Ballot), ballots)


@pytest.mark.parametrize("name", _params())
def test_published_results_of_each_shared_file(
    app: Flask, imported_election: Any, name: str, tmp_path: Path
) -> None:
    pb = load(name)
    election_id = imported_election(contests=[])
    with app.app_context():
        text = (PABULIB / name).read_text(encoding="utf-8-sig")
        contest, _ = importing.import_pb_contest(election_id, text, code="pb")
        options = dict(contest.rule_options)  # the META threshold, ties in the file's order
        assert options.get("tie_break") == ("file" if pb.meta["rule"] == contest.rule else None)
        if contest.rule == "greedy-threshold":
            assert options[THRESHOLD_KEY] == pb.meta[THRESHOLD_KEY]
        _store_ballots(contest, pb)
        election = db.session.get(Election, election_id)
        election.ends_at = datetime.now(UTC) - timedelta(hours=1)
        election.starts_at = election.ends_at - timedelta(days=1)
        election.phase = "closed"
        db.session.commit()
        job = results.request_count(election_id, force=True)
        results.wait(job.id)
        publication.publish(election_id)
        document = json.loads(publication.contest_results(election_id, contest.id).body)
        rule = contest.rule
        publication.export_to(election_id, tmp_path)
    expected = count(pb.contest, pb.profile, rule, options, options.get("tie_break"))
    assert document["outcome"] == expected.to_dict()
    assert document["funded"] == list(expected.selected)
    assert document["ballots"] == pb.profile.voters
    if pb.official_selected is not None and pb.meta.get("rule") == rule:
        assert set(document["funded"]) == set(pb.official_selected)
    report = verify(folder_source(tmp_path))
    assert report.ok, report.text()


CITIES = PABULIB / ".." / "pabulib-cities"
CITY_FILES = (
    "Poland_Warszawa_2022_Bemowo.pb",
    "Poland_Poznan_2023_11_-_Fabianowo-Kotowo_Gorczyn_Junikowo_Kwiatowe_Lawica.pb",
)


@pytest.mark.parametrize("name", CITY_FILES)
def test_a_city_rule_is_counted_published_and_verified(
    app: Flask, imported_election: Any, name: str, tmp_path: Path
) -> None:
    """Imported by its META rule (Warsaw's exclusive group, Poznań's reserve rule), a city file
    is counted as the city counted it, and ``votesvc verify`` recounts it the same way."""
    path = CITIES / name
    if not path.is_file():
        pytest.skip(f"shared city data not found at {CITIES}")
    pb = read_pb_file(path)
    election_id = imported_election(contests=[])
    with app.app_context():
        text = path.read_text(encoding="utf-8-sig")
        contest, _ = importing.import_pb_contest(election_id, text, code="pb")
        _store_ballots(contest, pb)
        election = db.session.get(Election, election_id)
        election.ends_at = datetime.now(UTC) - timedelta(hours=1)
        election.starts_at = election.ends_at - timedelta(days=1)
        election.phase = "closed"
        db.session.commit()
        results.wait(results.request_count(election_id, force=True).id)
        publication.publish(election_id)
        document = json.loads(publication.contest_results(election_id, contest.id).body)
        publication.export_to(election_id, tmp_path)
    marked = {a.id for a in pb.contest.agendas if pb.projects_extra[a.id]["selected"] != "0"}
    assert set(document["funded"]) == marked
    assert document["remaining"] >= 0  # Poznań: the reserve paid 20 000 beyond the budget
    assert verify(folder_source(tmp_path)).ok
