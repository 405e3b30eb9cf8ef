"""One entry point for ranked counts: the contest's rule set picks the implementation.

``rctab`` (the default, for official counts) is the RCTab-exact engine; ``pyrankvote`` runs the
contest through pyrankvote. Both return a ``RankedOutcome`` that records its rule set.
"""

from __future__ import annotations

from votesvc.tally.catalog import RANKED_RULE_SETS
from votesvc.tally.ranked.engine import Progress, count
from votesvc.tally.ranked.outcome import RankedOutcome
from votesvc.tally.ranked.pyrankvote_rules import count_pyrankvote
from votesvc.tally.ranked.rules import RankedContest, RulesError


def count_ranked(
    contest: RankedContest,
    rule_set: str = "rctab",
    *,
    rule: str | None = None,
    progress: Progress | None = None,
) -> RankedOutcome:
    """Count ``contest`` under ``rule_set``.

    ``rule`` (a ``catalog.RANKED_RULES`` name) only chooses among pyrankvote's rules; under
    ``rctab`` the contest's own ``rules.method`` says how to count, and ``block`` does not exist.
    """
    if rule_set not in RANKED_RULE_SETS:
        raise RulesError(f"unknown rule set {rule_set!r}; use one of {', '.join(RANKED_RULE_SETS)}")
    if rule_set == "pyrankvote":
        outcome = count_pyrankvote(contest, rule)
        if progress is not None:
            progress(1.0)
        return outcome
    if rule not in (None, contest.rules.method):
        raise RulesError(f"the rctab rule set counts {contest.rules.method!r}, not {rule!r}")
    return count(contest, progress=progress)
