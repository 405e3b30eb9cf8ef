"""Admin CRUD of elections, phase transitions and their guards, scoped keys, public reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_assertions import assert_error
from flask.testing import FlaskClient
from results_support import count_and_publish

ADMIN = "/api/v1/admin"
NEW = {
    "slug": "spring-2026",
    "name_ko": "2026 봄 주민참여예산",
    "name_en": "Spring 2026 participatory budget",
    "starts_at": "2026-04-01T09:00:00",
    "ends_at": "2026-04-30T18:00:00",
}

Headers = dict[str, str]


def _phase(client: FlaskClient, headers: Headers, election_id: int, phase: str) -> Any:
    return client.post(
        f"{ADMIN}/elections/{election_id}/phase", json={"phase": phase}, headers=headers
    )


def test_create_read_update_list(client: FlaskClient, admin_headers: Headers) -> None:
    created = client.post(f"{ADMIN}/elections", json=NEW, headers=admin_headers)
    assert created.status_code == 201
    body = created.get_json()
    assert body["phase"] == "draft" and body["timezone"] == "Asia/Seoul"
    assert body["starts_at"] == "2026-04-01T09:00:00+09:00"  # naive times are Seoul time
    assert body["contests"] == [] and body["booths"] == []
    election_id = body["id"]

    read = client.get(f"{ADMIN}/elections/{election_id}", headers=admin_headers).get_json()
    assert read == body

    patch = {"description_en": "Vote for your neighbourhood.", "ends_at": "2026-05-01T00:00:00Z"}
    updated = client.patch(f"{ADMIN}/elections/{election_id}", json=patch, headers=admin_headers)
    assert updated.status_code == 200
    assert updated.get_json()["description_en"] == "Vote for your neighbourhood."
    assert updated.get_json()["ends_at"] == "2026-05-01T09:00:00+09:00"

    listed = client.get(f"{ADMIN}/elections", headers=admin_headers).get_json()
    assert [item["slug"] for item in listed] == ["spring-2026"]


def test_other_time_zone_is_kept(client: FlaskClient, admin_headers: Headers) -> None:
    body = {**NEW, "timezone": "Europe/Warsaw"}
    created = client.post(f"{ADMIN}/elections", json=body, headers=admin_headers).get_json()
    assert created["starts_at"] == "2026-04-01T09:00:00+02:00"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name_ko": "", "name_en": "   "}, "name_ko"),
        ({"ends_at": "2026-03-01T00:00:00"}, "ends_at"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"starts_at": "yesterday"}, "starts_at"),
        ({"slug": 12}, "slug"),
        ({"is_demo": "yes"}, "is_demo"),
        ({"currency": "won"}, "currency"),
        ({"phase": "voting"}, "phase"),
    ],
)
def test_bad_elections_are_refused_and_change_nothing(
    client: FlaskClient,
    admin_headers: Headers,
    row_counts: Callable[[], dict[str, int]],
    change: dict[str, Any],
    field: str,
) -> None:
    before = row_counts()
    response = client.post(f"{ADMIN}/elections", json={**NEW, **change}, headers=admin_headers)
    assert field in assert_error(response, 422, "validation_failed")
    assert row_counts() == before


def test_the_phases_go_forward_one_step_at_a_time(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    for illegal in ("draft", "closed", "published"):
        assert_error(
            _phase(client, admin_headers, election_id, illegal), 409, "illegal_phase_transition", {}
        )
    for phase in ("voting", "closed"):
        response = _phase(client, admin_headers, election_id, phase)
        assert response.status_code == 200 and response.get_json()["phase"] == phase
    refused = _phase(client, admin_headers, election_id, "published")
    assert_error(refused, 409, "publish_required", {})
    assert (
        f"/api/v1/admin/elections/{election_id}/publish" in refused.get_json()["error"]["message"]
    )
    detail = client.get(f"{ADMIN}/elections/{election_id}", headers=admin_headers).get_json()
    assert detail["phase"] == "closed"
    count_and_publish(client, election_id, admin_headers)
    detail = client.get(f"{ADMIN}/elections/{election_id}", headers=admin_headers).get_json()
    assert detail["phase"] == "published"
    for illegal in ("draft", "voting", "closed", "published"):
        assert_error(
            _phase(client, admin_headers, election_id, illegal), 409, "illegal_phase_transition", {}
        )
    assert_error(
        _phase(client, admin_headers, election_id, "ended"),
        422,
        "validation_failed",
        {"phase": ["Must be one of: draft, voting, closed, published."]},
    )


def test_an_empty_election_cannot_open(client: FlaskClient, admin_headers: Headers) -> None:
    election_id = client.post(f"{ADMIN}/elections", json=NEW, headers=admin_headers).get_json()[
        "id"
    ]
    response = _phase(client, admin_headers, election_id, "voting")
    assert "contests" in assert_error(response, 409, "election_not_ready")
    contest = {"title_ko": "동네", "budget": 100, "ballot_type": "approval", "rule": "greedy"}
    client.post(f"{ADMIN}/elections/{election_id}/contests", json=contest, headers=admin_headers)
    response = _phase(client, admin_headers, election_id, "voting")
    assert assert_error(response, 409, "election_not_ready") == {
        "contests": {"C1": ["A contest needs at least one agenda."]}
    }
    detail = client.get(f"{ADMIN}/elections/{election_id}", headers=admin_headers).get_json()
    assert detail["phase"] == "draft"


def test_min_selections_above_the_agendas_blocks_opening(
    client: FlaskClient,
    admin_headers: Headers,
    election_document: dict[str, Any],
    imported_election: Callable[..., int],
) -> None:
    contests = election_document["contests"]
    contests[0]["min_selections"] = 5
    contests[0]["max_selections"] = 5
    election_id = imported_election(contests=contests)
    response = _phase(client, admin_headers, election_id, "voting")
    assert assert_error(response, 409, "election_not_ready") == {
        "contests": {"city": ["min_selections is more than the contest's agendas."]}
    }


def test_voting_freezes_rules_agendas_and_window(
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    election_id = imported_election(phase="voting")
    detail = client.get(f"{ADMIN}/elections/{election_id}", headers=admin_headers).get_json()
    contest_id = detail["contests"][0]["id"]
    agenda_id = detail["contests"][0]["agendas"][0]["id"]
    before = row_counts()
    refused = [
        client.patch(
            f"{ADMIN}/contests/{contest_id}", json={"rule": "equalshares"}, headers=admin_headers
        ),
        client.patch(
            f"{ADMIN}/contests/{contest_id}", json={"max_selections": 3}, headers=admin_headers
        ),
        client.post(
            f"{ADMIN}/elections/{election_id}/contests",
            json={"title_ko": "추가", "budget": 5, "ballot_type": "approval", "rule": "greedy"},
            headers=admin_headers,
        ),
        client.patch(f"{ADMIN}/agendas/{agenda_id}", json={"cost": 1}, headers=admin_headers),
        client.post(
            f"{ADMIN}/contests/{contest_id}/agendas",
            json={"title_ko": "새", "cost": 1},
            headers=admin_headers,
        ),
        client.patch(
            f"{ADMIN}/elections/{election_id}",
            json={"ends_at": "2030-01-01T00:00:00"},
            headers=admin_headers,
        ),
    ]
    for response in refused:
        assert_error(response, 409, "election_frozen")
    assert refused[0].get_json()["error"]["fields"] == {"rule": ["Frozen once voting starts."]}
    assert row_counts() == before
    after = client.get(f"{ADMIN}/elections/{election_id}", headers=admin_headers).get_json()
    assert after == detail

    # Wording may still be corrected.
    fixed = client.patch(
        f"{ADMIN}/elections/{election_id}", json={"name_en": "Corrected"}, headers=admin_headers
    )
    assert fixed.status_code == 200 and fixed.get_json()["name_en"] == "Corrected"


def test_public_sees_voting_and_published_elections_only(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    draft = imported_election(slug="draft-one")
    voting = imported_election(slug="voting-one", phase="voting")
    assert [e["id"] for e in client.get("/api/v1/elections").get_json()] == [voting]
    assert_error(client.get(f"/api/v1/elections/{draft}"), 404, "not_found", {})

    detail = client.get(f"/api/v1/elections/{voting}").get_json()
    assert detail["phase"] == "voting"
    assert [a["code"] for a in detail["contests"][0]["agendas"]] == ["A1", "A2", "A3"]
    assert detail["contests"][0]["agendas"][2]["organisations"] == [
        {"name_ko": "시민단체 가", "name_en": "Civic group A"},
        {"name_ko": "주민자치회 나", "name_en": ""},
    ]

    _phase(client, admin_headers, voting, "closed")
    assert client.get("/api/v1/elections").get_json() == []
    assert_error(client.get(f"/api/v1/elections/{voting}"), 404, "not_found", {})
    count_and_publish(client, voting, admin_headers)
    assert [e["id"] for e in client.get("/api/v1/elections").get_json()] == [voting]


def test_public_endpoints_refuse_writes(client: FlaskClient) -> None:
    assert_error(client.post("/api/v1/elections", json=NEW), 405, "method_not_allowed", {})


def test_scoped_keys_see_and_touch_their_election_only(
    client: FlaskClient, make_key: Callable[..., Headers], imported_election: Callable[..., int]
) -> None:
    mine = imported_election(slug="mine")
    other = imported_election(slug="other")
    scoped = make_key(mine)
    listed = client.get(f"{ADMIN}/elections", headers=scoped).get_json()
    assert [e["id"] for e in listed] == [mine]
    assert client.get(f"{ADMIN}/elections/{mine}", headers=scoped).status_code == 200

    admin = make_key(None)
    other_detail = client.get(f"{ADMIN}/elections/{other}", headers=admin).get_json()
    contest = other_detail["contests"][0]
    agenda = contest["agendas"][0]
    booth = other_detail["booths"][0]
    forbidden = [
        client.get(f"{ADMIN}/elections/{other}", headers=scoped),
        client.patch(f"{ADMIN}/elections/{other}", json={"name_en": "x"}, headers=scoped),
        client.post(f"{ADMIN}/elections/{other}/phase", json={"phase": "voting"}, headers=scoped),
        client.get(f"{ADMIN}/elections/{other}/contests", headers=scoped),
        client.post(f"{ADMIN}/elections/{other}/contests", json={}, headers=scoped),
        client.get(f"{ADMIN}/contests/{contest['id']}", headers=scoped),
        client.patch(f"{ADMIN}/contests/{contest['id']}", json={}, headers=scoped),
        client.get(f"{ADMIN}/contests/{contest['id']}/agendas", headers=scoped),
        client.post(f"{ADMIN}/contests/{contest['id']}/agendas", json={}, headers=scoped),
        client.get(f"{ADMIN}/agendas/{agenda['id']}", headers=scoped),
        client.patch(f"{ADMIN}/agendas/{agenda['id']}", json={}, headers=scoped),
        client.get(f"{ADMIN}/elections/{other}/booths", headers=scoped),
        client.post(f"{ADMIN}/elections/{other}/booths", json={}, headers=scoped),
        client.get(f"{ADMIN}/booths/{booth['id']}", headers=scoped),
        client.patch(f"{ADMIN}/booths/{booth['id']}", json={}, headers=scoped),
        client.post(f"{ADMIN}/elections", json=NEW, headers=scoped),
        client.post(f"{ADMIN}/elections/import", json={}, headers=scoped),
    ]
    for response in forbidden:
        assert_error(response, 403, "forbidden", {})
    assert client.get(f"{ADMIN}/elections/{other}", headers=admin).get_json() == other_detail


def test_every_admin_endpoint_needs_a_key(client: FlaskClient, app: Any) -> None:
    admin_rules = [r for r in app.url_map.iter_rules() if r.rule.startswith(ADMIN)]
    assert len(admin_rules) >= 10
    for rule in admin_rules:
        path = rule.rule.replace("<int:", "").replace(">", "")
        for name in rule.arguments:
            path = path.replace(name, "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, json={})
            assert_error(response, 401, "unauthorized", {})
