"""The import rule of docs' layer picture, checked on the source: arrows point down only, the
core and the pure helpers never import Flask or SQLAlchemy, and no modules import each other.

Every import counts, function-level ones and ``importlib.import_module("...")`` with a literal
name included, since a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "votesvc"

LAYERS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (0, ("votesvc.tally",)),
    (1, ("votesvc.voting", "votesvc.publication", "votesvc.i18n")),
    (2, ("votesvc.models",)),
    (3, ("votesvc.schemas",)),
    (4, ("votesvc.services",)),
    (
        5,
        (
            "votesvc.api",
            "votesvc.cli",
            "votesvc.app",
            "votesvc.extensions",
            "votesvc.i18n.http",
            "votesvc",
        ),
    ),
)
"""Rank of each part, lowest first; a module may import its own rank or lower ones."""

PURE_RANK = 1
"""Ranks up to this one (core, pure helpers) import no web, database or command-line
framework: commands live in ``votesvc.cli``, around the pure functions they call."""
FRAMEWORKS = (
    "click",
    "flask",
    "flask_sqlalchemy",
    "flask_smorest",
    "flask_migrate",
    "sqlalchemy",
    "alembic",
)

KNOWN_UPWARD = {("votesvc.services.results", "votesvc")}
"""Known upward arrows, each with its reason: the RQ worker's job function builds the app it
runs in (``create_app``), since rq calls it outside any app."""


EDGES = ("votesvc.api", "votesvc.cli", "votesvc.web")
"""The HTTP edge, the command line and the pages: their handlers call services."""
QUERYING = ("sqlalchemy", "votesvc.services.common")
"""What querying the models takes (SQLAlchemy's statements, the services' generic lookups);
``sqlalchemy.exc`` is not querying: an edge answers a database outage as its own error."""
SESSION = "votesvc.models.base"
KNOWN_SESSION = {"votesvc.api.errors"}
"""Edge modules that hold the session, each with its reason: the error handlers roll back (or
invalidate) a failed request's session before answering; they query nothing."""


def rank(module: str) -> int:
    """The layer of ``module``: the rank of its longest matching prefix."""
    best = (-1, -1)
    for value, prefixes in LAYERS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[0]:
                best = (len(prefix), value)
    return best[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(tree: ast.AST, known: Iterable[str]) -> set[str]:
    """Every module a source imports anywhere in it (``from a import b`` counts as ``a.b`` when
    that is a module of ours, else as ``a``)."""
    modules = set(known)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def source_graph() -> dict[str, set[str]]:
    paths = sorted(ROOT.rglob("*.py"))
    names = [module_name(p) for p in paths]
    return {
        name: imports_of(ast.parse(path.read_text(encoding="utf-8")), names)
        for name, path in zip(names, paths, strict=True)
    }


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def problems(graph: Mapping[str, set[str]]) -> list[str]:
    """Every break of the rule in an import graph of ours (module -> modules it imports)."""
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if target.split(".")[0] == "votesvc":
                if rank(target) > rank(module) and (module, target) not in KNOWN_UPWARD:
                    found.append(
                        f"{module} (layer {rank(module)}) imports {target} (layer {rank(target)})"
                    )
            elif rank(module) <= PURE_RANK and target.split(".")[0] in FRAMEWORKS:
                found.append(f"{module} is pure but imports {target}")
    downward = {m: {t for t in ts if (m, t) not in KNOWN_UPWARD} for m, ts in graph.items()}
    found.extend("import cycle: " + " <-> ".join(c) for c in cycles(downward))
    return found


def _within(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def edge_problems(graph: Mapping[str, set[str]]) -> list[str]:
    """Edge modules that query the models themselves instead of calling a service (one
    service function per use case serves the API, the CLI and the pages alike)."""
    found = []
    for module, targets in sorted(graph.items()):
        if not _within(module, EDGES):
            continue
        for target in sorted(targets):
            if _within(target, QUERYING) and not _within(target, ("sqlalchemy.exc",)):
                found.append(f"{module} queries through {target}")
            elif target == SESSION and module not in KNOWN_SESSION:
                found.append(f"{module} holds the session ({target})")
    return found


def test_votesvc_keeps_the_import_rule() -> None:
    assert problems(source_graph()) == []


def test_the_edges_call_services_to_query() -> None:
    assert edge_problems(source_graph()) == []


@pytest.mark.parametrize(
    ("imports", "expected"),
    [
        ({"sqlalchemy"}, "votesvc.api.admin queries through sqlalchemy"),
        ({"sqlalchemy.orm"}, "votesvc.api.admin queries through sqlalchemy.orm"),
        ({"votesvc.services.common"}, "votesvc.api.admin queries through votesvc.services.common"),
        ({"votesvc.models.base"}, "votesvc.api.admin holds the session (votesvc.models.base)"),
    ],
)
def test_the_edge_checker_sees_a_handler_querying(imports: set[str], expected: str) -> None:
    assert edge_problems({"votesvc.api.admin": imports}) == [expected]
    allowed = {"sqlalchemy.exc", "votesvc.services.elections", "votesvc.models"}
    assert edge_problems({"votesvc.api.admin": allowed, "votesvc.services.x": imports}) == []


def test_every_module_has_a_layer() -> None:
    assert [m for m in source_graph() if rank(m) < 0] == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        (
            {
                "votesvc.tally.model": {"votesvc.services.casting"},
                "votesvc.services.casting": set(),
            },
            "votesvc.tally.model (layer 0) imports votesvc.services.casting (layer 4)",
        ),
        (
            {"votesvc.publication.explain": {"flask"}},
            "votesvc.publication.explain is pure but imports flask",
        ),
        (
            {"votesvc.tally.ties": {"sqlalchemy.orm"}},
            "votesvc.tally.ties is pure but imports sqlalchemy.orm",
        ),
        (
            {
                "votesvc.services.a": {"votesvc.services.b"},
                "votesvc.services.b": {"votesvc.services.a"},
            },
            "import cycle: votesvc.services.a <-> votesvc.services.b",
        ),
        (
            {
                "votesvc.api.a": {"votesvc.api.b"},
                "votesvc.api.b": {"votesvc.api.c"},
                "votesvc.api.c": {"votesvc.api.a"},
            },
            "import cycle: votesvc.api.a <-> votesvc.api.b <-> votesvc.api.c",
        ),
    ],
)
def test_the_checker_sees_a_bad_graph(graph: dict[str, set[str]], expected: str) -> None:
    assert expected in problems(graph)


def test_the_checker_reads_lazy_imports() -> None:
    source = (
        "def f():\n"
        "    from votesvc.services import casting\n"
        "    importlib.import_module('votesvc.api')\n"
    )
    assert imports_of(ast.parse(source), ["votesvc.services.casting"]) == {
        "votesvc.services.casting",
        "votesvc.api",
    }
