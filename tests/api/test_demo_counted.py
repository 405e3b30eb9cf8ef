"""The demo election counted end to end by its own rules: Equal Shares with Add1 in won for the
city-wide contest (a budget of ₩1 000 000 000, which stepping one won at a time could not
count in minutes), greedy for the districts."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from results_support import close_count_publish
from voting_support import issue

from votesvc.services.demo import load_demo

# A dozen residents: the city-wide choice of each, and a district ballot for most of them.
CITY = [
    ["C-01", "C-03"],
    ["C-02"],
    ["C-01", "C-04", "C-05"],
    ["C-03", "C-06"],
    ["C-01", "C-02", "C-07"],
    ["C-08"],
    ["C-03", "C-09", "C-10"],
    ["C-01", "C-11"],
    ["C-04"],
    ["C-02", "C-03"],
    ["C-05", "C-06", "C-07"],
    ["C-01"],
]


def test_the_demo_election_is_counted_and_published_by_its_own_rules(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    with app.app_context():
        election, _ = load_demo()
        election_id = election.id
        costs = {a.code: a.cost for c in election.contests for a in c.agendas}
    url = f"/api/v1/elections/{election_id}"
    for n, (token, city) in enumerate(zip(issue(app, election_id, 12), CITY, strict=True)):
        selections: dict = {"city": {"choices": city}}
        if n % 3 == 0:
            selections["old-town"] = {"choices": ["O-02", "O-03"]}
        elif n % 3 == 1:
            selections["new-town"] = {"choices": ["N-01", "N-02"], "points": [3, 2]}
        cast = client.post(f"{url}/ballots", json={"token": token.signed, "selections": selections})
        assert cast.status_code == 201, cast.get_json()

    close_count_publish(client, election_id, admin_headers)
    results = client.get(f"{url}/results").get_json()
    contests = {c["code"]: c for c in results["contests"]}
    city = contests["city"]
    assert city["method"]["rule"] == "equalshares/add1"
    assert city["ballots"] == 12 and city["funded"]
    assert city["spent"] == sum(costs[code] for code in city["funded"]) <= 1_000_000_000
    assert "C-01" in city["funded"]  # the most supported agenda (5 of 12 voters)
    assert contests["old-town"]["funded"][:2] == ["O-02", "O-03"]  # 4 votes each, first
    assert contests["new-town"]["ballots"] == 4
