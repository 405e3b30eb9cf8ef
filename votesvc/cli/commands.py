"""The ``votesvc`` console script: Flask's commands (run, db, ...) plus votesvc's own.

The commands only read arguments, call services and print; a refused use case prints its
domain error (code, message and field details) and exits with status 1.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import flask_migrate
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import OperationalError
from werkzeug.serving import run_simple

from votesvc import create_app
from votesvc.api.errors import describe
from votesvc.api.inputs import UNSTORABLE, UNSTORABLE_MESSAGE, check_texts
from votesvc.app import settings_module
from votesvc.cli.tally import tally_command
from votesvc.cli.verify import verify_command
from votesvc.cli.voting import print_tokens_command
from votesvc.models import Booth
from votesvc.services import api_keys, batches, deployment, importing, mixing, publication, results
from votesvc.services.demo import demo_codes, demo_kiosk, load_demo
from votesvc.services.errors import DomainError
from votesvc.voting.links import VotingPage
from votesvc.voting.tokens import IssuedToken

DEMO_CODES = 5
"""How many voting codes ``votesvc demo`` prints."""


def _create_app() -> Flask:
    try:
        return create_app()
    except settings_module().ConfigError as error:
        raise click.ClickException(str(error)) from error


class _Group(FlaskGroup):
    """Flask's command group, with the failures every command may meet said in one line:
    a database that cannot be reached, a file that cannot be read or written."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except OperationalError as error:
            reason = str(error.orig or error).strip().splitlines()[0]
            raise click.ClickException(
                f"the database cannot be reached (VOTESVC_DATABASE_URL): {reason}"
            ) from error
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            raise click.ClickException(f"{where}{error.strerror or error}") from error


@click.group(cls=_Group, create_app=_create_app)
def main() -> None:
    """votesvc: participatory-budgeting voting service."""


@contextmanager
def _refusals() -> Iterator[None]:
    """Print a refused use case as the API would describe it, and exit with status 1."""
    try:
        yield
    except DomainError as error:
        raise click.ClickException(f"{error.code}: {describe(error)}") from error


@contextmanager
def _progress(label: str) -> Iterator[importing.Progress]:
    """A progress bar on stderr fed with (done, total) by a long import."""
    with click.progressbar(length=1, label=label, file=sys.stderr) as bar:
        shown = 0

        def report(done: int, total: int) -> None:
            nonlocal shown
            bar.length = total
            bar.update(done - shown)
            shown = done

        yield report


def _print_key(plain: str, scope: int | None) -> None:
    where = f"election {scope}" if scope is not None else "all elections"
    click.echo(f"Admin API key for {where} (shown once, keep it safe):")
    click.echo(f"  {plain}")
    click.echo(f"Use it as: Authorization: Bearer {plain}")


@main.command("create-admin-key")
@click.option("--election", "election_id", type=int, help="Limit the key to this election.")
@click.option("--label", default="", help="A note saying who holds the key.")
@with_appcontext
def create_admin_key(election_id: int | None, label: str) -> None:
    """Create an admin API key and print it (it is stored hashed and cannot be shown again)."""
    with _refusals():
        _, plain = api_keys.create_api_key(election_id, label)
    _print_key(plain, election_id)


@main.command("load-demo")
@with_appcontext
def load_demo_command() -> None:
    """Load the demo election (once: running it again changes nothing)."""
    with _refusals(), _progress("importing the demo election") as progress:
        election, created = load_demo(progress=progress)
    state = "loaded" if created else "already there"
    click.echo(f"Demo election {election.id} ({election.slug}) {state}.")


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--election", "election_id", type=int, help="Target election of a .pb contest.")
@click.option("--code", help="Code of the contest a .pb file creates.")
@click.option("--rule", help="Counting rule of a .pb contest (default: the file's, or greedy).")
@with_appcontext
def import_command(file: Path, election_id: int | None, code: str | None, rule: str | None) -> None:
    """Import an election (.json document) or add a contest to a draft election (.pb file)."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{file} is not UTF-8 text: {error.reason}") from error
    if UNSTORABLE.search(text):
        raise click.ClickException(f"{file}: {UNSTORABLE_MESSAGE}")
    with _refusals(), _progress(f"importing {file.name}") as progress:
        if file.suffix.lower() == ".json":
            try:
                raw = json.loads(text)
            except json.JSONDecodeError as error:
                raise click.ClickException(f"{file} is not valid JSON: {error}") from error
            except (RecursionError, ValueError) as error:  # too deep; a 4 300-digit integer
                raise click.ClickException(f"{file} is not JSON votesvc reads: {error}") from error
            check_texts(raw)  # U+0000 or a lone surrogate written as an escape
            election = importing.import_election(importing.parse_election_document(raw), progress)
            summary = f"Election {election.id} ({election.slug}) imported."
        elif file.suffix.lower() == ".pb":
            if election_id is None:
                raise click.UsageError("a .pb file adds a contest: give --election ID")
            contest, notes = importing.import_pb_contest(election_id, text, code, rule, progress)
            summary = "\n".join(
                [f"Contest {contest.id} ({contest.code}) added to election {election_id}."]
                + [f"note: {note}" for note in notes]
            )
        else:
            raise click.UsageError("FILE must be an election .json document or a pabulib .pb file")
    click.echo(summary)


def _print_demo_codes(page: VotingPage, codes: list[IssuedToken]) -> None:
    click.echo(f"Election page: {page.election_url}")
    if not codes:
        click.echo("Voting in the demo election is over: no voting code to try.")
        return
    click.echo(
        f"Voting codes of the demo election, to try voting in a browser (made-up election; "
        f"each code votes once, and the next run prints unused ones). Open a link, or go to "
        f"{page.short_address} and type the code:"
    )
    for code in codes:
        click.echo(f"  {page.link(code.signed)}")
        click.echo(f"    code: {code.short_code}")


def _print_demo_kiosk(
    url: str, booth: Booth, kiosk: dict[str, Any], codes: list[IssuedToken]
) -> None:
    click.echo(
        f"Booth kiosk ({booth.name_en or booth.name_ko}): open {url}/kiosk/ (localhost, or "
        "HTTPS elsewhere: see the README's deploy section), paste this provisioning code and "
        f"choose a staff PIN:\n  {kiosk['provisioning_code']}"
    )
    click.echo("Sheet codes of that booth (short code, then the QR code's text) to try there:")
    for code in codes:
        click.echo(f"  {code.short_code}    {code.signed}")


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare everything, print the URL, do not serve.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Create the database, load the demo election, print an admin key and voting codes to try,
    then serve. Links point at VOTESVC_PUBLIC_URL when it is set, else at the served address."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    url = f"http://{host}:{port}"
    if "VOTESVC_PUBLIC_URL" not in os.environ:
        app.config["VOTESVC_PUBLIC_URL"] = url
    flask_migrate.upgrade()
    with _refusals():
        election, created = load_demo()
        plain = api_keys.create_first_key("demo")
        if plain is not None:
            _print_key(plain, None)
        codes = demo_codes(election, DEMO_CODES)
        kiosk = demo_kiosk(election)
        sheet_codes = demo_codes(election, DEMO_CODES, kiosk[0]) if kiosk else []
    click.echo(
        f"Demo election: {election.name_ko} / {election.name_en} "
        f"({'loaded' if created else 'already loaded'})."
    )
    click.echo(f"votesvc demo: {url}/api/v1/elections  (API document: {url}/api/v1/openapi.json)")
    _print_demo_codes(batches.voting_page(election.id), codes)
    if kiosk:
        _print_demo_kiosk(url, kiosk[0], kiosk[1], sheet_codes)
    if not no_serve:
        run_simple(host, port, app, use_reloader=False, threaded=True)


@main.command("publication-export")
@click.argument("election_id", type=int)
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def publication_export_command(election_id: int, folder: Path) -> None:
    """Write an election's published files into FOLDER (for `votesvc verify FOLDER`)."""
    with _refusals():
        names = publication.export_to(election_id, folder)
    click.echo(f"{len(names)} files written to {folder}.")


@main.command("close-due")
@with_appcontext
def close_due_command() -> None:
    """Close every election whose voting window has passed (run it from cron)."""
    closed = results.close_due()
    click.echo(f"closed: {', '.join(map(str, closed)) or 'none'}")


@main.command("mix")
@click.option("--election", "election_id", type=int, help="Mix all of this election at once.")
@with_appcontext
def mix_command(election_id: int | None) -> None:
    """Run one secrecy-mixing pass now (the service runs one every VOTESVC_MIX_INTERVAL_SECONDS;
    run this from cron where that is 0, and before a pg_dump)."""
    report = mixing.mix_pass() if election_id is None else mixing.mix_election(election_id)
    click.echo(
        f"mixed: {report.ballots} ballots, {report.receipts} receipts; "
        f"{report.tokens} tokens, {report.roll_entries} roll entries"
    )


DEPLOY_INCOMPLETE = 3
"""``votesvc check-deploy``'s status when something is missing (1 is any command's refusal,
such as a setting ``config.py`` refuses outright; 2 is a usage error)."""


@main.command("check-deploy")
@click.option(
    "--nodes", default=1, show_default=True, type=click.IntRange(min=1), help="App machines."
)
@with_appcontext
def check_deploy_command(nodes: int) -> None:
    """Say what this production deployment still lacks, one line each; exit 0 when nothing."""
    findings = deployment.check_deployment(nodes)
    for finding in findings:
        click.echo(f"missing: {finding.setting}: {finding.problem}", err=True)
    if findings:
        raise click.exceptions.Exit(DEPLOY_INCOMPLETE)
    click.echo("ready: nothing missing for production")


main.add_command(tally_command)
main.add_command(print_tokens_command)
main.add_command(verify_command)
