"""Adding a contest from a pabulib .pb file, through the API and refusing malformed files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from api_assertions import assert_error
from flask.testing import FlaskClient

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pabulib"
Headers = dict[str, str]

APPROVAL = """META
key;value
description;Test district
country;Poland
unit;Testowo
instance;2024
budget;1000
vote_type;approval
rule;greedy
min_length;1
max_length;2
max_sum_cost;1000
PROJECTS
project_id;cost;name
p1;600;Park
p2;500;Library
p3;300.0;
VOTES
voter_id;vote
1;p1,p2
2;p2
"""

ORDINAL = """META
key;value
budget;900
vote_type;ordinal
rule;irv
max_length;2
PROJECTS
project_id;cost;name
a;500;A
b;400;B
VOTES
voter_id;vote
1;b,a
"""

CUMULATIVE = """META
key;value
budget;900
vote_type;cumulative
rule;equalshares
max_sum_points;10
max_points;6
PROJECTS
project_id;cost;name
a;500;A
b;400;B
VOTES
voter_id;vote;points
1;a,b;6,4
"""


def _url(election_id: int, **query: str) -> str:
    suffix = "&".join(f"{key}={value}" for key, value in query.items())
    return f"/api/v1/admin/elections/{election_id}/contests/import-pb?{suffix}"


def _post(
    client: FlaskClient, headers: Headers, election_id: int, body: str | bytes, **query: str
) -> Any:
    return client.post(
        _url(election_id, **query), data=body, content_type="text/plain", headers=headers
    )


def test_approval_file_becomes_a_contest(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    response = _post(client, admin_headers, election_id, APPROVAL, code="testowo")
    assert response.status_code == 201
    body = response.get_json()
    contest = body["contest"]
    assert contest["code"] == "testowo" and contest["title_en"] == "Test district"
    assert contest["budget"] == 1000 and contest["rule"] == "greedy"
    assert (contest["min_selections"], contest["max_selections"]) == (1, 2)
    assert contest["knapsack_cap"] is True
    assert [(a["code"], a["title_en"], a["cost"]) for a in contest["agendas"]] == [
        ("p1", "Park", 600),
        ("p2", "Library", 500),
        ("p3", "Project p3", 300),
    ]
    assert "country: Poland" in contest["description_en"]
    assert any("2 ballots were not imported" in note for note in body["notes"])


def test_ordinal_and_cumulative_limits(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    ordinal = _post(client, admin_headers, election_id, ORDINAL).get_json()["contest"]
    assert (ordinal["ballot_type"], ordinal["rule"], ordinal["max_ranks"]) == ("ordinal", "irv", 2)
    assert ordinal["code"] == "C2"
    cumulative = _post(client, admin_headers, election_id, CUMULATIVE, rule="greedy")
    contest = cumulative.get_json()["contest"]
    assert (contest["points_total"], contest["max_points_per_agenda"]) == (10, 6)
    assert contest["rule"] == "greedy"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("", 422, "invalid_pb_file"),
        ("this is not a pabulib file", 422, "invalid_pb_file"),
        (APPROVAL.replace("budget;1000\n", ""), 422, "invalid_pb_file"),
        (APPROVAL.replace("vote_type;approval", "vote_type;plurality"), 422, "invalid_pb_file"),
        (APPROVAL.replace("p1;600;Park", "p1;six hundred;Park"), 422, "invalid_pb_file"),
        (APPROVAL.replace("p1;600;Park", "p1;600.5;Park"), 422, "invalid_pb_file"),
        (APPROVAL.replace("1;p1,p2", "1;p1,p9"), 422, "invalid_pb_file"),
        (APPROVAL.replace("p1;600;Park", f"p1;{2**53 + 1};Park"), 422, "validation_failed"),
        (
            APPROVAL.replace("p1;600;Park", "p 1;600;Park").replace("1;p1,p2", "1;p2"),
            422,
            "validation_failed",
        ),
        (
            APPROVAL.replace("budget;1000", "budget;0").replace("max_sum_cost;1000\n", ""),
            422,
            "validation_failed",
        ),
        (b"META\nkey;value\nbudget;1\n" + b"\xff\xfe bad bytes", 422, "invalid_pb_file"),
    ],
)
def test_malformed_files_are_refused_and_change_nothing(
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
    body: str | bytes,
    status: int,
    code: str,
) -> None:
    election_id = imported_election()
    before = row_counts()
    assert_error(_post(client, admin_headers, election_id, body), status, code)
    assert row_counts() == before


def test_the_reason_is_in_the_message(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    response = _post(client, admin_headers, election_id, APPROVAL.replace("budget;1000\n", ""))
    assert "budget" in response.get_json()["error"]["message"]


def test_guards_apply_to_pb_imports(
    client: FlaskClient,
    admin_headers: Headers,
    make_key: Callable[..., Headers],
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    voting = imported_election(phase="voting")
    draft = imported_election(slug="draft")
    scoped = make_key(voting)
    before = row_counts()
    assert_error(_post(client, admin_headers, voting, APPROVAL), 409, "election_frozen")
    assert_error(_post(client, admin_headers, 999, APPROVAL), 404, "not_found")
    assert_error(_post(client, scoped, draft, APPROVAL), 403, "forbidden")
    assert_error(_post(client, {}, draft, APPROVAL), 401, "unauthorized")
    assert_error(_post(client, admin_headers, draft, APPROVAL, code="city"), 409, "duplicate")
    assert_error(
        _post(client, admin_headers, draft, APPROVAL, rule="stv"), 422, "validation_failed"
    )
    unknown_rule = _post(client, admin_headers, draft, APPROVAL, rule="coin-toss")
    assert list(assert_error(unknown_rule, 422, "validation_failed")) == ["rule"]
    assert row_counts() == before


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/pabulib is not present")
def test_a_real_ordinal_file(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    text = (SHARED / "Poland_Krakow_2018_Debniki.pb").read_text(encoding="utf-8")
    response = _post(client, admin_headers, election_id, text.encode())
    assert response.status_code == 201, response.get_data(as_text=True)
    contest = response.get_json()["contest"]
    assert contest["budget"] == 318900 and contest["ballot_type"] == "ordinal"
    assert (contest["min_selections"], contest["max_ranks"]) == (3, 3)
    assert len(contest["agendas"]) == 19


def test_the_threshold_a_rule_reads_is_kept_as_a_rule_option(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    body = APPROVAL.replace("rule;greedy", "rule;greedy-threshold\nmin_project_score_threshold;2")
    contest = _post(client, admin_headers, election_id, body).get_json()["contest"]
    assert contest["rule"] == "greedy-threshold"
    assert contest["rule_options"] == {"min_project_score_threshold": "2", "tie_break": "file"}
    plain = _post(client, admin_headers, election_id, APPROVAL).get_json()["contest"]
    assert plain["rule_options"] == {"tie_break": "file"}
    chosen = _post(client, admin_headers, election_id, APPROVAL, rule="greedy")
    assert chosen.get_json()["contest"]["rule_options"] == {}


def test_city_rules_come_with_their_options_and_groups(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    exclusive = APPROVAL.replace(
        "rule;greedy",
        "rule;greedy-exclusive\ncomment;#1: Projects p1 and p3 could not be built simultaneously.",
    )
    contest = _post(client, admin_headers, election_id, exclusive).get_json()["contest"]
    assert (contest["rule"], contest["exclusive_groups"]) == ("greedy-exclusive", [["p1", "p3"]])
    poznan = APPROVAL.replace(
        "rule;greedy",
        "rule;greedy-custom\ncomment;#1: We fund projects until the next project on the list does "
        "not fit within the budget. Finally, if the remaining budget is enough to fund at least "
        "80% of that project, we fund it as well.",
    )
    contest = _post(client, admin_headers, election_id, poznan).get_json()["contest"]
    assert contest["rule"] == "greedy-reserve"
    assert contest["rule_options"] == {"reserve_fraction": "4/5", "tie_break": "file"}
    vague = APPROVAL.replace("rule;greedy", "rule;greedy-custom\ncomment;#1: A special rule.")
    response = _post(client, admin_headers, election_id, vague).get_json()
    assert response["contest"]["rule"] == "greedy"
    assert any("greedy-reserve" in note for note in response["notes"])
