"""The Korean and English catalogues are complete, current and consistent.

- every message id has a non-empty translation in both, none fuzzy, none obsolete (``#~``);
- the ids are exactly what ``pybabel extract`` (with ``babel.cfg``) finds in ``votesvc/``: none
  missing, none stale;
- a message's ``%(name)s`` placeholders are the same in both languages;
- every error code the code raises is listed in :mod:`votesvc.api.error_codes`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from votesvc.api.error_codes import CODES
from votesvc.api.errors import CODE_BY_STATUS
from votesvc.i18n import LANGUAGES, catalogue_path, update

PACKAGE = Path(__file__).resolve().parents[2] / "votesvc"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
RAISED_AS = {"DomainError", "NotFound", "Unauthorized", "Forbidden", "Conflict", "Invalid"}
RAISED_AS |= {"Malformed"}
BASE_CODES = {"domain_error", "token_invalid"}
"""Codes of base classes that are only ever raised as one of their subclasses."""


def catalogue(lang: str) -> Catalog:
    with catalogue_path(lang).open("rb") as po:
        return read_po(po, locale=lang)


def ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def extracted_ids() -> set[str]:
    """What ``pybabel extract -F babel.cfg votesvc`` finds (the update tool's extraction)."""
    return ids(update.template())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy_or_obsolete(lang: str) -> None:
    catalog = catalogue(lang)
    assert not catalog.fuzzy  # the header: a fuzzy header hides nothing but says "unchecked"
    untranslated = [
        m.id
        for m in catalog
        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    assert untranslated == []
    assert [m.id for m in catalog if m.id and m.fuzzy] == []
    assert list(catalog.obsolete) == []


def test_both_catalogues_have_the_ids_extraction_finds() -> None:
    found = extracted_ids()
    for lang in LANGUAGES:
        have = ids(catalogue(lang))
        assert sorted(found - have) == [], f"missing from {lang}"
        assert sorted(have - found) == [], f"stale in {lang}"


def test_placeholders_agree_between_the_languages() -> None:
    texts = {lang: {m.id: m.string for m in catalogue(lang) if m.id} for lang in LANGUAGES}
    differ = []
    for msgid, korean in texts["ko"].items():
        english = texts["en"][msgid]
        forms = [*(korean if isinstance(korean, tuple) else [korean])]
        forms += [*(english if isinstance(english, tuple) else [english])]
        expected = set(PLACEHOLDER.findall(english if isinstance(english, str) else english[0]))
        if any(set(PLACEHOLDER.findall(form)) != expected for form in forms):
            differ.append(msgid)
    assert differ == []


def raised_codes() -> set[str]:
    """Error codes written in ``votesvc/``: ``Conflict("code")`` and the like, kiosks'
    ``refuse("code")``, ``code = "..."`` class attributes, and the HTTP statuses' codes."""
    codes = set(CODE_BY_STATUS.values())
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                first = node.args[0]
                raised = getattr(node.func, "id", None) in RAISED_AS
                refused = getattr(node.func, "attr", None) == "refuse"  # a kiosk's ballot
                if (raised or refused) and isinstance(first, ast.Constant):
                    codes.add(first.value)
            elif isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and [getattr(t, "id", None) for t in statement.targets] == ["code"]
                        and isinstance(statement.value, ast.Constant)
                    ):
                        codes.add(statement.value.value)
    return codes - BASE_CODES


def test_every_raised_error_code_is_listed() -> None:
    assert sorted(raised_codes() - set(CODES)) == []
    assert len(CODES) == len(set(CODES))


def test_the_update_tool_finds_the_catalogues_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert update.main(["--check"]) == 0
    assert capsys.readouterr().out == ""
