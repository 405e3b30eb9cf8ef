"""End to end: vote online and at a kiosk, close, count, publish, read the results, verify."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from api_assertions import assert_error
from click.testing import CliRunner
from flask import Flask, request_started
from flask.testing import FlaskClient
from results_support import (
    EXPECTED_BALLOTS,
    count_and_wait,
    sync_booth,
    vote,
)
from sql_support import sent_statements

from votesvc.api.immutable import ImmutableResponses
from votesvc.cli.verify import verify_command
from votesvc.models import Ballot
from votesvc.models.base import db
from votesvc.publication.verify import folder_source, url_source, verify
from votesvc.services import publication

Headers = dict[str, str]


def _stored_per_contest(app: Flask) -> dict[str, int]:
    from votesvc.models import Contest

    with app.app_context():
        rows = db.session.execute(
            sa.select(Contest.code, sa.func.count(Ballot.id))
            .join(Ballot, Ballot.contest_id == Contest.id)
            .group_by(Contest.code)
        )
        return dict(rows.all())


@pytest.fixture
def published(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> int:
    voted = vote(app, client, imported_election)
    assert (
        client.post(
            f"/api/v1/admin/elections/{voted.election_id}/close", headers=admin_headers
        ).status_code
        == 200
    )
    sync_booth(client, voted)  # cast before the close, synced within the grace period
    job = count_and_wait(client, voted.election_id, admin_headers, force=True)
    assert job["status"] == "done"
    assert (
        client.post(
            f"/api/v1/admin/elections/{voted.election_id}/publish", headers=admin_headers
        ).status_code
        == 201
    )
    return voted.election_id


def test_counts_equal_the_accepted_ballots_exactly(
    app: Flask, client: FlaskClient, published: int
) -> None:
    assert _stored_per_contest(app) == EXPECTED_BALLOTS
    body = client.get(f"/api/v1/elections/{published}/results").get_json()
    contests = {c["code"]: c for c in body["contests"]}
    assert {code: c["ballots"] for code, c in contests.items()} == EXPECTED_BALLOTS
    assert body["turnout"]["voters"] == 7 and body["turnout"]["tokens_issued"] == 8
    city = contests["city"]
    assert city["channels"] == [
        {
            "channel": "booth",
            "ballots": 3,
            "booth": "b1",
            "name_ko": "중앙동 주민센터",
            "name_en": "",
        },
        {"channel": "online", "ballots": 4},
    ]
    # city: A1 has 3 votes, A3 4, A2 2 (greedy by votes): A3, A1 funded; A2 does not fit.
    assert city["funded"] == ["A3", "A1"]
    assert (city["spent"], city["remaining"]) == (700_000, 300_000)
    by_code = {a["code"]: a for a in city["agendas"]}
    assert by_code["A3"]["support"] == "4" and by_code["A3"]["rank"] == 1
    assert "KRW 700,000" in by_code["A2"]["explanation"]["en"]
    assert "300,000원" in by_code["A2"]["explanation"]["ko"]
    rank = contests["rank"]
    assert rank["method"]["kind"] == "ranked" and rank["rounds"][0]["tally"]
    assert all(a["explanation"]["en"] and a["explanation"]["ko"] for a in rank["agendas"])


def test_results_are_immutable_and_revalidate_with_304(client: FlaskClient, published: int) -> None:
    url = f"/api/v1/elections/{published}/results"
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag == f'"{hashlib.sha256(first.data).hexdigest()}"'
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


@contextmanager
def _work(app: Flask) -> Iterator[list[str]]:
    """What the app does while the block runs: the SQL statements it sends and a ``flask``
    entry for each request Flask dispatches."""

    def dispatched(_sender: Flask, **_extra: Any) -> None:
        done.append("flask")

    with sent_statements(app) as done:
        request_started.connect(dispatched, app)
        try:
            yield done
        finally:
            request_started.disconnect(dispatched, app)


def test_a_served_publication_is_answered_again_without_flask_or_the_database(
    app: Flask, client: FlaskClient, published: int
) -> None:
    url = f"/api/v1/elections/{published}/results"
    with _work(app) as done:
        first = client.get(url)
    assert first.status_code == 200 and "flask" in done and len(done) > 1
    with _work(app) as done:
        again = client.get(url, headers={"X-Request-ID": "proxy-1234abcd"})
        revalidated = client.get(url, headers={"If-None-Match": f'"x", {first.headers["ETag"]}'})
        head = client.head(url)
    assert done == []
    assert again.data == first.data and again.headers["X-Request-ID"] == "proxy-1234abcd"
    for name in ("ETag", "Cache-Control", "Content-Type", "Content-Length"):
        assert again.headers[name] == first.headers[name] == head.headers[name]
    assert (revalidated.status_code, revalidated.data) == (304, b"")
    assert revalidated.headers["ETag"] == first.headers["ETag"]
    assert head.status_code == 200 and head.data == b"" and head.headers["X-Request-ID"]
    # Other methods still meet Flask and its JSON errors.
    assert_error(client.post(url), 405, "method_not_allowed")
    # Another spelling of the path is served by Flask but not kept (it would crowd the cache).
    variant = client.get(f"/api/v1/elections/0{published}/results")
    assert variant.status_code == 200 and variant.data == first.data
    assert list(ImmutableResponses.of(app).answers) == [url]


def test_contest_results_and_files_match_their_digests(
    app: Flask, client: FlaskClient, published: int
) -> None:
    body = client.get(f"/api/v1/elections/{published}/results").get_json()
    for contest in body["contests"]:
        one = client.get(f"/api/v1/elections/{published}/results/contests/{contest['contest_id']}")
        assert one.get_json() == contest
    ids = {c["code"]: c["contest_id"] for c in body["contests"]}
    assert set(body["files"]) >= {
        "audit.json",
        f"contests/{ids['city']}/ballots.pb",
        f"contests/{ids['city']}/ballots.csv",
        f"contests/{ids['rank']}/ballots.rcv.json",
    }
    for name, digest in body["files"].items():
        served = client.get(f"/api/v1/elections/{published}/results/files/{name}")
        assert served.status_code == 200
        assert hashlib.sha256(served.data).hexdigest() == digest
    csv_lines = (
        client.get(
            f"/api/v1/elections/{published}/results/files/contests/{ids['city']}/ballots.csv"
        )
        .get_data(as_text=True)
        .splitlines()
    )
    assert csv_lines[0] == "choices,points" and len(csv_lines) == 1 + EXPECTED_BALLOTS["city"]


def test_ballot_files_carry_no_identifier(app: Flask, client: FlaskClient, published: int) -> None:
    with app.app_context():
        ids = [row[0] for row in db.session.execute(sa.select(Ballot.id, Ballot.receipt_hash))]
        hashes = [row[0] for row in db.session.execute(sa.select(Ballot.receipt_hash))]
    body = client.get(f"/api/v1/elections/{published}/results").get_json()
    for name in body["files"]:
        text = client.get(f"/api/v1/elections/{published}/results/files/{name}").get_data(
            as_text=True
        )
        assert not any(i in text for i in ids + hashes)
        if name.startswith("contests/"):
            assert "booth" not in text and "online" not in text


def test_verify_from_the_api_and_from_a_folder(
    app: Flask, client: FlaskClient, published: int, tmp_path: Path
) -> None:
    base = f"http://localhost/api/v1/elections/{published}/results"

    def get(url: str) -> bytes:
        response = client.get(url.removeprefix("http://localhost"))
        assert response.status_code == 200, url
        return response.data

    report = verify(url_source(base, get))
    assert report.ok, report.text()
    assert report.contests == {"city": [], "north": [], "rank": []}
    with app.app_context():
        publication.export_to(published, tmp_path)
    assert verify(folder_source(tmp_path)).ok


def _city_file(folder: Path) -> str:
    manifest = json.loads((folder / "publication.json").read_text())
    return f"contests/{manifest['contests']['city']['contest_id']}/ballots.pb"


def _drop_last_vote(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))


def test_a_tampered_ballot_file_fails_its_contest_only(
    app: Flask, published: int, tmp_path: Path
) -> None:
    with app.app_context():
        publication.export_to(published, tmp_path)
    _drop_last_vote(tmp_path / _city_file(tmp_path))
    report = verify(folder_source(tmp_path))
    assert not report.ok
    assert report.contests["north"] == [] and report.contests["rank"] == []
    assert "SHA-256 differs" in report.contests["city"][0]


def test_a_tampered_file_with_a_forged_digest_is_recounted_and_caught(
    app: Flask, published: int, tmp_path: Path
) -> None:
    with app.app_context():
        publication.export_to(published, tmp_path)
    name = _city_file(tmp_path)
    ballots = tmp_path / name
    _drop_last_vote(ballots)
    manifest_path = tmp_path / "publication.json"
    manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    manifest["files"][name] = hashlib.sha256(ballots.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    report = verify(folder_source(tmp_path))
    assert not report.ok
    assert report.contests["city"][0].startswith("ballots: published 7, file 6")
    assert report.general == [
        "the audit log's publication entry does not name these files",
        "results.json: the file digests differ from the published files",
    ]


def test_the_audit_chain_is_checked(app: Flask, published: int, tmp_path: Path) -> None:
    with app.app_context():
        publication.export_to(published, tmp_path)
    audit = tmp_path / "audit.json"
    entries = json.loads(audit.read_text())
    entries[0]["payload"]["forged"] = True
    audit.write_text(json.dumps(entries))
    manifest = json.loads((tmp_path / "publication.json").read_text())
    manifest["files"]["audit.json"] = hashlib.sha256(audit.read_bytes()).hexdigest()
    (tmp_path / "publication.json").write_text(json.dumps(manifest))
    report = verify(folder_source(tmp_path))
    assert report.general == [
        "audit log entry 1: hash does not match its content",
        "results.json: the file digests differ from the published files",  # the forged manifest
    ]


def test_a_second_publication_is_refused(
    client: FlaskClient, published: int, admin_headers: Headers
) -> None:
    response = client.post(f"/api/v1/admin/elections/{published}/publish", headers=admin_headers)
    assert_error(response, 409, "election_not_closed")


def test_the_verify_command_exits_non_zero_on_a_mismatch(
    app: Flask, published: int, tmp_path: Path
) -> None:
    with app.app_context():
        publication.export_to(published, tmp_path)
    runner = CliRunner()
    good = runner.invoke(verify_command, [str(tmp_path)])
    assert good.exit_code == 0 and "verified: all match" in good.output
    _drop_last_vote(tmp_path / _city_file(tmp_path))
    bad = runner.invoke(verify_command, [str(tmp_path)])
    assert bad.exit_code == 1 and "city: MISMATCH" in bad.output


def _edit_json(path: Path, change: Callable[[Any], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _city(document: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in document["contests"] if c["code"] == "city")


def _another_funded_list(document: dict[str, Any]) -> None:
    """What a forged results page shows residents: another funded list, told consistently."""
    city = _city(document)
    city["funded"] = ["A2"]
    for agenda in city["agendas"]:
        agenda["funded"] = agenda["code"] == "A2"


def test_a_results_json_showing_another_funded_list_fails_with_exit_1(
    app: Flask, published: int, tmp_path: Path
) -> None:
    with app.app_context():
        publication.export_to(published, tmp_path)
    _edit_json(tmp_path / "results.json", _another_funded_list)
    report = verify(folder_source(tmp_path))
    assert report.contests["north"] == [] and report.contests["rank"] == []
    assert "results.json: 'funded' differs from the recount" in report.contests["city"]
    assert "results.json: 'agendas' differs from the recount" in report.contests["city"]
    result = CliRunner().invoke(verify_command, [str(tmp_path)])
    assert result.exit_code == 1 and "city: MISMATCH" in result.output


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda c: c["agendas"][0]["explanation"].update(en="Funded by magic."), id="why"
        ),
        pytest.param(lambda c: c.update(spent=c["spent"] + 1), id="spent"),
        pytest.param(lambda c: c["agendas"][0].update(cost=1), id="cost"),
        pytest.param(lambda c: c["channels"][0].update(ballots=99), id="channels"),
        pytest.param(lambda c: c.update(fared=[0, 0, 7]), id="how voters fared"),
    ],
)
def test_every_part_of_a_contest_results_file_is_checked(
    app: Flask, published: int, tmp_path: Path, change: Callable[[dict[str, Any]], None]
) -> None:
    with app.app_context():
        publication.export_to(published, tmp_path)
    manifest = json.loads((tmp_path / "publication.json").read_text())
    name = f"contests/{manifest['contests']['city']['contest_id']}/results.json"
    _edit_json(tmp_path / name, change)
    report = verify(folder_source(tmp_path))
    assert report.status == 1
    assert report.contests["city"] and all(p.startswith(name) for p in report.contests["city"])


def test_a_file_that_cannot_be_read_is_not_a_mismatch(
    app: Flask, published: int, tmp_path: Path
) -> None:
    with app.app_context():
        publication.export_to(published, tmp_path)
    (tmp_path / _city_file(tmp_path)).unlink()
    report = verify(folder_source(tmp_path))
    assert report.status == 3 and report.unchecked == {"city"}
    assert report.contests == {"city": [], "north": [], "rank": []}
    result = CliRunner().invoke(verify_command, [str(tmp_path)])
    assert result.exit_code == 3
    assert "city: not checked" in result.output and "verification incomplete" in result.output


@contextmanager
def _serving(app: Flask) -> Iterator[str]:
    """The app on a real local port, for the command's own HTTP client."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def test_verify_over_http_and_its_refusals_in_one_line(
    app: Flask, client: FlaskClient, published: int, imported_election: Callable[..., int]
) -> None:
    runner = CliRunner()
    unpublished = imported_election(slug="not-yet")
    with _serving(app) as root:
        good = runner.invoke(verify_command, [f"{root}/api/v1/elections/{published}/results"])
        assert good.exit_code == 0, good.output
        missing = runner.invoke(verify_command, [f"{root}/api/v1/elections/{unpublished}/results"])
    assert missing.exit_code == 3
    (line,) = missing.output.splitlines()
    assert line.startswith("votesvc verify: nothing checked: ")
    assert "HTTP 404 (results_not_published: " in line and "Traceback" not in missing.output
    closed_port = runner.invoke(verify_command, [f"{root}/api/v1/elections/{published}/results"])
    assert closed_port.exit_code == 3
    (line,) = closed_port.output.splitlines()
    assert "cannot be reached" in line
    folder = runner.invoke(verify_command, ["/nonexistent/votesvc-publication"])
    assert folder.exit_code == 3 and len(folder.output.splitlines()) == 1
