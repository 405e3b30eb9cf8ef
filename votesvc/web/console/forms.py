"""Console forms: which fields a form shows, reading them, and refusals shown at their fields.

A form is a list of :class:`Field`; :func:`read` turns the posted text into the values the
API's input schemas take (whole numbers as numbers, an empty optional number as ``None``), and
:func:`load` checks them with that same schema, so a page refuses what the API refuses, in the
same words. :func:`problems` puts a service's refusal in the reader's language, field by field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext
from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from votesvc import i18n
from votesvc.api.errors import status_of
from votesvc.api.inputs import check_texts, loads
from votesvc.i18n import N_
from votesvc.services.errors import DomainError, Invalid
from votesvc.web.locale import current_lang
from votesvc.web.refusals import refusal_text

Refuse = Callable[[str], DomainError]
"""What a page raises for an unreadable upload, given the reason."""


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    """English message id, translated in the template."""
    kind: str = "text"
    """``text``, ``textarea``, ``number``, ``datetime`` (shown in the election's zone),
    ``select`` (one of :attr:`choices`), ``json`` (a value the API takes as JSON, such as a
    rule's options, typed as JSON), ``names`` (a list of names separated by ``;``, as the
    agenda CSV file writes proposing organisations) or ``file`` (an upload, which the view
    reads with :func:`upload_text`, not :func:`read`)."""
    required: bool = False
    choices: tuple[str, ...] = ()
    """A ``select``'s values, shown as they are: codes of the API's vocabulary (ballot types,
    counting rules), which docs/voting.md explains."""
    empty: str = ""
    """What a ``json`` field left empty means, as JSON (``{}``: no options)."""
    accept: str = ""
    """A ``file`` field's ``accept`` attribute: the file types the picker offers."""
    hint: str = ""
    """English message id of a help text shown under the label and tied to the input with
    ``aria-describedby``, so a screen reader reads it with the field, as it reads an error."""


def wording(stem: str) -> list[Field]:
    """A name or title and a description, in Korean and in English."""
    return [
        Field(f"{stem}_ko", N_("Name in Korean") if stem == "name" else N_("Title in Korean")),
        Field(f"{stem}_en", N_("Name in English") if stem == "name" else N_("Title in English")),
        Field("description_ko", N_("Description in Korean"), "textarea"),
        Field("description_en", N_("Description in English"), "textarea"),
    ]


def whole_number(raw: str) -> int | str:
    """``raw`` as a whole number, or as typed for the schema to refuse in its own words."""
    try:
        return int(raw)
    except ValueError:
        return raw


def _json_value(raw: str) -> Any:
    """A JSON field's value, read by the API's own JSON reader; text that is not JSON is left
    as typed, for the schema to refuse at the field ("Not a valid mapping type.")."""
    try:
        return loads(raw.encode("utf-8", "surrogatepass"))
    except DomainError:
        return raw


def read(fields: Iterable[Field], form: MultiDict[str, str]) -> dict[str, Any]:
    """The posted values of ``fields`` that the form carried, as the schema takes them."""
    values: dict[str, Any] = {}
    for field in fields:
        if field.name not in form:
            continue
        raw = form.get(field.name, "")
        if field.kind == "number":
            raw = raw.strip().replace(",", "")
            if raw:
                values[field.name] = whole_number(raw)
            elif not field.required:
                # an optional number left empty is "no limit": left out of the values, an
                # edit would keep the number set before and the limit could not be lifted
                values[field.name] = None
        elif field.kind == "datetime":
            if raw.strip():
                values[field.name] = raw.strip()
        elif field.kind == "json":
            values[field.name] = _json_value(raw if raw.strip() else field.empty)
        elif field.kind == "names":
            values[field.name] = [name.strip() for name in raw.split(";") if name.strip()]
        else:
            values[field.name] = raw
    return values


def upload_text(form_files: Mapping[str, Any], pasted: str, refuse: Refuse) -> str:
    """An uploaded ``file``'s text, else the ``pasted`` text; a file that is not UTF-8 (an
    export in CP949, say) or holds U+0000 is ``refuse(reason)``, as the API refuses it."""
    upload = form_files.get("file")
    if upload and upload.filename:
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise refuse(
                N_("The file is not UTF-8 text: save it as UTF-8 and upload it again.")
            ) from error
    else:
        text = pasted
    if "\x00" in text:
        raise refuse(N_("The file contains U+0000 (a NUL character)."))
    return text


def load(schema: Schema, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` checked by an API input schema; ``validation_failed`` with its fields.
    Text the database cannot hold (U+0000, a lone surrogate) is refused at its field first,
    as the API's body reader refuses it."""
    check_texts(dict(values))
    try:
        return schema.load(values)
    except ValidationError as error:
        raise Invalid(fields=error.normalized_messages()) from error


def current_values(obj: object, fields: Sequence[Field], zone: str) -> dict[str, str]:
    """What a form shows before anything is posted: the row's own values."""
    shown: dict[str, str] = {}
    for field in fields:
        value = getattr(obj, field.name, None)
        if value is None:
            shown[field.name] = ""
        elif isinstance(value, datetime):
            shown[field.name] = value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")
        elif field.kind == "json":
            shown[field.name] = json.dumps(value, ensure_ascii=False) if value else ""
        elif field.kind == "names":  # organisations (by their Korean name) or plain names
            shown[field.name] = "; ".join(getattr(item, "name_ko", item) for item in value)
        else:
            shown[field.name] = str(value)
    return shown


@dataclass
class Problems:
    """A refusal as a form shows it: a summary and the messages of each field."""

    error: DomainError
    summary: str
    fields: dict[str, list[str]]
    other: list[str]
    """Messages about fields the form does not show, each after its field's name as the
    reader reads it (:func:`field_name`)."""
    unshown: dict[str, list[str]]
    """The same messages by their field's own key (``line 4``, ``header``): for a page that
    places them itself, as the CSV preview does by line."""


FIELD_NAMES = {
    "file": N_("File"),
    "document": N_("Document"),
    "header": N_("First line"),
    "rows": N_("Rows"),
    "_extra": N_("Cells beyond the named columns"),
}
"""How the keys of upload refusals read on a page; a row's own keys are its columns' names,
which the official wrote, and stay as they are."""

_LINE = re.compile(r"line (\d+)")


def field_name(key: str) -> str:
    """A refusal's field key as the reader reads it: ``line 4`` → "4행" / "Line 4"."""
    line = _LINE.fullmatch(key)
    if line:
        return gettext("Line %(n)s", n=line.group(1))
    return gettext(FIELD_NAMES[key]) if key in FIELD_NAMES else key


def _flatten(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [
            f"{field_name(str(key))}: {text}"
            for key, inner in value.items()
            for text in _flatten(inner)
        ]
    if isinstance(value, list | tuple):
        return [text for inner in value for text in _flatten(inner)]
    return [str(value)]


def problems(error: DomainError, shown: Iterable[str] = ()) -> Problems:
    """``error`` in the reader's language; messages of the fields in ``shown`` apart."""
    translated = i18n.details(dict(error.fields or {}), current_lang())
    names = set(shown)
    at_fields = {key: _flatten(value) for key, value in translated.items() if key in names}
    unshown = {key: _flatten(value) for key, value in translated.items() if key not in names}
    other = [f"{field_name(key)}: {text}" for key, texts in unshown.items() for text in texts]
    return Problems(error, refusal_text(error), at_fields, other, unshown)


def status(error: DomainError) -> int:
    """A form shown again with a refusal answers the refusal's own status (422, 409, ...)."""
    return status_of(error)


def answer(html: str, found: Problems | None) -> str | tuple[str, int]:
    """The page, with the refusal's status when it shows one."""
    return html if found is None else (html, status(found.error))
