"""Every option of every counting rule is checked when a contest is saved (create, update,
election import, .pb import), a contest the count would refuse cannot open, and a count that
still fails says so in words with a stable code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_assertions import assert_error
from flask import Flask
from flask.testing import FlaskClient
from results_support import RANKED, count_and_wait
from voting_support import CONTESTS, window

from votesvc.models import Contest, Election
from votesvc.models.base import db

ADMIN = "/api/v1/admin"
Headers = dict[str, str]
GREEDY = CONTESTS[0]
STV = {**RANKED, "code": "stv", "rule": "stv", "rule_options": {"seats": 2}}

BAD_OPTIONS = [
    pytest.param(RANKED, {"tiebreak": "random"}, "tiebreak", id="misspelt-ranked-tie-break"),
    pytest.param(RANKED, {"overvote": "bogus"}, "overvote", id="ranked-enum"),
    pytest.param(STV, {"seats": 0}, "seats", id="ranked-range"),
    pytest.param(STV, {"seats": "2"}, "seats", id="ranked-type"),
    pytest.param(RANKED, {"tie_break": "lot"}, "tie_break", id="allocation-tie-break-on-irv"),
    pytest.param(RANKED, {"tie_break": "random:abc"}, "tie_break", id="ranked-seed"),
    pytest.param(RANKED, {"seats": 2}, "seats", id="irv-has-one-seat"),
    pytest.param(RANKED, {"batch_elimination": 1}, "batch_elimination", id="ranked-boolean"),
    pytest.param(GREEDY, {"tie_break": "bogus"}, "tie_break", id="greedy-tie-break"),
    pytest.param(GREEDY, {"tie_break": "pabutools:7"}, "tie_break", id="unseeded-order-seed"),
    pytest.param(GREEDY, {"satisfation": "cost"}, "satisfation", id="misspelt-allocation"),
    pytest.param(GREEDY, {"add1_start": "share"}, "add1_start", id="option-of-another-rule"),
    pytest.param({**RANKED, "rule": "block"}, {}, "rule_set", id="block-needs-pyrankvote"),
    pytest.param(
        {**GREEDY, "rule": "greedy-threshold"},
        {"min_project_score_threshold": "many"},
        "min_project_score_threshold",
        id="number",
    ),
]


def _document(contest: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    return {**contest, "rule_options": options}


def _without_agendas(contest: dict[str, Any]) -> dict[str, Any]:
    """The contest as a new one beside the imported election's own."""
    return {**{k: v for k, v in contest.items() if k != "agendas"}, "code": "new"}


@pytest.mark.parametrize(("contest", "options", "name"), BAD_OPTIONS)
def test_a_bad_option_is_refused_on_create_with_its_name(
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
    contest: dict[str, Any],
    options: dict[str, Any],
    name: str,
) -> None:
    election_id = imported_election()
    before = row_counts()
    body = _without_agendas(_document(contest, options))
    response = client.post(
        f"{ADMIN}/elections/{election_id}/contests", json=body, headers=admin_headers
    )
    fields = assert_error(response, 422, "validation_failed")
    assert list(fields["rule_options"]) == [name]
    assert row_counts() == before


@pytest.mark.parametrize(("contest", "options", "name"), BAD_OPTIONS)
def test_a_bad_option_is_refused_on_update(
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    contest: dict[str, Any],
    options: dict[str, Any],
    name: str,
) -> None:
    election_id = imported_election()
    good = {k: v for k, v in _without_agendas(contest).items() if k != "rule_options"}
    if good["rule"] == "block":
        good["rule"] = "irv"
    if good["rule"] == "greedy-threshold":
        good["rule"] = "greedy"
    created = client.post(
        f"{ADMIN}/elections/{election_id}/contests", json=good, headers=admin_headers
    )
    assert created.status_code == 201, created.get_json()
    change = {"rule": contest["rule"], "rule_options": options}
    response = client.patch(
        f"{ADMIN}/contests/{created.get_json()['id']}", json=change, headers=admin_headers
    )
    assert list(assert_error(response, 422, "validation_failed")["rule_options"]) == [name]
    stored = client.get(f"{ADMIN}/contests/{created.get_json()['id']}", headers=admin_headers)
    assert stored.get_json()["rule_options"] == {}


@pytest.mark.parametrize(("contest", "options", "name"), BAD_OPTIONS)
def test_a_bad_option_is_refused_in_an_election_import(
    client: FlaskClient,
    admin_headers: Headers,
    election_document: dict[str, Any],
    row_counts: Callable[[], dict[str, int]],
    contest: dict[str, Any],
    options: dict[str, Any],
    name: str,
) -> None:
    before = row_counts()
    document = {**election_document, "contests": [_document(contest, options)]}
    response = client.post(f"{ADMIN}/elections/import", json=document, headers=admin_headers)
    fields = assert_error(response, 422, "validation_failed")
    assert list(fields["contests"]["0"]["rule_options"]) == [name]
    assert row_counts() == before


PB = """META
key;value
description;Test
num_projects;2
num_votes;0
budget;1000
vote_type;approval
rule;greedy-threshold
min_project_score_threshold;{threshold}
PROJECTS
project_id;cost;name
1;600;One
2;500;Two
VOTES
voter_id;vote
"""


def test_a_bad_option_is_refused_in_a_pb_import_and_one_the_rule_does_not_read_is_left_out(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    url = f"{ADMIN}/elections/{election_id}/contests/import-pb"

    def post(threshold: str, query: str = "") -> Any:
        return client.post(
            url + query,
            data=PB.format(threshold=threshold).encode(),
            headers={**admin_headers, "Content-Type": "text/plain"},
        )

    fields = assert_error(post("many"), 422, "validation_failed")
    assert list(fields["rule_options"]) == ["min_project_score_threshold"]
    plain = post("many", "?rule=phragmen")  # reads no threshold: not stored as an option
    assert plain.status_code == 201, plain.get_json()
    assert plain.get_json()["contest"]["rule_options"] == {}


GOOD_OPTIONS = [
    (RANKED, {"tie_break": "random"}, "random", None),
    (RANKED, {"tie_break": "random:42", "max_skipped_ranks": 0}, "random", "42"),
    (
        RANKED,
        {"tie_break": "previous_rounds_then_random", "overvote": "skip"},
        "previous_rounds_then_random",
        None,
    ),
    (RANKED, {}, "candidate_order", None),
    (
        STV,
        {"seats": 2, "decimal_places": 2, "tie_break": "candidate_order"},
        "candidate_order",
        None,
    ),
    (STV, {"rule_set": "pyrankvote", "seats": 2, "tie_break": "pyrankvote:7"}, "pyrankvote", "7"),
    ({**RANKED, "rule": "block"}, {"rule_set": "pyrankvote", "seats": 2}, "pyrankvote", None),
    (GREEDY, {}, "pabutools", None),
    (GREEDY, {"tie_break": "lot"}, "lot", None),
    (
        GREEDY,
        {"tie_break": "equalshares:2024", "satisfaction": "cardinality"},
        "equalshares",
        "2024",
    ),
]


@pytest.mark.parametrize(("contest", "options", "method", "seed"), GOOD_OPTIONS)
def test_every_rule_takes_a_tie_break_and_the_public_election_shows_it(
    client: FlaskClient,
    election_document: dict[str, Any],
    admin_headers: Headers,
    contest: dict[str, Any],
    options: dict[str, Any],
    method: str,
    seed: str | None,
) -> None:
    document = {
        **election_document,
        **window(),
        "phase": "voting",
        "contests": [_document(contest, options)],
    }
    imported = client.post(f"{ADMIN}/elections/import", json=document, headers=admin_headers)
    assert imported.status_code == 201, imported.get_json()
    public = client.get(f"/api/v1/elections/{imported.get_json()['id']}").get_json()
    (shown,) = public["contests"]
    assert shown["rule_options"] == options
    assert (shown["tie_break"]["method"], shown["tie_break"]["seed"]) == (method, seed)
    assert shown["tie_break"]["en"] and shown["tie_break"]["ko"]


def _store_options(app: Flask, election_id: int, code: str, options: dict[str, Any]) -> None:
    """What a contest saved before its options were checked holds (written past the service)."""
    with app.app_context():
        election = db.session.get(Election, election_id)
        contest = next(c for c in election.contests if c.code == code)
        contest.rule_options = options
        db.session.commit()


@pytest.mark.parametrize(
    ("options", "where"),
    [
        ({"satisfaction": "points"}, None),  # well formed, but approval ballots carry no points
        ({"tie_break": "bogus"}, "rule_options"),
    ],
)
def test_an_election_whose_contest_cannot_be_counted_cannot_open(
    app: Flask,
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    options: dict[str, Any],
    where: str | None,
) -> None:
    election_id = imported_election(contests=CONTESTS, **window())
    _store_options(app, election_id, "city", options)
    response = client.post(
        f"{ADMIN}/elections/{election_id}/phase", json={"phase": "voting"}, headers=admin_headers
    )
    problem = assert_error(response, 409, "election_not_ready")["contests"]["city"]
    if where is None:
        assert "Its count would fail" in problem[0] and "points" in problem[0]
    else:
        assert list(problem[where]) == ["tie_break"]
    with app.app_context():
        assert db.session.get(Election, election_id).phase == "draft"


def test_a_count_the_rules_refuse_fails_with_a_code_and_plain_words(
    app: Flask,
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
) -> None:
    election_id = imported_election(contests=CONTESTS, phase="voting", **window())
    _store_options(app, election_id, "city", {"satisfaction": "points"})
    closed = client.post(f"{ADMIN}/elections/{election_id}/close", headers=admin_headers)
    assert closed.status_code == 200
    job = count_and_wait(client, election_id, admin_headers, force=True)
    assert (job["status"], job["error_code"]) == ("failed", "count_rules_invalid")
    assert job["error"].startswith("Contest city cannot be counted with its rule and options")
    assert "Error" not in job["error"]  # no Python exception names
    with app.app_context():
        assert db.session.get(Contest, _city_id(app, election_id)).rule_options


def _city_id(app: Flask, election_id: int) -> int:
    with app.app_context():
        election = db.session.get(Election, election_id)
        return next(c.id for c in election.contests if c.code == "city")
