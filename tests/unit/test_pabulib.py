from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pabulib_data import PABULIB, file_params, load

from votesvc.tally.model import Agenda, BallotGroup, BallotType, Contest, Profile
from votesvc.tally.pabulib import (
    PbFile,
    PbFormatError,
    format_amount,
    parse_amount,
    read_pb,
    write_pb,
)


def pb_text(meta: str, projects: str, votes: str) -> str:
    return f"META\nkey;value\n{meta}PROJECTS\n{projects}VOTES\n{votes}"


APPROVAL_META = "budget;1000\nvote_type;approval\n"
PROJECTS = "project_id;cost;name\na;400;Park\nb;300;Bench\nc;500;Lamp\n"


# --- every shared file ------------------------------------------------------------------------


@pytest.mark.parametrize("name", file_params())
def test_shared_file_reads_with_the_counts_its_meta_states(name):
    pb = load(name)
    assert pb.profile.voters == int(pb.meta["num_votes"])
    assert len(pb.contest.agendas) == int(pb.meta["num_projects"])
    assert pb.contest.budget == Fraction(pb.meta["budget"])
    assert pb.contest.ballot_type == BallotType(pb.meta["vote_type"])
    for group in pb.profile.groups:
        assert len(set(group.choices)) == len(group.choices)


@pytest.mark.parametrize("name", file_params())
def test_shared_file_round_trips(name):
    pb = load(name)
    again = read_pb(write_pb(pb))
    assert again == pb
    assert set(again.repairs) <= set(pb.repairs)  # written votes need no repair
    assert not any("more than once" in repair for repair in again.repairs)


@pytest.mark.parametrize("name", file_params())
def test_shared_file_project_votes_column_matches_the_ballots(name):
    pb = load(name)
    if "votes" not in pb.project_columns:
        pytest.skip("no votes column")
    if any("more than once" in repair for repair in pb.repairs):
        pytest.skip("the votes column counts repeated listings; see the repair test")
    supporters = dict.fromkeys((a.id for a in pb.contest.agendas), 0)
    for group in pb.profile.groups:
        for choice in group.choices:
            supporters[choice] += group.count
    stated = {k: int(v["votes"]) for k, v in pb.projects_extra.items()}
    assert supporters == stated


def test_decimal_budget_and_costs_are_exact():
    pb = load("France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb")
    assert pb.contest.budget == 400000
    assert pb.contest.agenda("180").cost == 75000
    assert pb.meta["budget"] == "400000.0"
    assert write_pb(pb).count("budget;400000.0\n") == 1


def test_quoted_names_are_unquoted():
    pb = load("France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb")
    assert (
        pb.contest.agenda("182").name
        == 'Aménagement de cours "OASIS" à l\'école élémentaire Victor Hugo'
    )


def test_repeated_agenda_in_a_vote_is_kept_once_and_reported():
    pb = load("Poland_Warszawa_2026_Sady_Zoliborskie.pb")
    assert len(pb.repairs) == 3
    assert all("more than once" in r for r in pb.repairs)
    assert "voter 308539" in pb.repairs[1]
    repaired = {"1125", "1740", "558", "1594"}
    supporters = dict.fromkeys((a.id for a in pb.contest.agendas), 0)
    for group in pb.profile.groups:
        for choice in group.choices:
            supporters[choice] += group.count
    stated = {k: int(v["votes"]) for k, v in pb.projects_extra.items()}
    assert {k for k in stated if stated[k] != supporters[k]} == repaired


def test_withdrawn_agenda_is_kept_and_reported():
    pb = load("Poland_Lodz_2024_Stoki-Sikawa-Podgorze.pb")
    assert pb.contest.agenda("W193ST").cost == 999999999
    assert len(pb.repairs) == 1
    assert "W193ST" in pb.repairs[0]


def test_cumulative_points_and_non_numeric_ids():
    pb = load("Poland_Katowice_2020_Giszowiec.pb")
    assert pb.contest.rules.max_points == 3
    assert pb.contest.rules.min_points == 1
    score = dict.fromkeys((a.id for a in pb.contest.agendas), 0)
    for group in pb.profile.groups:
        for choice, points in zip(group.choices, group.points, strict=True):
            score[choice] += points * group.count
    assert score == {k: int(v["score"]) for k, v in pb.projects_extra.items()}
    assert pb.official_selected == ("L17/07/VII", "L17/04/VII", "L17/03/VII", "L17/06/VII")


def test_ordinal_votes_keep_rank_order():
    pb = load("Poland_Krakow_2018_Debniki.pb")
    text = (PABULIB / "Poland_Krakow_2018_Debniki.pb").read_text(encoding="utf-8")
    first_vote = text.split("VOTES")[1].splitlines()[2].split(";")[1]
    assert pb.profile.groups[0].choices == tuple(first_vote.split(","))
    assert pb.contest.rules.max_length == 3


def test_choose_one_file():
    pb = load("Poland_Zabrze_2020_Centrum_Poludnie.pb")
    assert pb.contest.ballot_type is BallotType.CHOOSE_ONE
    assert all(len(g.choices) == 1 for g in pb.profile.groups)


# --- crafted inputs ---------------------------------------------------------------------------


def test_crlf_bom_quotes_and_decimal_costs():
    text = pb_text(
        'budget;"2458488.22"\nvote_type;approval\ncomment;"a; b"\n',
        'project_id;cost;name;selected\nx1;1229244.11;"Park ""North""; phase 2";1\ny;0,5;Y;0\n',
        "voter_id;vote\n1;x1,y\n2;y,x1\n3;\n",
    ).replace("\n", "\r\n")
    pb = read_pb("\ufeff" + text)
    assert pb.contest.budget == Fraction(245848822, 100)
    assert pb.contest.agenda("x1").cost == Fraction(122924411, 100)
    assert pb.contest.agenda("y").cost == Fraction(1, 2)
    assert pb.contest.agenda("x1").name == 'Park "North"; phase 2'
    assert pb.meta["comment"] == "a; b"
    assert pb.profile.groups == (BallotGroup(("x1", "y"), 2), BallotGroup((), 1))
    assert pb.official_selected == ("x1",)
    assert read_pb(write_pb(pb)) == pb


def test_cr_only_line_ends_are_line_ends():
    text = pb_text(APPROVAL_META, PROJECTS, "voter_id;vote\n1;a,b\n2;c\n")
    assert read_pb(text.replace("\n", "\r")) == read_pb(text)


def test_approval_ballots_aggregate_as_sets_sorted_by_id():
    projects = PROJECTS + "10;1;Ten\n9;1;Nine\n"
    pb = read_pb(pb_text(APPROVAL_META, projects, "voter_id;vote\n1;c,a\n2;a,c\n3;9,10,b\n"))
    assert pb.profile.groups == (BallotGroup(("a", "c"), 2), BallotGroup(("10", "9", "b"), 1))


def test_cumulative_repeats_add_points_and_are_reported():
    meta = "budget;1000\nvote_type;cumulative\nmax_sum_points;10\nmax_points;6\n"
    votes = "voter_id;vote;points\nv1;b,a,b;1,2,3\nv2;a,b;2,4\n"
    pb = read_pb(pb_text(meta, PROJECTS, votes))
    assert pb.profile.groups == (BallotGroup(("a", "b"), 2, (2, 4)),)
    assert pb.repairs == (
        "line 14: vote of voter v1 lists project b more than once (points added)",
    )
    assert pb.contest.rules.max_points == 10
    assert pb.contest.rules.max_points_per_agenda == 6
    assert read_pb(write_pb(pb)) == pb


def test_ordinal_repeats_keep_the_first_rank():
    meta = "budget;1000\nvote_type;ordinal\n"
    pb = read_pb(pb_text(meta, PROJECTS, "voter_id;vote\n1;b,a,b\n2;a,b\n"))
    assert pb.profile.groups == (BallotGroup(("b", "a"), 1), BallotGroup(("a", "b"), 1))
    assert len(pb.repairs) == 1


def test_scoring_ballots_are_read_with_their_scores():
    meta = "budget;1000\nvote_type;scoring\nmin_points;-2\nmax_points;2\n"
    pb = read_pb(pb_text(meta, PROJECTS, "voter_id;vote;points\n1;a,c;-2,1.0\n"))
    assert pb.contest.ballot_type is BallotType.SCORING
    assert pb.profile.groups == (BallotGroup(("a", "c"), 1, (-2, 1)),)
    assert pb.contest.rules.min_points_per_agenda == -2
    assert read_pb(write_pb(pb)) == pb


def test_rules_from_meta():
    meta = "budget;1000\nvote_type;approval\nmin_length;1\nmax_length;2\nmax_sum_cost;700.5\n"
    rules = read_pb(pb_text(meta, PROJECTS, "voter_id;vote\n")).contest.rules
    assert (rules.min_length, rules.max_length, rules.max_cost) == (1, 2, Fraction(1401, 2))


def test_writing_brings_stale_meta_up_to_date():
    pb = read_pb(pb_text(APPROVAL_META + "num_votes;99\n", PROJECTS, "voter_id;vote\n1;a\n"))
    assert read_pb(write_pb(pb)).meta["num_votes"] == "1"


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (pb_text(APPROVAL_META, PROJECTS, "voter_id;vote\n1;a,zz\n"), "unknown project 'zz'", 12),
        (pb_text("vote_type;approval\n", PROJECTS, "voter_id;vote\n"), "no 'budget'", 0),
        (pb_text("budget;lots\nvote_type;approval\n", PROJECTS, "voter_id;vote\n"), "lots", 3),
        (pb_text("budget;9\nvote_type;quadratic\n", PROJECTS, "voter_id;vote\n"), "quadratic", 4),
        (
            pb_text(APPROVAL_META, PROJECTS + "d;x;D\n", "voter_id;vote\n"),
            "cost of project 'd'",
            10,
        ),
        (pb_text(APPROVAL_META, PROJECTS + "d;-5;D\n", "voter_id;vote\n"), "negative", 10),
        (pb_text(APPROVAL_META, PROJECTS + "a;5;A\n", "voter_id;vote\n"), "listed twice", 10),
        (pb_text(APPROVAL_META, PROJECTS + "d;5\n", "voter_id;vote\n"), "2 fields", 10),
        (pb_text(APPROVAL_META, "project_id;name\na;A\n", "voter_id;vote\n"), "'cost' column", 0),
        (pb_text(APPROVAL_META, PROJECTS, "voter_id;ballot\n"), "'vote' column", 0),
        (
            pb_text(
                "budget;9\nvote_type;cumulative\n", PROJECTS, "voter_id;vote;points\n1;a,b;3\n"
            ),
            "2 projects but 1 points",
            12,
        ),
        (
            pb_text("budget;9\nvote_type;cumulative\n", PROJECTS, "voter_id;vote;points\n1;a;x\n"),
            "points 'x'",
            12,
        ),
        (APPROVAL_META + "PROJECTS\n" + PROJECTS, "data before the first section", 1),
        (f"META\nkey;value\n{APPROVAL_META}PROJECTS\n{PROJECTS}", "no VOTES section", 0),
        (pb_text(APPROVAL_META + "budget;5\n", PROJECTS, "voter_id;vote\n"), "appears twice", 5),
        (pb_text("budget;9\nvote_type;approval\nmax_length;two\n", PROJECTS, "vote\n"), "two", 5),
        (pb_text("budget;1e9999999\nvote_type;approval\n", PROJECTS, "vote\n"), "exponent", 3),
        (pb_text(APPROVAL_META, PROJECTS + "d;1e+0000031;D\n", "vote\n"), "exponent", 10),
        (
            pb_text("budget;" + "9" * 5000 + "\nvote_type;approval\n", PROJECTS, "vote\n"),
            "not a",
            3,
        ),
        (pb_text(APPROVAL_META, PROJECTS + "d;1;" + "D" * 200_000 + "\n", "vote\n"), "limit", 10),
    ],
)
def test_malformed_input_is_refused_with_line_and_reason(text, message, line):
    with pytest.raises(PbFormatError, match=message) as caught:
        read_pb(text)
    assert caught.value.line == line


@pytest.mark.parametrize(
    "value",
    [Fraction(0), Fraction(400000), Fraction(245848822, 100), Fraction(1, 3), Fraction(1, 8)],
)
def test_amounts_are_written_exactly(value):
    assert parse_amount(format_amount(value), "x") == value


def test_amount_text():
    assert format_amount(Fraction(245848822, 100)) == "2458488.22"
    assert format_amount(Fraction(1, 3)) == "1/3"


ID_TEXT = st.text(alphabet="abcXYZ019/_-", min_size=1, max_size=6)
NAME_TEXT = st.text(alphabet="ab ;\"',.\nłó", max_size=12)


@st.composite
def pb_files(draw):
    """A random contest and profile with awkward names, decimal costs and any vote type."""
    ballot_type = draw(st.sampled_from(list(BallotType)))
    ids = draw(st.lists(ID_TEXT, min_size=1, max_size=5, unique=True))
    agendas = tuple(
        Agenda(
            i,
            Fraction(draw(st.integers(0, 10**6)), draw(st.sampled_from([1, 4, 100, 3]))),
            draw(NAME_TEXT).strip(),
        )
        for i in ids
    )
    groups = []
    for _ in range(draw(st.integers(0, 5))):
        chosen = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
        if ballot_type is not BallotType.ORDINAL:
            chosen = sorted(chosen)
        points = ()
        if ballot_type in (BallotType.CUMULATIVE, BallotType.SCORING):
            points = tuple(
                draw(st.integers(-3 if ballot_type is BallotType.SCORING else 0, 9)) for _ in chosen
            )
        group = BallotGroup(tuple(chosen), draw(st.integers(1, 3)), points)
        if all((g.choices, g.points) != (group.choices, group.points) for g in groups):
            groups.append(group)
    meta = {"description": draw(NAME_TEXT).strip(), "rule": "greedy"}
    contest = Contest(agendas, Fraction(draw(st.integers(0, 10**7)), 100), ballot_type, meta=meta)
    extra = {i: {"votes": str(draw(st.integers(0, 99)))} for i in ids}
    columns = ("project_id", "cost", "votes", "name")
    return PbFile(contest, Profile(tuple(groups)), columns, extra)


@settings(max_examples=100, deadline=None)
@given(pb_files())
def test_any_file_written_reads_back_the_same(pb):
    again = read_pb(write_pb(pb))
    assert again.contest.agendas == pb.contest.agendas
    assert again.contest.budget == pb.contest.budget
    assert again.profile == pb.profile
    assert again.projects_extra == pb.projects_extra
    assert read_pb(write_pb(again)) == again
