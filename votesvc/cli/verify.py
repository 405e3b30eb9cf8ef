"""``votesvc verify URL-or-folder``: the command around :func:`votesvc.publication.verify.verify`.

The command reads its argument, prints the report and sets the exit status; the fetching,
recounting and comparing are the pure helper's. Imports only click, the pure helpers and the
counting core, so it starts without the web stack (:mod:`votesvc.cli.console`).
"""

from __future__ import annotations

import sys

import click

from votesvc.publication.verify import UNREADABLE, FetchError, source_for, verify


@click.command("verify")
@click.argument("location")
def verify_command(location: str) -> None:
    """Recount a publication (results URL or folder) and compare it with what was published.

    Exit status 0: all match; 1: something differs; 3: a file could not be fetched or read.
    """
    try:
        report = verify(source_for(location))
    except FetchError as error:
        click.echo(f"votesvc verify: nothing checked: {error}", err=True)
        sys.exit(UNREADABLE)
    click.echo(report.text())
    sys.exit(report.status)
