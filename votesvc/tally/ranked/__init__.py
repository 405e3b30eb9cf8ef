"""Ranked-choice counting: RCTab-exact instant-runoff and STV, and the pyrankvote rule set.

``counting.count_ranked`` is the entry point (the rule set picks the implementation);
``rules`` holds the contest and its counting options, ``engine`` the RCTab-exact count,
``pyrankvote_rules`` the alternative rule set, ``outcome`` the round-by-round result both
produce, ``tiebreak`` RCTab's tie-break modes, ``case`` the RCV JSON case files, and
``validation`` the checks on a ballot before it is cast.
"""
