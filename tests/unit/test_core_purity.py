"""The counting core must be importable without the web stack (see DESIGN.md, Layers)."""

import subprocess
import sys


def test_tally_imports_neither_flask_nor_sqlalchemy():
    code = (
        "import pkgutil, importlib, sys, votesvc.tally as t\n"
        "for m in pkgutil.walk_packages(t.__path__, 'votesvc.tally.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in {'flask', 'sqlalchemy'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
