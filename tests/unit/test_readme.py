"""What the README promises and the code must keep: its test command is the one CI runs, its
demo command uses the installed console script, its configuration table names every setting
the code reads (and nothing else), its figures name benches that exist, and the relative links
in it and in docs/ lead to files."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SETTING = r"(?:VOTESVC_[A-Z0-9_]+|WEB_CONCURRENCY)"
READ = re.compile(r"environ(?:\.get\(|\[|,)\s*\"(" + SETTING + r")\"")
"""A setting read from the environment: ``environ.get("X"``, ``environ["X"]``, or config.py's
``_int(environ, "X", ...)``."""


def section(title: str) -> str:
    """The README's ``## title`` section, up to the next ``## `` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", text, re.S)


def test_the_test_command_is_the_one_ci_runs() -> None:
    commands = [block for block in shell_blocks(section("Two commands")) if "pytest" in block]
    plain = [command for command in commands if "VOTESVC_" not in command]
    assert len(plain) == 1, commands
    assert plain[0] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_the_demo_command_runs_the_installed_console_script() -> None:
    first = shell_blocks(section("Two commands"))[0]
    demo = "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/votesvc demo"
    assert first == demo
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["votesvc"] == "votesvc.cli.console:main"


def test_the_configuration_table_names_every_setting_the_code_reads() -> None:
    sources = [ROOT / "config.py", ROOT / "wsgi.py"]
    for folder in ("votesvc", "tests", "bench"):
        sources.extend(sorted((ROOT / folder).rglob("*.py")))
    read = {name for path in sources for name in READ.findall(path.read_text(encoding="utf-8"))}
    rows = re.findall(r"^\| ([^|]+) \|", section("Configuration"), re.M)
    listed = {name for cell in rows for name in re.findall(rf"`({SETTING})`", cell)}
    assert "VOTESVC_SECRET_KEY" in read  # the pattern finds config.py's reads
    assert sorted(read - listed) == [], "settings the code reads that the README does not list"
    assert sorted(listed - read) == [], "settings the README lists that no code reads"


def test_every_bench_the_figures_name_exists() -> None:
    benches = set(re.findall(r"bench/[a-z0-9_]+\.py", section("Measured figures")))
    assert benches
    assert sorted(b for b in benches if not (ROOT / b).is_file()) == []


@pytest.mark.parametrize(
    "document", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))]
)
def test_relative_links_lead_to_files(document: str) -> None:
    path = ROOT / document if document == "README.md" else ROOT / "docs" / document
    targets = re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8"))
    local = [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:", t) and t[0] != "#"]
    assert sorted(t for t in local if not (path.parent / t).exists()) == []
