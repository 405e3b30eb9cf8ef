"""The command line: ``console`` the ``votesvc`` entry point, ``commands`` the Flask command
group, ``tally`` and ``voting`` their commands. The edge layer: may import everything below it.
Kept free of imports so that ``votesvc tally`` and ``votesvc verify`` start without Flask."""
