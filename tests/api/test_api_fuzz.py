"""Whatever JSON an admin sends, the API answers a clear 2xx or 4xx, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
AGENDA_FIELDS = [
    "code",
    "position",
    "title_ko",
    "title_en",
    "description_ko",
    "cost",
    "organisations",
    "votes",
]
CONTEST_FIELDS = [
    "code",
    "title_ko",
    "budget",
    "ballot_type",
    "rule",
    "rule_options",
    "min_selections",
    "max_selections",
    "knapsack_cap",
    "points_total",
    "max_points_per_agenda",
    "max_ranks",
]


def _bodies(names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(names), JSON_VALUES, max_size=len(names))


FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(body=_bodies(AGENDA_FIELDS))
def test_agenda_bodies_never_break_the_server(
    client: FlaskClient,
    admin_headers: dict[str, str],
    imported_election: Callable[..., int],
    body: dict[str, Any],
) -> None:
    election = client.get("/api/v1/admin/elections", headers=admin_headers).get_json()
    if not election:
        imported_election()
    for method, path in (
        ("POST", "/api/v1/admin/contests/1/agendas"),
        ("PATCH", "/api/v1/admin/agendas/1"),
    ):
        response = client.open(path, method=method, json=body, headers=admin_headers)
        assert response.status_code in {200, 201, 409, 422}, response.get_data(as_text=True)


@FUZZ
@given(body=_bodies(CONTEST_FIELDS))
def test_contest_bodies_never_break_the_server(
    client: FlaskClient,
    admin_headers: dict[str, str],
    imported_election: Callable[..., int],
    body: dict[str, Any],
) -> None:
    election = client.get("/api/v1/admin/elections", headers=admin_headers).get_json()
    if not election:
        imported_election()
    for method, path in (
        ("POST", "/api/v1/admin/elections/1/contests"),
        ("PATCH", "/api/v1/admin/contests/1"),
    ):
        response = client.open(path, method=method, json=body, headers=admin_headers)
        assert response.status_code in {200, 201, 409, 422}, response.get_data(as_text=True)
