"""Ranked-choice counting: RCTab-exact instant-runoff and STV, and the pyrankvote rule set.

``rules`` holds the contest and its counting options, ``engine`` the RCTab-exact count,
``pyrankvote_rules`` the alternative rule set, ``outcome`` the round-by-round result both produce,
``case`` the RCV JSON case files, and ``validation`` the ballot checks.
"""
