"""The ``votesvc`` console script: ``tally`` and ``verify`` without the web stack, else Flask's.

Recounting from the shell must not pay for Flask, SQLAlchemy and Alembic (importing them took
1.2-1.4 s of a 1.4 s count), and ``votesvc verify`` is what anyone without the service installs
to check a publication. So the two commands that need only the counting core are started
directly; every other command goes to the Flask command group in :mod:`votesvc.cli.commands` (which
lists ``tally`` and ``verify`` too, for ``votesvc --help``).
"""

from __future__ import annotations

import importlib
import sys

LIGHT = {
    "tally": ("votesvc.cli.tally", "tally_command"),
    "verify": ("votesvc.cli.verify", "verify_command"),
}
"""Commands that import only click, the counting core and the pure helpers."""


def main() -> None:
    """Run ``votesvc COMMAND ...``."""
    args = sys.argv[1:]
    if args and args[0] in LIGHT:
        module, name = LIGHT[args[0]]
        command = getattr(importlib.import_module(module), name)
        command.main(args=args[1:], prog_name=f"votesvc {args[0]}")
    else:
        from votesvc.cli.commands import main as flask_main

        flask_main()
