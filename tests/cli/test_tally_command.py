"""``votesvc tally``: counts shared files from the shell, with clear errors for bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from votesvc.cli.tally import tally_command

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is absent")


def run(*args: str):
    return CliRunner().invoke(tally_command, [str(a) for a in args])


@needs_shared
def test_pb_file_counted_with_its_meta_rule_matches_the_official_selection():
    pb = SHARED / "pabulib" / "Poland_Katowice_2020_Giszowiec.pb"
    result = run(pb, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rule"] == "greedy-threshold"
    expected = json.loads((SHARED / "pabulib" / "expected.json").read_text())
    assert sorted(data["selected"]) == sorted(expected[pb.name]["official_selected"])
    assert data["rounds"]


@needs_shared
def test_pb_file_table_names_the_funded_agendas():
    result = run(SHARED / "pabulib" / "Poland_Katowice_2020_Giszowiec.pb", "--rule", "greedy")
    assert result.exit_code == 0, result.output
    assert "L17/07/VII" in result.stdout and "funded" in result.stdout


@needs_shared
def test_rcv_case_prints_winners_and_rounds():
    case = SHARED / "rcv" / "tiebreak_seed_test.json"
    result = run(case, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    expected = json.loads(case.read_text())["expected"]
    assert data["winners"] and len(data["rounds"]) == len(expected["rounds"])


@pytest.mark.parametrize(
    ("name", "text", "args", "message"),
    [
        ("bad.pb", "META\nkey;value\nbudget;x\n", (), "VOTES"),
        ("bad.json", "{not json", (), "Expecting"),
        ("notes.txt", "hello", (), ".pb"),
        ("case.json", '{"name": "x"}', (), "'candidates' is missing"),
        ("list.json", "[1, 2]", (), "is not an RCV case file"),
    ],
)
def test_bad_files_fail_with_a_message_not_a_traceback(tmp_path, name, text, args, message):
    path = tmp_path / name
    path.write_text(text)
    result = run(path, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


@needs_shared
def test_unknown_rule_and_tie_break_are_refused_clearly():
    pb = SHARED / "pabulib" / "Poland_Katowice_2020_Giszowiec.pb"
    for args in (("--rule", "plurality"), ("--tie-break", "coin")):
        result = run(pb, *args)
        assert result.exit_code == 1
        assert "Error:" in result.output


@needs_shared
def test_satisfaction_option_reaches_the_rule():
    pb = (
        SHARED / "pabulib" / "France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb"
    )
    expected = json.loads((SHARED / "pabulib" / "expected.json").read_text())[pb.name]["rules"]
    for measure, key in (("cost", "greedy_cost"), ("cardinality", "greedy_card")):
        result = run(pb, "--rule", "greedy", "--satisfaction", measure, "--json")
        assert result.exit_code == 0, result.output
        assert sorted(json.loads(result.stdout)["selected"]) == expected[key]["selected"]


@needs_shared
def test_add1_start_option_reaches_equal_shares():
    pb = SHARED / "pabulib" / "Netherlands_Assen_2024.pb"
    expected = json.loads((SHARED / "pabulib" / "expected.json").read_text())[pb.name]["rules"]
    result = run(pb, "--rule", "equalshares/add1-exhaustive", "--add1-start", "share", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["options"]["add1_start"] == "share"
    assert sorted(data["selected"]) == expected["mes_cost_add1"]["selected"]
    refused = run(pb, "--rule", "greedy", "--add1-start", "share")
    assert refused.exit_code == 1
    assert "takes no add1_start" in refused.output


CITIES = SHARED / "pabulib-cities"


@needs_shared
def test_exclusive_groups_and_the_reserve_fraction_from_the_command_line():
    bemowo = CITIES / "Poland_Warszawa_2022_Bemowo.pb"
    named = json.loads(run(bemowo, "--json").stdout)
    assert "773" in named["selected"] and "153" not in named["selected"]
    swapped = run(bemowo, "--exclusive", "153,1103", "--json")
    assert swapped.exit_code == 0, swapped.output
    data = json.loads(swapped.stdout)
    assert "153" in data["selected"] and "1103" not in data["selected"]
    poznan = next(CITIES.glob("Poland_Poznan_2023_*.pb"))
    strict = json.loads(run(poznan, "--reserve-fraction", "0.99", "--json").stdout)
    assert strict["options"]["reserve_fraction"] == "99/100" and "reserve" not in strict
    unknown = run(bemowo, "--exclusive", "153,nope")
    assert unknown.exit_code == 1 and "no agenda 'nope'" in unknown.output


def test_tally_and_verify_start_without_the_web_stack(tmp_path):
    """``votesvc tally`` and ``verify`` in a fresh interpreter import no Flask, SQLAlchemy or
    Alembic (``votesvc.cli.console``); the count is a real one on a small file."""
    pb = tmp_path / "small.pb"
    pb.write_text(
        "META\nkey;value\nbudget;10\nvote_type;approval\nrule;greedy-no-skip\n"
        "PROJECTS\nproject_id;cost\na;6\nb;5\nVOTES\nvoter_id;vote\n1;a\n2;a,b\n",
        encoding="utf-8",
    )
    code = (
        "import sys\n"
        "from votesvc.cli.console import main\n"
        "for args in (['tally', sys.argv[1]], ['verify', '--help']):\n"
        "    sys.argv = ['votesvc', *args]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as done:\n"
        "        assert not done.code, done.code\n"
        "web = {'flask', 'sqlalchemy', 'alembic', 'flask_migrate', 'werkzeug'}\n"
        "print('IMPORTED', sorted(n for n in sys.modules if n.split('.')[0] in web))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(pb)], capture_output=True, text=True, check=True
    )
    assert "funded (1): a" in out.stdout
    assert out.stdout.strip().endswith("IMPORTED []")
