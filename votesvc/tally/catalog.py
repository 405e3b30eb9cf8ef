"""The names of the counting rules, one vocabulary for files, the API, the CLI and outcomes.

Allocation rule names follow pabulib's ``rule`` META field where pabulib has a name for the rule;
the others get plain names. Which code implements a name is decided where counting is
dispatched; this module only says which names exist and which ballots each accepts, so the
service can refuse a contest whose rule cannot count its ballots before anyone votes.
"""

from __future__ import annotations

from votesvc.tally.model import BallotType

_PB = frozenset(BallotType)

ALLOCATION_RULES: dict[str, str] = {
    "greedy": "Fund agendas by votes, most first, skipping any that no longer fit.",
    "greedy-no-skip": "Fund agendas by votes, most first, stopping at the first that does not fit.",
    "greedy-threshold": "Greedy over agendas whose score reaches min_project_score_threshold.",
    "greedy-exclusive": "Greedy; of agendas that exclude each other only the first is funded.",
    "greedy-reserve": (
        "Poznań: greedy stopping at the first agenda that does not fit, which a reserve still "
        "funds when the money left covers reserve_fraction (default 0.8) of its cost."
    ),
    "equalshares": "Method of Equal Shares, no completion.",
    "equalshares/add1": "Equal Shares; raise each voter's budget by 1 until it would overspend.",
    "equalshares/add1-exhaustive": "Equal Shares, Add1 stopping at the first exhaustive outcome.",
    "equalshares/add1-greedy": "Equal Shares, Add1, then greedy on the rest (utilitarian).",
    "equalshares/add1-comparison": "Equal Shares with Add1 and the comparison step.",
    "equalshares/greedy": "Equal Shares, then greedy on what is left.",
    "equalshares/swiecie": (
        "Świecie 2023: agendas with a vote share under a third of their budget share are "
        "ineligible; then Equal Shares with Add1 and the comparison step."
    ),
    "phragmen": "Sequential Phragmén, stopping at the first best agenda that does not fit.",
    "phragmen-exhaustive": "Sequential Phragmén, skipping agendas that do not fit.",
    "max-welfare": "Exact maximum utilitarian welfare within the budget.",
}

RANKED_RULES: dict[str, str] = {
    "irv": "Single-winner instant-runoff voting.",
    "stv": "Multi-seat single transferable vote.",
    "block": "Preferential block voting (pyrankvote rule set only).",
}

RANKED_RULE_SETS = ("rctab", "pyrankvote")
"""``rctab`` reproduces the certified RCTab tabulator and is the default for official counts."""

BALLOT_TYPES_BY_RULE: dict[str, frozenset[BallotType]] = {
    **dict.fromkeys(ALLOCATION_RULES, _PB),
    **dict.fromkeys(RANKED_RULES, frozenset({BallotType.ORDINAL})),
}


def accepts(rule: str, ballot_type: BallotType) -> bool:
    """Whether ``rule`` can count ballots of ``ballot_type`` (unknown rules accept nothing)."""
    return ballot_type in BALLOT_TYPES_BY_RULE.get(rule, frozenset())
