"""The console script: demo, load-demo, create-admin-key, import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from voting_support import receipt_id

from votesvc.cli.commands import main
from votesvc.services.demo import DEMO_FILE

VOTESVC = [sys.executable, "-c", "from votesvc.cli.commands import main; main()"]
"""The console script's entry point, run in a fresh interpreter as `votesvc` would be."""

PB = """META
key;value
budget;1000
vote_type;approval
PROJECTS
project_id;cost;name
p1;600;Park
p2;500;Library
VOTES
voter_id;vote
1;p1
"""


def _run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(main, list(args))


def _key(output: str) -> str:
    return next(line.split()[-1] for line in output.splitlines() if "Bearer" in line)


def test_demo_builds_a_fresh_database_and_lists_the_demo(empty_database_app: Flask) -> None:
    result = _run(empty_database_app, "demo", "--no-serve", "--port", "5123")
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5123/api/v1/elections" in result.output
    key = _key(result.output)
    client = empty_database_app.test_client()
    listed = client.get("/api/v1/elections").get_json()
    assert [e["name_en"] for e in listed] == ["2024 Regional problem-solving platform"]
    assert listed[0]["is_demo"] is True and listed[0]["phase"] == "voting"
    admin = client.get("/api/v1/admin/elections", headers={"Authorization": f"Bearer {key}"})
    assert admin.status_code == 200

    again = _run(empty_database_app, "demo", "--no-serve")
    assert again.exit_code == 0 and "Bearer" not in again.output  # the key is made once
    assert "already loaded" in again.output
    assert len(client.get("/api/v1/elections").get_json()) == 1


def test_the_demo_election_content(app: Flask, client: FlaskClient) -> None:
    assert _run(app, "load-demo").exit_code == 0
    election_id = client.get("/api/v1/elections").get_json()[0]["id"]
    detail = client.get(f"/api/v1/elections/{election_id}").get_json()
    assert detail["name_ko"] == "2024 지역문제해결플랫폼"
    assert "데모" in detail["description_ko"] and "Demo" in detail["description_en"]
    contests = detail["contests"]
    assert [c["code"] for c in contests] == ["city", "old-town", "new-town"]
    agendas = [a for c in contests for a in c["agendas"]]
    assert len(agendas) == 25
    assert all(a["title_ko"] and a["title_en"] and a["cost"] > 0 for a in agendas)
    assert all(len(a["organisations"]) >= 2 for a in agendas)
    institutions = {o["name_ko"] for a in agendas for o in a["organisations"]}
    assert len(institutions) == 35
    titles = " ".join(a["title_en"] for a in agendas)
    for story in (
        "yellow footprints",
        "traditional markets",
        "landmarks",
        "Bike-share",
        "single-room dwellers",
        "small theatres",
        "vulnerable residents",
        "Visiting education",
    ):
        assert story in titles


def test_load_demo_is_idempotent(app: Flask, row_counts: Callable[[], dict[str, int]]) -> None:
    first = _run(app, "load-demo")
    assert first.exit_code == 0 and "loaded" in first.output
    counts = row_counts()
    second = _run(app, "load-demo")
    assert second.exit_code == 0 and "already there" in second.output
    assert row_counts() == counts


def test_create_admin_key(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    result = _run(app, "create-admin-key", "--election", str(election_id), "--label", "city hall")
    assert result.exit_code == 0 and f"election {election_id}" in result.output
    headers = {"Authorization": f"Bearer {_key(result.output)}"}
    assert client.get(f"/api/v1/admin/elections/{election_id}", headers=headers).status_code == 200
    assert client.post("/api/v1/admin/elections", json={}, headers=headers).status_code == 403
    missing = _run(app, "create-admin-key", "--election", "999")
    assert missing.exit_code == 1 and "not_found" in missing.output


def test_import_json_and_pb(
    app: Flask, client: FlaskClient, tmp_path: Path, election_document: dict[str, Any]
) -> None:
    document = tmp_path / "election.json"
    document.write_text(json.dumps(election_document), encoding="utf-8")
    result = _run(app, "import", str(document))
    assert result.exit_code == 0, result.output
    assert "Election 1 (test-2025) imported." in result.output

    pb = tmp_path / "district.pb"
    pb.write_text(PB, encoding="utf-8")
    added = _run(app, "import", str(pb), "--election", "1", "--code", "district")
    assert added.exit_code == 0, added.output
    assert "Contest 2 (district) added to election 1." in added.output
    assert "note: The file's 1 ballots were not imported" in added.output

    no_target = _run(app, "import", str(pb))
    assert no_target.exit_code == 2 and "--election" in no_target.output


def test_import_refusals_change_nothing(
    app: Flask,
    tmp_path: Path,
    election_document: dict[str, Any],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    before = row_counts()
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert _run(app, "import", str(broken)).exit_code == 1
    election_document["contests"][0]["budget"] = 0
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps(election_document), encoding="utf-8")
    result = _run(app, "import", str(invalid))
    assert result.exit_code == 1 and "validation_failed" in result.output
    assert "budget" in result.output
    other = tmp_path / "election.csv"
    other.write_text("a,b", encoding="utf-8")
    assert _run(app, "import", str(other)).exit_code == 2
    # text no database can store, as the API refuses it: raw, escaped, a lone surrogate
    election_document["contests"][0]["budget"] = 1_000_000
    for name, text in (
        (
            "raw.json",
            json.dumps({**election_document, "name_en": "a\x00b"}).replace("\\u0000", "\x00"),
        ),
        ("escaped.json", json.dumps({**election_document, "name_en": "a\x00b"})),
        (
            "lone.json",
            json.dumps({**election_document, "name_en": "x"}).replace('"x"', '"\\ud800"'),
        ),
        ("deep.json", "[" * 5000 + "]" * 5000),
    ):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = _run(app, "import", str(path))
        assert result.exit_code == 1, (name, result.output)
        assert "Traceback" not in result.output
        assert ("U+0000" in result.output) is (name != "deep.json"), result.output
    assert row_counts() == before


def test_the_console_script_runs_the_demo_on_a_fresh_instance(tmp_path: Path) -> None:
    """What the README's run command does, without serving: default SQLite under instance/."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOTESVC_")}
    env["VOTESVC_INSTANCE_PATH"] = str(tmp_path / "instance")
    result = subprocess.run(
        [*VOTESVC, "demo", "--no-serve"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "http://127.0.0.1:5000/api/v1/elections" in result.stdout
    assert (tmp_path / "instance" / "votesvc.sqlite3").is_file()
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_without_a_secret_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOTESVC_")}
    env.update(VOTESVC_ENV="production", VOTESVC_INSTANCE_PATH=str(tmp_path / "instance"))
    result = subprocess.run(
        [*VOTESVC, "create-admin-key"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "VOTESVC_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_data_file_is_plain_json() -> None:
    document = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    assert document["is_demo"] is True
    assert "starts_at" not in document  # the window is set when loading


def test_every_refusal_is_one_sentence_and_a_non_zero_exit(app: Flask, tmp_path: Path) -> None:
    """Refusals are handled by the command (SystemExit with a message), never a traceback."""
    not_utf8 = tmp_path / "latin1.json"
    not_utf8.write_bytes('{"slug": "caf\xe9"}'.encode("latin-1"))
    cases = [
        (["create-admin-key", "--election", "999"], "not_found: Not found. (resource: election)"),
        (["import", str(not_utf8)], "is not UTF-8 text"),
        (["print-tokens", "999", str(tmp_path / "out.pdf")], "(resource: token_batch)"),
        (["publication-export", "999", str(tmp_path / "out")], "results_not_published"),
    ]
    for args, expected in cases:
        result = _run(app, *args)
        assert result.exit_code == 1, (args, result.output)
        assert isinstance(result.exception, SystemExit), (args, result.exception)
        (line,) = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert expected in line, (args, result.output)


def test_an_unreachable_database_is_said_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOTESVC_")}
    env.update(
        VOTESVC_INSTANCE_PATH=str(tmp_path / "instance"),
        VOTESVC_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none",
    )
    result = subprocess.run(
        [*VOTESVC, "close-due"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: the database cannot be reached (VOTESVC_DATABASE_URL): ")


def _demo_links(output: str, port: int) -> dict[str, str]:
    """The voting links ``votesvc demo`` printed, each with the short code on the next line."""
    lines = output.splitlines()
    prefix = f"http://127.0.0.1:{port}/elections/"
    return {
        line.strip(): lines[n + 1].split("code:")[1].strip()
        for n, line in enumerate(lines)
        if line.strip().startswith(prefix) and "#code=" in line
    }


def test_demo_prints_the_election_page_and_unused_voting_codes(empty_database_app: Flask) -> None:
    first = _run(empty_database_app, "demo", "--no-serve", "--port", "5123")
    assert first.exit_code == 0, first.output
    client = empty_database_app.test_client()
    election_id = client.get("/api/v1/elections").get_json()[0]["id"]
    page = f"http://127.0.0.1:5123/elections/{election_id}"
    assert f"Election page: {page}\n" in first.output
    assert "Voting codes of the demo election, to try voting" in first.output
    assert f"127.0.0.1:5123/e/{election_id}" in first.output
    links = _demo_links(first.output, 5123)
    assert len(links) == 5 and all(link.startswith(f"{page}/vote#code=") for link in links)
    tokens = [link.split("#code=")[1] for link in links]

    used = client.post(
        f"/api/v1/elections/{election_id}/ballots",
        json={"token": tokens[0], "selections": {"city": {"choices": ["C-01"]}}},
    )
    assert used.status_code == 201, used.get_json()
    typed = client.post(
        f"/api/v1/elections/{election_id}/ballots",
        json={"token": links[next(iter(links))], "selections": {"city": {"choices": ["C-02"]}}},
    )
    assert typed.status_code == 409  # the short code is the same right to vote as its link

    again = _demo_links(
        _run(empty_database_app, "demo", "--no-serve", "--port", "5123").output, 5123
    )
    assert len(again) == 5
    assert set(again) & set(links) == set(list(links)[1:])  # the four unused ones, plus a new one
    assert not any(tokens[0] in link for link in again)


def test_demo_provisions_a_kiosk_and_prints_its_booths_sheet_codes(
    empty_database_app: Flask,
) -> None:
    result = _run(empty_database_app, "demo", "--no-serve", "--port", "5123")
    assert result.exit_code == 0, result.output
    assert "open http://127.0.0.1:5123/kiosk/" in result.output
    lines = result.output.splitlines()
    code = next(line.strip() for line in lines if line.strip().startswith("vkp1."))
    _, election_id, booth_id, credential = code.split(".")
    client = empty_database_app.test_client()
    setup = client.get(
        f"/kiosk/setup?election={election_id}&booth={booth_id}",
        headers={"Authorization": f"Bearer {credential}"},
    )
    assert setup.status_code == 200
    start = lines.index(next(line for line in lines if line.startswith("Sheet codes")))
    sheets = [line.split()[1] for line in lines[start + 1 : start + 6]]
    assert len(sheets) == 5 and all(s.split(".")[2] == f"booth-{booth_id}" for s in sheets)
    synced = client.post(
        f"/api/v1/elections/{election_id}/booths/{booth_id}/sync",
        json={
            "ballots": [
                {
                    "id": receipt_id(),
                    "token": sheets[0],
                    "cast_at": datetime.now(UTC).isoformat(),
                    "selections": {"city": {"choices": ["C-01"]}},
                }
            ]
        },
        headers={"Authorization": f"Bearer {credential}"},
    )
    assert synced.get_json()["counts"] == {"accepted": 1}, synced.get_json()
