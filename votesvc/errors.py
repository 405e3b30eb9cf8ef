"""The one place where exceptions become HTTP responses, all in one JSON shape::

    {"error": {"code": "...", "message": "...", "fields": {...}}}

Codes are stable (clients branch on them); messages come from a small Korean/English
catalogue chosen by ``Accept-Language``. Unexpected errors answer 500 without internals and
are logged with the request id that the response carries in ``X-Request-ID``.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from votesvc.extensions import db
from votesvc.services.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Unauthorized,
)

log = logging.getLogger("votesvc.errors")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
LANGUAGES = ("en", "ko")

MESSAGES: dict[str, dict[str, str]] = {
    "bad_request": {
        "en": "The request could not be understood.",
        "ko": "요청을 이해할 수 없습니다.",
    },
    "malformed_json": {
        "en": "The request body is not valid JSON.",
        "ko": "요청 본문이 올바른 JSON이 아닙니다.",
    },
    "unauthorized": {
        "en": "An admin API key is required (Authorization: Bearer <key>).",
        "ko": "관리자 API 키가 필요합니다 (Authorization: Bearer <key>).",
    },
    "invalid_api_key": {
        "en": "This API key is not valid.",
        "ko": "유효하지 않은 API 키입니다.",
    },
    "forbidden": {
        "en": "This API key may not act on this election.",
        "ko": "이 API 키로는 이 선거를 다룰 수 없습니다.",
    },
    "not_found": {
        "en": "Not found.",
        "ko": "찾을 수 없습니다.",
    },
    "method_not_allowed": {
        "en": "This method is not allowed here.",
        "ko": "이 주소에서는 허용되지 않는 요청 방식입니다.",
    },
    "conflict": {
        "en": "The request conflicts with the stored data.",
        "ko": "요청이 저장된 데이터와 충돌합니다.",
    },
    "duplicate": {
        "en": "Something with this key already exists.",
        "ko": "같은 키를 가진 항목이 이미 있습니다.",
    },
    "illegal_phase_transition": {
        "en": "An election cannot move from {current} to {target}.",
        "ko": "선거 단계를 {current}에서 {target}(으)로 바꿀 수 없습니다.",
    },
    "election_not_ready": {
        "en": "The election is not ready for voting.",
        "ko": "선거가 아직 투표를 시작할 준비가 되지 않았습니다.",
    },
    "election_frozen": {
        "en": "Ballot rules, agendas and the voting window are frozen once voting starts.",
        "ko": "투표가 시작된 뒤에는 투표 규칙, 안건, 투표 기간을 바꿀 수 없습니다.",
    },
    "payload_too_large": {
        "en": "The request body is too large.",
        "ko": "요청 본문이 너무 큽니다.",
    },
    "unsupported_media_type": {
        "en": "This content type is not accepted here.",
        "ko": "이 형식의 본문은 받을 수 없습니다.",
    },
    "validation_failed": {
        "en": "Some fields are not valid.",
        "ko": "올바르지 않은 항목이 있습니다.",
    },
    "invalid_pb_file": {
        "en": "The pabulib file cannot be read: {reason}",
        "ko": "pabulib 파일을 읽을 수 없습니다: {reason}",
    },
    "internal_error": {
        "en": "Something went wrong on our side; quote the request id when reporting it.",
        "ko": "서버 오류가 발생했습니다. 문의할 때 요청 번호를 알려 주세요.",
    },
}

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    Invalid: 422,
    NotFound: 404,
    Unauthorized: 401,
    Forbidden: 403,
    Conflict: 409,
}

CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    500: "internal_error",
}


def language() -> str:
    """The caller's language among ours, English when nothing matches."""
    return request.accept_languages.best_match(LANGUAGES, default="en")


def message(code: str, params: Mapping[str, Any] | None = None, lang: str | None = None) -> str:
    """The catalogue's text for ``code`` in ``lang`` (default: the request's language)."""
    texts = MESSAGES.get(code) or MESSAGES["bad_request"]
    return texts[lang or language()].format(**(params or {}))


def describe(error: DomainError, lang: str = "en") -> str:
    """A domain error as one line of text, for the CLI: message, then the field details."""
    text = message(error.code, error.params, lang)
    return f"{text} {json.dumps(error.fields, ensure_ascii=False)}" if error.fields else text


def error_response(
    status: int,
    code: str,
    *,
    fields: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
) -> Response:
    body = {"error": {"code": code, "message": message(code, params), "fields": dict(fields or {})}}
    response = jsonify(body)
    response.status_code = status
    response.headers["Content-Language"] = language()
    return response


def status_of(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def _handle_domain_error(error: DomainError) -> Response:
    db.session.rollback()
    status = status_of(error)
    response = error_response(status, error.code, fields=error.fields, params=error.params)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="votesvc admin"'
    return response


def _webargs_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """webargs reports problems per location ({"json": {...}}); a JSON body's are unwrapped."""
    messages = data.get("messages") or {}
    if set(messages) == {"json"} and isinstance(messages["json"], Mapping):
        return dict(messages["json"])
    return dict(messages)


def _handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    code = CODE_BY_STATUS.get(status, "bad_request" if status < 500 else "internal_error")
    fields = _webargs_fields(data)
    if status == 400 and "json" in fields:
        code, fields = "malformed_json", {}
    response = error_response(status, code, fields=fields)
    allowed = getattr(error, "valid_methods", None)
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


def _handle_unexpected(error: Exception) -> Response:
    db.session.rollback()
    log.exception("unexpected error, request id %s", g.get("request_id"), exc_info=error)
    return error_response(500, "internal_error")


def _assign_request_id() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _expose_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    return response


def init_app(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.after_request(_expose_request_id)
    app.register_error_handler(DomainError, _handle_domain_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
