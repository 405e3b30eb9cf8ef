"""The ``votesvc`` console script: Flask's commands (run, db, ...) plus votesvc's own."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from votesvc import create_app
from votesvc.tally_cli import tally_command


@click.group(cls=FlaskGroup, create_app=create_app)
def main() -> None:
    """votesvc: participatory-budgeting voting service."""


main.add_command(tally_command)
