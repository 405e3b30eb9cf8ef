"""The README's "Deployment", rehearsed as a new operator would: ``deploy/rehearsal/``.

The rehearsal itself boots a fresh Debian 12 VM and needs root, qemu, debootstrap, pexpect and
the registries, and takes about half an hour under software emulation: it runs only
with ``VOTESVC_TEST_REHEARSAL=1`` (its work folder: ``VOTESVC_REHEARSAL_DIR``, kept between runs
so debootstrap runs once). What it types is checked on every run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from deploy_support import DEPLOY, ROOT

sys.path.insert(0, str(DEPLOY / "rehearsal"))
from rehearse import LAST_STEP, NAME, readme_commands

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_step_gives_commands_that_need_only_the_address_replaced() -> None:
    """ "Replace vote.example.kr everywhere with your address" is all an operator should have to
    do to a command: no other placeholder, and the address once replaced still configures the
    site (a sed that looks for vote.example.kr would find the operator's name instead)."""
    commands = readme_commands(README)
    assert {step for step, _ in commands} == set(range(1, LAST_STEP + 1))
    for _, command in commands:
        mine = command.replace("vote.example.kr", NAME)
        assert "YOUR" not in mine and "OWNER" not in mine, command
        assert f"s/{NAME}/" not in mine, command


@pytest.mark.skipif(
    os.environ.get("VOTESVC_TEST_REHEARSAL") != "1",
    reason="boots a Debian VM for about half an hour: set VOTESVC_TEST_REHEARSAL=1 (root, qemu)",
)
@pytest.mark.timeout(3 * 3600)
def test_the_readme_deploys_a_fresh_debian_machine(tmp_path: Path) -> None:
    work = os.environ.get("VOTESVC_REHEARSAL_DIR", str(tmp_path))
    done = subprocess.run(
        [sys.executable, str(DEPLOY / "rehearsal" / "rehearse.py"), work],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "### rehearsal passed" in done.stdout
