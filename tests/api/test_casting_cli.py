"""``votesvc print-tokens``: the batch's sheets from the shell, optionally sealing it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from voting_support import open_election

from votesvc.cli.voting import print_tokens_command
from votesvc.models import TokenBatch
from votesvc.models.base import db
from votesvc.services import batches


def test_print_tokens_writes_the_pdf_and_seals(
    app: Flask, imported_election: Callable[..., int], tmp_path: Path
) -> None:
    election_id = open_election(imported_election)
    with app.app_context():
        batch_id = batches.issue_batch(election_id, {"size": 2}).id
    out = tmp_path / "sheets.pdf"
    runner = app.test_cli_runner()
    result = runner.invoke(print_tokens_command, [str(batch_id), str(out), "--seal"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF") and out.stat().st_mode & 0o777 == 0o600
    with app.app_context():
        assert db.session.get(TokenBatch, batch_id).seed is None
    again = runner.invoke(print_tokens_command, [str(batch_id), str(out)])
    assert again.exit_code == 1 and "batch_sealed" in again.output
    missing = runner.invoke(print_tokens_command, ["999", str(out)])
    assert missing.exit_code == 1 and "not_found" in missing.output
