"""The page's language, and text kept in both languages on a row (``title_ko``/``title_en``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from votesvc.i18n.http import current_language

current_lang = current_language
"""``ko`` or ``en``: the language :mod:`votesvc.i18n.http` chose for this request."""


def lang_text(ko: str, en: str) -> str:
    """The page language's text, the other language's when that one is empty."""
    first, second = (en, ko) if current_lang() == "en" else (ko, en)
    return first or second


def label(obj: Any, name: str) -> str:
    """``obj.<name>_ko``/``<name>_en`` (``name``, ``title``, ``description``) for this page;
    ``obj`` is a row, or a published document's mapping with those keys."""

    def text(lang: str) -> str:
        key = f"{name}_{lang}"
        found = obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, "")
        return found or ""

    return lang_text(text("ko"), text("en"))


def fill(text: str, **values: Any) -> str:
    """``{name}`` placeholders filled: the form the pages' scripts fill live, so a counter's
    text has one message id whether the server or the script writes it."""
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text
