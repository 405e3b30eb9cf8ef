"""``votesvc print-tokens BATCH_ID OUT.pdf``: print a token batch's sheets from the shell.

Rendering takes about 10 ms a token, too long for an HTTP request on batches of thousands.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from votesvc.api.errors import describe
from votesvc.services import batches
from votesvc.services.errors import DomainError


@click.command("print-tokens")
@click.argument("batch_id", type=int)
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--seal", is_flag=True, help="Seal the batch once printed: no reprint possible.")
@with_appcontext
def print_tokens_command(batch_id: int, out: Path, seal: bool) -> None:
    """Write batch BATCH_ID's printable sheets to OUT (a PDF of live voting tokens: keep it
    safe and delete it once printed)."""
    try:
        batch = batches.find_batch(batch_id)
        click.echo(
            f"Rendering {batch.size} tokens of batch {batch.id} ({batch.channel})...", err=True
        )
        pdf = batches.batch_sheets(batch)
        out.write_bytes(pdf)
        out.chmod(0o600)
        if seal:
            batches.seal_batch(batch.election_id, batch.id)
    except DomainError as error:
        raise click.ClickException(f"{error.code}: {describe(error)}") from error
    sealed = " and sealed the batch" if seal else ""
    click.echo(f"Wrote {out} ({len(pdf)} bytes, {batch.size} tokens){sealed}.")
