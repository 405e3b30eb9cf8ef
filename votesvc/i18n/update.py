"""``python -m votesvc.i18n.update``: bring both catalogues up to the code, in a checkout.

Extracts every message id from ``votesvc/`` as ``pybabel extract -F babel.cfg`` does (Python
``_()``/``N_()``/``gettext()`` and the pages' Jinja templates), adds the new ids to both
``.po`` files and drops the ones the code no longer has (no fuzzy matching: a changed English
text is a new message), gives English-source ids their English text in ``en``, then lists the
ids still waiting for a Korean (or, for an error code, an English) text. ``--check`` changes
nothing and exits 1 when the catalogues are not current. Equivalent to the two ``pybabel``
commands in the README, plus the English fill-in.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from votesvc.i18n import DOMAIN, LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "votesvc"
WIDTH = 100
_CODE = re.compile(r"[a-z0-9_]+")
"""What an error code looks like (``token_void``); its English is written, not copied."""


def template() -> Catalog:
    """Every message id the code has, as ``pybabel extract`` finds them."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    catalog = Catalog(domain=DOMAIN)
    for _file, _line, message, comments, context in extract_from_dir(
        PACKAGE, method_map, options_map
    ):
        catalog.add(message, None, auto_comments=comments, context=context)
    return catalog


def po_path(lang: str) -> Path:
    return PACKAGE / "translations" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def updated(lang: str, pot: Catalog) -> tuple[bytes, list[str]]:
    """``lang``'s ``.po`` brought up to ``pot``, and the ids it has no text for."""
    with po_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang)
    created = catalog.creation_date
    catalog.update(pot, no_fuzzy_matching=True, update_header_comment=False)
    catalog.obsolete.clear()
    catalog.creation_date = created  # no header churn when nothing else changed
    for message in catalog:
        if lang == "en" and message.id and not message.string and not _CODE.fullmatch(message.id):
            message.string = message.id  # an English source text is its own English
    missing = [str(m.id) for m in catalog if m.id and not m.string]
    out = io.BytesIO()
    write_po(out, catalog, width=WIDTH, no_location=True)
    return out.getvalue(), missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m votesvc.i18n.update", description=__doc__)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    check = parser.parse_args(argv).check
    pot, stale = template(), False
    for lang in LANGUAGES:
        text, missing = updated(lang, pot)
        if text != po_path(lang).read_bytes():
            stale = True
            if not check:
                po_path(lang).write_bytes(text)
        for msgid in missing:
            print(f"{lang}: no text yet for {msgid!r}")
            stale = True
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
