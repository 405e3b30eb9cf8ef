"""Admin side of voting: batches, sheets, sealing, voiding, participation, the voter roll,
mailed tokens, and the keys' election scope."""

from __future__ import annotations

import email
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from api_assertions import assert_error, assert_rate_limited
from flask import Flask
from flask.testing import FlaskClient
from sql_support import sent_statements
from voting_support import GOOD, booth_id, issue, open_election

from votesvc.models import Phase
from votesvc.services import elections

Headers = dict[str, str]


@pytest.fixture
def election_id(imported_election: Callable[..., int]) -> int:
    return open_election(imported_election)


def _url(election_id: int, path: str) -> str:
    return f"/api/v1/admin/elections/{election_id}/{path}"


def _cast(client: FlaskClient, election_id: int, token: str) -> Any:
    return client.post(
        f"/api/v1/elections/{election_id}/ballots", json={"token": token, "selections": GOOD}
    )


def _new_batch(client: FlaskClient, headers: Headers, election_id: int, **body: Any) -> Any:
    return client.post(_url(election_id, "token-batches"), json=body, headers=headers)


def _sheets(client: FlaskClient, headers: Headers, election_id: int, batch_id: int) -> Any:
    return client.get(_url(election_id, f"token-batches/{batch_id}/sheets.pdf"), headers=headers)


def test_a_printed_batch_casts_from_its_decoded_qr_codes_until_voided(
    app: Flask, client: FlaskClient, admin_headers: Headers, election_id: int
) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    zxingcpp = pytest.importorskip("zxingcpp")
    created = _new_batch(client, admin_headers, election_id, size=3, label="online pack")
    assert created.status_code == 201
    batch = created.get_json()
    assert batch["channel"] == "online" and batch["printable"] is True
    assert batch["counts"] == {"unused": 3, "spent": 0, "void": 0, "test": 0}

    sheet = _sheets(client, admin_headers, election_id, batch["id"])
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf"
    assert sheet.headers["Cache-Control"] == "no-store"
    page = pdfium.PdfDocument(sheet.data)[0]
    image = page.render(scale=100 / 72, grayscale=True).to_pil()
    links = sorted(result.text for result in zxingcpp.read_barcodes(image))
    prefix = f"http://127.0.0.1:5000/elections/{election_id}/vote#code="
    assert len(links) == 3 and all(link.startswith(prefix) for link in links)
    decoded = [link.removeprefix(prefix) for link in links]

    assert _cast(client, election_id, decoded[0]).status_code == 201
    voided = client.post(
        _url(election_id, f"token-batches/{batch['id']}/void"), headers=admin_headers
    )
    assert voided.get_json() == {"voided": 2}
    assert_error(_cast(client, election_id, decoded[1]), 403, "token_void")
    counts = client.get(_url(election_id, f"token-batches/{batch['id']}"), headers=admin_headers)
    assert counts.get_json()["counts"] == {"unused": 0, "spent": 1, "void": 2, "test": 0}


@pytest.mark.parametrize("app_config", [{"VOTESVC_ENV": "production", "VOTESVC_PUBLIC_URL": ""}])
def test_production_prints_no_online_sheet_without_a_public_address(
    client: FlaskClient, admin_headers: Headers, election_id: int
) -> None:
    batch = _new_batch(client, admin_headers, election_id, size=1).get_json()
    assert_error(_sheets(client, admin_headers, election_id, batch["id"]), 409, "public_url_unset")


def test_a_sealed_batch_can_no_longer_be_printed(
    client: FlaskClient, admin_headers: Headers, election_id: int
) -> None:
    batch = _new_batch(client, admin_headers, election_id, size=1).get_json()
    sealed = client.post(
        _url(election_id, f"token-batches/{batch['id']}/seal"), headers=admin_headers
    )
    assert sealed.status_code == 200
    assert sealed.get_json()["printable"] is False and sealed.get_json()["sealed_at"]
    sheet = _sheets(client, admin_headers, election_id, batch["id"])
    assert_error(sheet, 409, "batch_sealed")


def test_a_batch_too_large_to_render_in_a_request_points_to_the_command_line(
    client: FlaskClient, admin_headers: Headers, election_id: int
) -> None:
    batch = _new_batch(client, admin_headers, election_id, size=201).get_json()
    sheet = _sheets(client, admin_headers, election_id, batch["id"])
    assert_error(sheet, 409, "batch_too_large_to_print")
    assert f"votesvc print-tokens {batch['id']} OUT.pdf" in sheet.get_json()["error"]["message"]
    assert "201" in sheet.get_json()["error"]["message"]
    seal = client.post(
        _url(election_id, f"token-batches/{batch['id']}/seal"), headers=admin_headers
    )
    assert seal.status_code == 200
    # sealed: no command prints it any more, so the answer says that, not "use the CLI"
    assert_error(_sheets(client, admin_headers, election_id, batch["id"]), 409, "batch_sealed")


def test_batch_input_is_checked(
    app: Flask,
    client: FlaskClient,
    admin_headers: Headers,
    election_id: int,
    imported_election: Callable[..., int],
) -> None:
    fields = assert_error(
        _new_batch(client, admin_headers, election_id, size=0, test="yes"), 422, "validation_failed"
    )
    assert set(fields) == {"size", "test"}
    other = open_election(imported_election, slug="other")
    foreign_booth = booth_id(app, other)
    response = _new_batch(client, admin_headers, election_id, size=1, booth_id=foreign_booth)
    assert_error(response, 404, "not_found")
    assert_error(
        client.get(_url(other, "token-batches/999"), headers=admin_headers), 404, "not_found"
    )


def test_a_batch_restricted_to_some_contests(
    client: FlaskClient, admin_headers: Headers, election_id: int
) -> None:
    created = _new_batch(client, admin_headers, election_id, size=2, contests=["north", "city"])
    assert created.status_code == 201, created.get_json()
    batch = created.get_json()
    assert batch["contests"] == ["city", "north"]  # ballot order
    listed = client.get(_url(election_id, "token-batches"), headers=admin_headers).get_json()
    assert [b["contests"] for b in listed] == [["city", "north"]]
    plain = _new_batch(client, admin_headers, election_id, size=1).get_json()
    assert plain["contests"] is None

    unknown = _new_batch(client, admin_headers, election_id, size=1, contests=["city", "south"])
    assert assert_error(unknown, 422, "validation_failed") == {
        "contests": ["Not contests of this election: south."]
    }
    empty = _new_batch(client, admin_headers, election_id, size=1, contests=[])
    assert set(assert_error(empty, 422, "validation_failed")) == {"contests"}
    listed = client.get(_url(election_id, "token-batches"), headers=admin_headers).get_json()
    assert len(listed) == 2  # the refused batches issued nothing


def test_the_batch_listing_costs_the_same_queries_for_one_batch_or_many(
    app: Flask, client: FlaskClient, admin_headers: Headers, election_id: int
) -> None:
    """Counts and contests of every batch come from one query each, not one per batch."""
    url = _url(election_id, "token-batches")
    _new_batch(client, admin_headers, election_id, size=2, contests=["city"])
    with sent_statements(app) as one:
        first = client.get(url, headers=admin_headers)
    assert first.status_code == 200 and len(first.get_json()) == 1
    for size in (1, 3, 2):
        _new_batch(client, admin_headers, election_id, size=size, contests=["north", "city"])
    _new_batch(client, admin_headers, election_id, size=4)
    with sent_statements(app) as many:
        listed = client.get(url, headers=admin_headers).get_json()
    assert len(many) == len(one)
    assert [(b["size"], b["contests"], b["counts"]["unused"]) for b in listed] == [
        (2, ["city"], 2),
        (1, ["city", "north"], 1),
        (3, ["city", "north"], 3),
        (2, ["city", "north"], 2),
        (4, None, 4),
    ]


def test_no_tokens_for_a_closed_election(
    app: Flask, client: FlaskClient, admin_headers: Headers, election_id: int
) -> None:
    with app.app_context():
        elections.transition(election_id, Phase.CLOSED)
    response = _new_batch(client, admin_headers, election_id, size=1)
    assert_error(response, 409, "election_not_open")


def test_participation_counts_tokens_by_channel_and_booth(
    app: Flask, client: FlaskClient, admin_headers: Headers, election_id: int
) -> None:
    booth = booth_id(app, election_id)
    online = issue(app, election_id, 3)
    issue(app, election_id, 2, booth=booth)
    issue(app, election_id, 1, booth=booth, test=True)
    assert _cast(client, election_id, online[0].signed).status_code == 201
    response = client.get(_url(election_id, "participation"), headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json() == [
        {
            "channel": "online",
            "booth_id": None,
            "booth_code": None,
            "issued": 3,
            "unused": 2,
            "spent": 1,
            "void": 0,
            "test": 0,
        },
        {
            "channel": f"booth-{booth}",
            "booth_id": booth,
            "booth_code": "b1",
            "issued": 2,
            "unused": 2,
            "spent": 0,
            "void": 0,
            "test": 1,
        },
    ]


def test_voting_admin_needs_a_key_of_the_right_election(
    client: FlaskClient,
    make_key: Callable[[int | None], Headers],
    election_id: int,
    imported_election: Callable[..., int],
) -> None:
    other = open_election(imported_election, slug="other")
    scoped = make_key(other)
    for method, path in [
        ("post", "token-batches"),
        ("get", "token-batches"),
        ("get", "participation"),
        ("get", "quarantine"),
        ("post", "voter-roll"),
        ("post", "online-tokens/mail"),
        ("post", "tokens/void"),
        ("post", "booths/1/kiosks"),
    ]:
        assert_error(getattr(client, method)(_url(election_id, path)), 401, "unauthorized")
        assert_error(
            getattr(client, method)(_url(election_id, path), headers=scoped), 403, "forbidden"
        )


ROLL = "identifier,factor\n900101-1234567,1990-01-01\n850312-2345678,1985-03-12\n"


def _claim(client: FlaskClient, election_id: int, identifier: str, factor: str) -> Any:
    return client.post(
        f"/api/v1/elections/{election_id}/online-tokens/claim",
        json={"identifier": identifier, "factor": factor},
    )


def test_an_eligible_voter_claims_one_online_token_and_votes(
    client: FlaskClient, admin_headers: Headers, election_id: int
) -> None:
    imported = client.post(
        _url(election_id, "voter-roll"),
        data=ROLL.encode(),
        headers={**admin_headers, "Content-Type": "text/csv"},
    )
    assert imported.get_json() == {"added": 2, "already_listed": 0}
    again = client.post(_url(election_id, "voter-roll"), data=ROLL.encode(), headers=admin_headers)
    assert again.get_json() == {"added": 0, "already_listed": 2}

    assert_error(_claim(client, election_id, "900101-1234567", "1990-01-02"), 403, "not_eligible")
    assert_error(_claim(client, election_id, "000000-0000000", "1990-01-01"), 403, "not_eligible")
    claimed = _claim(client, election_id, "９００１０１ １２３４５６７", "19900101")
    assert claimed.status_code == 201
    token = claimed.get_json()
    assert_error(
        _claim(client, election_id, "900101-1234567", "1990-01-01"), 409, "token_already_issued"
    )
    assert _cast(client, election_id, token["short_code"]).status_code == 201


@pytest.mark.parametrize("roll", ["identifier\nA-100\n", "identifier,factor\nA-100,\n"])
def test_a_roll_row_without_a_factor_claims_with_the_identifier_alone(
    client: FlaskClient, admin_headers: Headers, election_id: int, roll: str
) -> None:
    imported = client.post(
        _url(election_id, "voter-roll"), data=roll.encode(), headers=admin_headers
    )
    assert imported.get_json() == {"added": 1, "already_listed": 0}
    assert_error(_claim(client, election_id, "A-101", ""), 403, "not_eligible")
    claimed = client.post(
        f"/api/v1/elections/{election_id}/online-tokens/claim", json={"identifier": "a100"}
    )
    assert claimed.status_code == 201, claimed.get_json()
    assert_error(_claim(client, election_id, "A-100", ""), 409, "token_already_issued")
    assert _cast(client, election_id, claimed.get_json()["short_code"]).status_code == 201


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("name,factor\nx,y\n", {"file": ["Needs an 'identifier' column."]}),
        (
            "identifier,factor\nA1,1\n,2\n\na-1,3\n",
            {"lines": {"3": ["No identifier."], "5": ["Listed twice."]}},
        ),
    ],
)
def test_a_bad_roll_is_refused_whole(
    client: FlaskClient,
    admin_headers: Headers,
    election_id: int,
    row_counts: Callable[[], dict[str, int]],
    text: str,
    fields: Any,
) -> None:
    before = row_counts()
    response = client.post(
        _url(election_id, "voter-roll"), data=text.encode(), headers=admin_headers
    )
    assert_error(response, 422, "voter_roll_invalid", fields)
    assert row_counts() == before


@pytest.mark.parametrize("app_config", [{"VOTESVC_CODE_LIMIT": "2 per minute"}])
def test_code_entry_is_rate_limited(client: FlaskClient, election_id: int) -> None:
    for _ in range(2):
        assert_error(_claim(client, election_id, "x", "y"), 403, "not_eligible")
    assert_rate_limited(_claim(client, election_id, "x", "y"))


def test_mailed_online_tokens_land_in_the_dev_outbox(
    app: Flask, client: FlaskClient, admin_headers: Headers, election_id: int
) -> None:
    response = client.post(
        _url(election_id, "online-tokens/mail"),
        json={"recipients": ["a@example.org", "b@example.org"]},
        headers=admin_headers,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["sent"] == 2 and body["failed"] == []
    outbox = Path(app.config["VOTESVC_MAIL_OUTBOX"])
    mails = [email.message_from_bytes(path.read_bytes()) for path in sorted(outbox.iterdir())]
    assert sorted(mail["To"] for mail in mails) == ["a@example.org", "b@example.org"]
    text = mails[0].get_payload(decode=True).decode()
    signed = text.strip().splitlines()[-1]
    assert _cast(client, election_id, signed).status_code == 201
    batch = client.get(
        _url(election_id, f"token-batches/{body['batch_id']}"), headers=admin_headers
    )
    assert batch.get_json()["printable"] is False
    assert batch.get_json()["counts"]["spent"] == 1


@pytest.mark.parametrize("app_config", [{"VOTESVC_ENV": "production"}])
def test_production_without_smtp_issues_nothing(
    client: FlaskClient,
    admin_headers: Headers,
    election_id: int,
    row_counts: Callable[[], dict[str, int]],
) -> None:
    before = row_counts()
    response = client.post(
        _url(election_id, "online-tokens/mail"),
        json={"recipients": ["a@example.org"]},
        headers=admin_headers,
    )
    assert_error(response, 409, "mail_not_configured")
    assert row_counts() == before
