"""What every request's input is held to before a view sees it, in one place for all routes.

- Bodies: at most ``MAX_CONTENT_LENGTH`` bytes however they are sent. Werkzeug checks a
  ``Content-Length`` header, but a chunked body (no header) is only cut at the limit, and
  the cut body was then processed as if whole; :class:`BoundedRequest` refuses it with 413.
- JSON: nested at most :data:`MAX_JSON_DEPTH` deep, integer literals Python can read
  (4 300 digits), and text that a database can store and a response can echo: no U+0000
  and no lone UTF-16 surrogates (``"\\ud800"``). :class:`Blueprint` gives every route this
  parser. ``NaN`` and ``Infinity`` (Python's extensions) are read as floats, which every
  field refuses by type except the options' own finite check (422 on the field).
- URLs: ids in paths are database integers (:class:`IdConverter`); a path or a query value
  with U+0000 is refused before any lookup (:func:`refuse_unstorable_url`).
- Text bodies (pabulib files, voter rolls): UTF-8 without U+0000 (:func:`body_text`).

Each refusal is a 4xx in the one error shape; refused text is never echoed back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cached_property
from typing import IO, Any

import flask_smorest
from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_instance
from flask import Flask, Request, request
from marshmallow import fields as ma_fields
from marshmallow import missing
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map, ValidationError
from werkzeug.wsgi import LimitedStream, get_content_length

from votesvc.i18n import N_
from votesvc.models import MAX_ID
from votesvc.services.errors import DomainError, Invalid, Malformed, NotFound

MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects a body may have; the election import document, the
deepest the API reads, needs 5."""

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""U+0000 (PostgreSQL text cannot hold it) and UTF-16 surrogates (no UTF-8 encoding exists,
so neither the database nor a JSON response can carry one). A valid pair written as two
escapes (``"\\ud83d\\ude00"``) is read as one character and is not matched."""

UNSTORABLE_MESSAGE = N_("Text must not contain U+0000 or unpaired UTF-16 surrogates.")


class BoundedStream(LimitedStream):
    """A body read up to the size limit, whose one byte more means "too large".

    Werkzeug's maximum-length stream stops reading at the limit and returns what it has, so
    a longer chunked body arrives cut short but looking complete. Here, reaching the limit
    looks one byte further: nothing more is a body of exactly the limit; anything more is 413.
    """

    def on_exhausted(self) -> None:
        if self._stream.read(1):
            raise RequestEntityTooLarge()

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted:
            self.on_exhausted()
        return data


class BoundedRequest(Request):
    """Flask's request with a body that cannot exceed ``MAX_CONTENT_LENGTH`` unnoticed."""

    @cached_property
    def stream(self) -> IO[bytes]:  # type: ignore[override]  # werkzeug's is a cached_property
        limit = self.max_content_length
        if (
            limit is not None
            and "wsgi.input_terminated" in self.environ  # the server ends chunked bodies
            and get_content_length(self.environ) is None
        ):
            return BoundedStream(self.environ["wsgi.input"], limit, is_max=True)  # type: ignore[return-value]
        return super().stream


def _nest(path: list[str | int], leaf: list[str]) -> Any:
    """marshmallow's error shape for a value at ``path``: ``{"a": {0: [message]}}``."""
    tree: Any = leaf
    for step in reversed(path):
        tree = {step: tree}
    return tree


def _shown(key: str) -> str:
    """A key as it may be echoed: unstorable characters replaced by U+FFFD."""
    return UNSTORABLE.sub("\ufffd", key)


def check_texts(value: Any) -> None:
    """Refuse a parsed body holding unstorable text in a key or a string, naming where
    (one pass over the body, no recursion)."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if UNSTORABLE.search(item):
                raise Invalid(fields=_nest(path or ["_schema"], [UNSTORABLE_MESSAGE]))
            continue
        children = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in children:
            if isinstance(key, str) and UNSTORABLE.search(key):
                raise Invalid(fields=_nest([*path, _shown(key)], [UNSTORABLE_MESSAGE]))
            if isinstance(child, str | dict | list):
                stack.append((child, [*path, key]))


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_INNERMOST = re.compile(rb"\[\]|\{\}")
_RISKY_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
"""What a ``\\u`` escape of U+0000 or of a surrogate (half of a valid pair too) looks like:
the only way either reaches a parsed string, as the decoder refuses raw control characters
and UTF-8 has no surrogates. A match only means the exact check runs."""


def too_deep(data: bytes) -> bool:
    """Whether a JSON text nests arrays and objects deeper than :data:`MAX_JSON_DEPTH`, found
    before parsing and without a step per value: strings dropped, only brackets kept, then
    each pass removes the innermost empty pairs, one level. Unbalanced text stops early and
    is left to the parser's syntax error."""
    if data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH:
        return False  # a cast, a phase change: too few brackets to nest that deep
    # without escaped quotes, text between quotes alternates with strings: split is C-fast
    outside = _STRING.sub(b"", data) if b'\\"' in data else b"".join(data.split(b'"')[::2])
    brackets = outside.translate(None, _NOT_BRACKETS)
    for _ in range(MAX_JSON_DEPTH):
        inner = _INNERMOST.sub(b"", brackets)
        if not inner or len(inner) == len(brackets):
            return False
        brackets = inner
    return True


def _too_deep() -> Malformed:
    return Malformed(
        fields={"json": [N_("Nested deeper than %(depth)s levels.") % {"depth": MAX_JSON_DEPTH}]}
    )


def loads(data: bytes) -> Any:
    """A UTF-8 JSON body under the rules of this module, or :class:`Malformed`
    (``400 malformed_json``) or :class:`Invalid` (``422``, unstorable text)."""
    if too_deep(data):
        raise _too_deep()
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise Malformed() from error
    except RecursionError as error:  # deep and unbalanced: the parser meets the depth first
        raise _too_deep() from error
    except json.JSONDecodeError as error:
        raise Malformed() from error  # as webargs answered: the syntax is simply wrong
    except ValueError as error:  # an integer literal of over 4 300 digits
        raise Malformed(fields={"json": [N_("An integer has too many digits.")]}) from error
    if b"\\u" in data and _RISKY_ESCAPE.search(data):
        check_texts(value)
    return value


class StrictJSONParser(FlaskParser):
    """webargs' Flask parser reading bodies with :func:`loads`. webargs' own reader turns only
    syntax errors into a 400; an over-long integer or a stack overflow on deep nesting
    escaped it as a 500, and U+0000 or a lone surrogate went on to the database."""

    def _raw_load_json(self, req: Request) -> Any:
        data = req.get_data(cache=True) if is_json_request(req) else b""
        return loads(data) if data else missing  # webargs' "no JSON here"


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with :class:`StrictJSONParser` for every route's arguments."""

    ARGUMENTS_PARSER = StrictJSONParser()


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a row id the database's ``integer`` column can hold
    (1 to 2^31 - 1). Larger numbers match no route (404) instead of reaching PostgreSQL,
    which refuses them with an error, not an empty result."""

    def __init__(self, url_map: Map, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, **kwargs)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(self.max)):  # int() of 4 300 digits and more raises
            raise ValidationError()
        return super().to_python(value)  # type: ignore[no-any-return]


def id_parameter_schema(converter: IdConverter) -> dict[str, Any]:
    """How the OpenAPI document describes an id in a path."""
    return {"type": "integer", "minimum": converter.min, "maximum": converter.max}


STORABLE_PATTERN = "^[^\\u0000]*$"
"""The OpenAPI pattern of a text field with no pattern of its own: no U+0000 (surrogates
cannot be sent in UTF-8 JSON, only as escapes, so a schema has no way to generate them)."""


def _storable_text(converter: Any, field: ma_fields.Field, ret: dict[str, Any]) -> dict[str, Any]:
    """apispec attribute function: text fields say that U+0000 is refused."""
    if isinstance(field, ma_fields.String) and "pattern" not in ret and "enum" not in ret:
        return {"pattern": STORABLE_PATTERN}
    return {}


class _PartialSchemas(BasePlugin):
    """apispec plugin: an update (PATCH) schema needs at least one field (``minProperties``),
    as its ``partial`` load checks."""

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        schema = kwargs.get("schema")
        if schema is not None and resolve_schema_instance(schema).partial is True:
            return {"minProperties": 1}
        return {}


def document(api: flask_smorest.Api) -> None:
    """Make the OpenAPI document say what this module and the schemas refuse: ids' range,
    U+0000 in text, empty updates. Before the blueprints are registered."""
    api.register_converter(IdConverter, id_parameter_schema)
    api.ma_plugin.converter.add_attribute_function(_storable_text)
    plugin = _PartialSchemas()
    plugin.init_spec(api.spec)
    api.spec.plugins.append(plugin)


def refuse_unstorable_url() -> None:
    """Before every request: a path with U+0000 names nothing (404); a query value or name
    with it is a 422 on that parameter. Werkzeug decodes invalid UTF-8 in URLs to U+FFFD, so
    surrogates cannot arrive this way."""
    if "\x00" in request.path:
        raise NotFound()
    query = request.query_string
    if b"%00" not in query and b"\x00" not in query:
        return  # nearly every request: no query, or one without U+0000; parse nothing
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise Invalid(fields={_shown(name): [UNSTORABLE_MESSAGE]})


def body_text(refuse: Callable[[str], DomainError]) -> str:
    """The request body as UTF-8 text (a byte-order mark dropped), or ``refuse(reason)``
    raised when it is not UTF-8 or holds U+0000."""
    try:
        text = request.get_data().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise refuse("the file is not UTF-8 text.") from error
    if "\x00" in text:
        raise refuse("the file contains U+0000 (a NUL character).")
    return text


def init_app(app: Flask) -> None:
    app.request_class = BoundedRequest
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unstorable_url)
