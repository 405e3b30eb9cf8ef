"""``votesvc tally FILE``: count a pabulib ``.pb`` file or an RCV case ``.json`` from the shell.

The command only reads arguments, shows progress and prints; the counting is the pure core's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.command("tally")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rule", help="Allocation rule (pabulib vocabulary); default: the file's META rule.")
@click.option(
    "--tie-break",
    "tie_break",
    help="Tie-break order: file, pabutools, equalshares[:SEED] or lot:SEED "
    "(default: file for a .pb file's META rule, else pabutools).",
)
@click.option(
    "--satisfaction",
    help="Satisfaction measure for .pb rules: cost, cardinality, points, borda or score.",
)
@click.option(
    "--add1-start",
    "add1_start",
    type=click.Choice(["share", "integral"]),
    help="Where Equal Shares' Add1 starts: the exact share or its integral part.",
)
@click.option(
    "--reserve-fraction",
    "reserve_fraction",
    help="greedy-reserve: the share of the stopping agenda's cost the money left must cover "
    "for the reserve to fund it (default 0.8).",
)
@click.option(
    "--exclusive",
    "exclusive",
    multiple=True,
    metavar="A,B[,...]",
    help="A group of mutually exclusive agendas (at most one is funded); repeat for more "
    "groups. Replaces the groups a greedy-exclusive file's comment names.",
)
@click.option(
    "--against-official",
    "against_official",
    is_flag=True,
    help="Compare with the file's selected column; name the differing agendas and the "
    "smallest change (an agenda left out, a tie, a threshold) that explains them.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def tally_command(
    file: Path,
    rule: str | None,
    tie_break: str | None,
    satisfaction: str | None,
    add1_start: str | None,
    reserve_fraction: str | None,
    exclusive: tuple[str, ...],
    against_official: bool,
    as_json: bool,
) -> None:
    """Count FILE and print the outcome (a readable table, or JSON with --json)."""
    with click.progressbar(length=1000, label="counting", file=sys.stderr) as bar:
        done = 0

        def progress(fraction: float) -> None:
            nonlocal done
            target = int(fraction * 1000)
            if target > done:
                bar.update(target - done)
                done = target

        try:
            if file.suffix.lower() == ".pb":
                from votesvc.tally.pb_count import count_pb_file

                result = count_pb_file(
                    file,
                    rule,
                    tie_break,
                    progress=progress,
                    satisfaction=satisfaction,
                    add1_start=add1_start,
                    reserve_fraction=reserve_fraction,
                    exclusive=[group.split(",") for group in exclusive] if exclusive else None,
                    against_official=against_official,
                )
            elif file.suffix.lower() == ".json":
                given = (rule, tie_break, satisfaction, add1_start, reserve_fraction, exclusive)
                if any(given) or against_official:
                    raise click.UsageError("an RCV case is counted with the rules it carries")
                from votesvc.tally.ranked.case import count_case_file

                result = count_case_file(file, progress=progress)
            else:
                raise click.UsageError("FILE must be a pabulib .pb file or an RCV case .json file")
        except ValueError as exc:  # every core error (bad file, rule, tie-break) is one
            raise click.ClickException(str(exc)) from exc
        except (KeyError, TypeError, AttributeError) as exc:  # JSON, but not a case's shape
            what = f"{exc} is missing" if isinstance(exc, KeyError) else "its shape differs"
            raise click.ClickException(
                f"{file.name} is not an RCV case file (shared/data/rcv/FORMAT.md): {what}"
            ) from exc
        progress(1.0)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(result.to_text())
