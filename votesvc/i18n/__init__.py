"""Korean and English text from gettext catalogues: the one translation mechanism.

Owns ``votesvc/translations/<lang>/LC_MESSAGES/messages.po`` (Korean ``ko`` first, English
``en``) and reads them for everyone: the API and the pages through Flask-Babel
(:mod:`votesvc.i18n.http`), and the pure layers (published explanations, the CLI) directly,
since this module imports Babel only, never Flask. It is a pure helper (layer 1): it may import
the standard library and ``babel``.

Compiling: the ``.po`` files are the only form kept in the repository and installed with the
package. Each process compiles a language's ``.po`` into a gettext catalogue in memory the
first time it needs it (``babel.messages.mofile.write_mo`` into a buffer, then
``babel.support.Translations``), a few milliseconds for a few hundred messages. So a fresh clone,
``pip install -e .``, ``pip install .`` and a read-only install all work with no compile step,
no ``.mo`` file can go stale against its ``.po``, and editing a ``.po`` shows at the next start.
Fuzzy entries are left out, as ``pybabel compile`` leaves them out.

Message ids: error messages are keyed by their stable error code (``token_already_used``),
which clients already branch on, so English wording can change without orphaning the Korean;
every other message id is its English source text (``_("Vote")``), the gettext convention
that keeps templates and code readable. The English catalogue still gives every id its text,
so a test can check both catalogues are complete.

Korean particles that depend on the word before them (을/를, 이/가, 은/는, 과/와, (으)로,
이었/였) are written in the Korean catalogue in their paired form (``%(cost)s을(를)``) and
resolved after the parameters are filled in, by :func:`votesvc.i18n.korean.resolve_particles`.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any, Protocol

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from votesvc.i18n.korean import resolve_particles
from votesvc.tally.text import N_ as N_  # re-exported: marks texts for the catalogues

LANGUAGES = ("ko", "en")
"""Our languages, the default first."""
DEFAULT_LANGUAGE = "ko"
DOMAIN = "messages"


def catalogue_path(lang: str) -> Any:
    """The ``.po`` file of ``lang`` inside the installed package (a Traversable)."""
    return resources.files("votesvc") / "translations" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(lang: str) -> Translations:
    """``lang``'s catalogue, compiled from its ``.po`` in memory once per process."""
    if lang not in LANGUAGES:
        raise ValueError(f"no catalogue for language {lang!r}")
    with catalogue_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def has(msgid: str, lang: str = DEFAULT_LANGUAGE) -> bool:
    """Whether ``lang``'s catalogue translates ``msgid``."""
    return msgid in translations(lang)._catalog


def finish(text: str, lang: str) -> str:
    """A translated, filled-in text made ready to show: Korean particles resolved."""
    return resolve_particles(text) if lang == "ko" else text


class Localized(Protocol):
    """A parameter each language writes its own way (an amount of money, a local time)."""

    def text(self, lang: str) -> str: ...


def written(value: Any, lang: str) -> Any:
    """A message parameter as ``lang`` writes it: a :class:`Localized` one in that language,
    a ``{"ko": ..., "en": ...}`` one picked, anything else as it is."""
    if isinstance(value, dict):
        return value[lang]
    text = getattr(value, "text", None)
    return text(lang) if callable(text) else value


def translate(lang: str, msgid: str, params: Mapping[str, Any] | None = None) -> str:
    """``msgid`` in ``lang`` with ``%(name)s`` placeholders filled from ``params``
    (each as :func:`written` in ``lang``)."""
    text = translations(lang).gettext(msgid)
    if params:
        text = text % {key: written(value, lang) for key, value in params.items()}
    return finish(text, lang)


def both(msgid: str, params: Mapping[str, Any] | None = None) -> dict[str, str]:
    """``msgid`` in both languages at once (published documents carry both), English first
    as the documents always had it."""
    return {lang: translate(lang, msgid, params) for lang in ("en", "ko")}


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@functools.cache
def _templates(lang: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Every message id with placeholders as a pattern that reads a filled-in English text
    back into its parameters, the most specific (longest literal text) first."""
    found = []
    for msgid in translations(lang)._catalog:
        if not isinstance(msgid, str) or "%(" not in msgid:
            continue
        pattern, names, last = [], set(), 0
        for match in _PLACEHOLDER.finditer(msgid):
            pattern.append(re.escape(msgid[last : match.start()]))
            name = match.group(1)
            pattern.append(f"(?P={name})" if name in names else f"(?P<{name}>.+?)")
            names.add(name)
            last = match.end()
        pattern.append(re.escape(msgid[last:]))
        literal = len(_PLACEHOLDER.sub("", msgid))
        found.append((literal, re.compile("".join(pattern), re.DOTALL), msgid))
    found.sort(key=lambda item: -item[0])
    return tuple((pattern, msgid) for _literal, pattern, msgid in found)


def detail(text: str, lang: str) -> str:
    """An English detail text (a field error: marshmallow's, the services', the ballot
    validator's) in ``lang``: its own message when it has no parameters, else the message
    whose id reads it back (``Total cost 1200 exceeds the limit 1000.`` is ``Total cost
    %(total)s exceeds the limit %(limit)s.`` filled in). Unknown texts stay as they are.

    Texts are English where they are written, so the layers below the edges need no
    language; the edges (API, pages) translate what they show.
    """
    if lang == "en" or not isinstance(text, str):
        return text
    if has(text, lang):
        return translate(lang, text)
    for pattern, msgid in _templates(lang):
        match = pattern.fullmatch(text)
        if match:
            return translate(lang, msgid, match.groupdict())
    return text


def details(fields: Any, lang: str) -> Any:
    """Every text in a field-error structure (marshmallow's nesting of dicts and lists) in
    ``lang``; field names, indices and other keys stay."""
    if isinstance(fields, Mapping):
        return {key: details(value, lang) for key, value in fields.items()}
    if isinstance(fields, list | tuple):
        return [details(value, lang) for value in fields]
    return detail(fields, lang)
