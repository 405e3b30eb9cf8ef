"""Importing a whole election from one JSON document: all of it, or nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_assertions import assert_error
from flask.testing import FlaskClient

IMPORT = "/api/v1/admin/elections/import"
Headers = dict[str, str]
COST_RANGE = f"Must be greater than or equal to 0 and less than or equal to {2**53}."


def test_import_creates_everything(
    client: FlaskClient, admin_headers: Headers, election_document: dict[str, Any]
) -> None:
    response = client.post(IMPORT, json=election_document, headers=admin_headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body["phase"] == "draft"
    assert [c["code"] for c in body["contests"]] == ["city"]
    assert [a["code"] for a in body["contests"][0]["agendas"]] == ["A1", "A2", "A3"]
    assert [a["position"] for a in body["contests"][0]["agendas"]] == [0, 1, 2]
    assert [b["code"] for b in body["booths"]] == ["b1"]


def test_import_can_open_voting(
    client: FlaskClient, admin_headers: Headers, election_document: dict[str, Any]
) -> None:
    election_document["phase"] = "voting"
    body = client.post(IMPORT, json=election_document, headers=admin_headers).get_json()
    assert body["phase"] == "voting"
    assert [e["slug"] for e in client.get("/api/v1/elections").get_json()] == ["test-2025"]


def _broken(document: dict[str, Any], where: str) -> dict[str, Any]:
    contest = document["contests"][0]
    if where == "agenda cost":
        contest["agendas"][2]["cost"] = 2**53 + 1
    elif where == "agenda title":
        contest["agendas"][1]["title_en"] = ""
    elif where == "budget":
        contest["budget"] = 0
    elif where == "unknown field":
        contest["agendas"][0]["votes"] = 3
    elif where == "wrong type":
        contest["agendas"] = {"A1": 1}
    elif where == "rule":
        contest["rule"] = "stv"
    elif where == "booth":
        document["booths"][0]["name_ko"] = ""
    elif where == "open without agendas":
        contest["agendas"] = []
        document["phase"] = "voting"
    return document


@pytest.mark.parametrize(
    ("where", "status", "code", "fields"),
    [
        (
            "agenda cost",
            422,
            "validation_failed",
            {"contests": {"0": {"agendas": {"2": {"cost": [COST_RANGE]}}}}},
        ),
        (
            "agenda title",
            422,
            "validation_failed",
            {
                "contests": {
                    "0": {"agendas": {"1": {"title_ko": ["Give it in Korean or in English."]}}}
                }
            },
        ),
        ("budget", 422, "validation_failed", None),
        (
            "unknown field",
            422,
            "validation_failed",
            {"contests": {"0": {"agendas": {"0": {"votes": ["Unknown field."]}}}}},
        ),
        ("wrong type", 422, "validation_failed", None),
        (
            "rule",
            422,
            "validation_failed",
            {"contests": {"0": {"rule": ["Rule 'stv' cannot count approval ballots."]}}},
        ),
        (
            "booth",
            422,
            "validation_failed",
            {"booths": {"0": {"name_ko": ["Give it in Korean or in English."]}}},
        ),
        (
            "open without agendas",
            409,
            "election_not_ready",
            {"contests": {"city": ["A contest needs at least one agenda."]}},
        ),
    ],
)
def test_a_bad_document_imports_nothing(
    client: FlaskClient,
    admin_headers: Headers,
    election_document: dict[str, Any],
    row_counts: Callable[[], dict[str, int]],
    where: str,
    status: int,
    code: str,
    fields: dict[str, Any] | None,
) -> None:
    before = row_counts()
    response = client.post(IMPORT, json=_broken(election_document, where), headers=admin_headers)
    got = assert_error(response, status, code, None)
    if fields is not None:
        assert _stringify_keys(got) == fields
    assert row_counts() == before


def _stringify_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _stringify_keys(item) for key, item in value.items()}
    return value


def test_duplicate_codes_in_one_document_are_409_at_their_place(
    client: FlaskClient,
    admin_headers: Headers,
    election_document: dict[str, Any],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    election_document["contests"][0]["agendas"][2]["code"] = "A1"
    before = row_counts()
    response = client.post(IMPORT, json=election_document, headers=admin_headers)
    fields = assert_error(response, 409, "duplicate")
    assert _stringify_keys(fields) == {
        "contests": {"0": {"agendas": {"2": {"code": ["Already used."]}}}}
    }
    assert row_counts() == before


def test_importing_the_same_slug_twice_is_409(
    client: FlaskClient,
    admin_headers: Headers,
    election_document: dict[str, Any],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    assert client.post(IMPORT, json=election_document, headers=admin_headers).status_code == 201
    before = row_counts()
    again = client.post(IMPORT, json=election_document, headers=admin_headers)
    assert_error(again, 409, "duplicate", {"slug": ["Already used."]})
    assert row_counts() == before


def test_a_document_must_be_an_object(client: FlaskClient, admin_headers: Headers) -> None:
    response = client.post(IMPORT, json=[1, 2], headers=admin_headers)
    assert_error(response, 422, "validation_failed")
