"""The one place where exceptions become HTTP responses, all in one JSON shape::

    {"error": {"code": "...", "message": "...", "fields": {...}}}

Codes are stable (clients branch on them); messages come from a small Korean/English
catalogue chosen by ``Accept-Language``. Unexpected errors answer 500 without internals and
are logged with the request id that the response carries in ``X-Request-ID``.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, g, jsonify, request
from flask_limiter import RateLimitExceeded
from sqlalchemy.exc import (
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from votesvc.extensions import limiter
from votesvc.models.base import db
from votesvc.services.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    Malformed,
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
    "publish_required": {
        "en": "Results are published with POST /api/v1/admin/elections/{election_id}/publish, "
        "not by a phase change.",
        "ko": "결과 공개는 단계 변경이 아니라 "
        "POST /api/v1/admin/elections/{election_id}/publish 로 합니다.",
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
    "rate_limited": {
        "en": "Too many attempts from here; wait a minute and try again.",
        "ko": "시도가 너무 많습니다. 잠시 뒤에 다시 해 주세요.",
    },
    "token_malformed": {
        "en": "This is not a voting code.",
        "ko": "투표 코드가 아닙니다.",
    },
    "token_bad_signature": {
        "en": "This voting code is not genuine.",
        "ko": "올바른 투표 코드가 아닙니다.",
    },
    "token_wrong_channel": {
        "en": "This voting code is for another booth or channel.",
        "ko": "다른 투표소(또는 온라인)용 투표 코드입니다.",
    },
    "token_wrong_election": {
        "en": "This voting code is for another election.",
        "ko": "다른 선거의 투표 코드입니다.",
    },
    "token_unknown": {
        "en": "This voting code was never issued.",
        "ko": "발급된 적이 없는 투표 코드입니다.",
    },
    "token_already_used": {
        "en": "This voting code was already used.",
        "ko": "이미 사용된 투표 코드입니다.",
    },
    "token_void": {
        "en": "This voting code was cancelled.",
        "ko": "취소된 투표 코드입니다.",
    },
    "token_contest_not_allowed": {
        "en": "This voting code does not allow a vote in every contest of the ballot; see the"
        " details.",
        "ko": "이 투표 코드로는 투표할 수 없는 부문이 있습니다. 자세한 내용을 확인해 주세요.",
    },
    "token_test_mismatch": {
        "en": "This voting code's test mark does not match our records.",
        "ko": "투표 코드의 시험용 표시가 기록과 다릅니다.",
    },
    "token_not_voidable": {
        "en": "A {status} voting code cannot be cancelled.",
        "ko": "{status} 상태의 투표 코드는 취소할 수 없습니다.",
    },
    "token_already_issued": {
        "en": "A voting code was already issued to this person.",
        "ko": "이미 투표 코드를 받으셨습니다.",
    },
    "short_code_malformed": {
        "en": "This code has the wrong length or characters.",
        "ko": "코드의 길이나 글자가 올바르지 않습니다.",
    },
    "short_code_typo": {
        "en": "This code has a typo; please compare it with the sheet.",
        "ko": "코드에 오타가 있습니다. 용지와 비교해 주세요.",
    },
    "ballot_invalid": {
        "en": "The ballot breaks the contest's rules; see the details.",
        "ko": "투표 내용이 규칙에 맞지 않습니다. 자세한 내용을 확인해 주세요.",
    },
    "election_not_open": {
        "en": "The election is not open for this now.",
        "ko": "지금은 이 선거에서 할 수 없는 일입니다.",
    },
    "cast_before_open": {
        "en": "The ballot was cast before voting opened.",
        "ko": "투표 시작 전에 한 투표입니다.",
    },
    "cast_after_close": {
        "en": "The ballot was cast after voting closed.",
        "ko": "투표 마감 뒤에 한 투표입니다.",
    },
    "cast_in_future": {
        "en": "The ballot's cast time is in the future; check the kiosk's clock.",
        "ko": "투표 시각이 미래입니다. 투표기 시계를 확인해 주세요.",
    },
    "synced_too_late": {
        "en": "The ballot arrived after the grace period for offline ballots.",
        "ko": "오프라인 투표의 제출 유예 기간이 지났습니다.",
    },
    "receipt_malformed": {
        "en": "This is not a receipt code.",
        "ko": "접수 번호가 아닙니다.",
    },
    "receipt_unknown": {
        "en": "No ballots were recorded with this receipt code.",
        "ko": "이 접수 번호로 기록된 투표가 없습니다.",
    },
    "receipt_reused": {
        "en": "This receipt code was already used for another ballot.",
        "ko": "이 접수 번호는 이미 다른 투표에 쓰였습니다.",
    },
    "batch_sealed": {
        "en": "This batch is sealed: its tokens can no longer be printed.",
        "ko": "봉인된 묶음이라 투표 코드를 다시 인쇄할 수 없습니다.",
    },
    "booth_contests_differ": {
        "en": "Every batch of booth {booth} must allow the same contests, because its kiosks"
        " show one ballot to every voter: {contests}.",
        "ko": "투표소 {booth}의 투표기는 모든 투표자에게 같은 투표지를 보여 주므로 이 투표소의"
        " 모든 묶음은 같은 부문을 허용해야 합니다: {contests}.",
    },
    "batch_too_large_to_print": {
        "en": "Batch {batch} has {size} tokens; sheets of at most {most} are made over HTTP."
        " Print it with the command line: votesvc print-tokens {batch} OUT.pdf",
        "ko": "묶음 {batch}에는 투표 코드가 {size}개 있습니다. 웹으로는 {most}개까지만 인쇄물을"
        " 만듭니다. 명령줄에서 인쇄하세요: votesvc print-tokens {batch} OUT.pdf",
    },
    "public_url_unset": {
        "en": "Online sheets carry links to the voting page: set VOTESVC_PUBLIC_URL to the"
        " address residents open (e.g. https://vote.example.kr) before printing them.",
        "ko": "온라인 투표 코드 인쇄물에는 투표 페이지 주소가 들어갑니다. 인쇄하기 전에"
        " VOTESVC_PUBLIC_URL을 주민이 여는 주소(예: https://vote.example.kr)로 설정하세요.",
    },
    "kiosk_unauthorized": {
        "en": "A kiosk credential is required (Authorization: Bearer <credential>).",
        "ko": "투표기 인증 정보가 필요합니다 (Authorization: Bearer <credential>).",
    },
    "invalid_kiosk_credential": {
        "en": "This kiosk credential is not valid.",
        "ko": "유효하지 않은 투표기 인증 정보입니다.",
    },
    "kiosk_wrong_booth": {
        "en": "This kiosk is provisioned for another booth.",
        "ko": "다른 투표소에 등록된 투표기입니다.",
    },
    "not_eligible": {
        "en": "We could not confirm your eligibility with these details.",
        "ko": "입력한 정보로 투표 자격을 확인할 수 없습니다.",
    },
    "voter_roll_invalid": {
        "en": "The voter roll file has problems; see the details.",
        "ko": "선거인 명부 파일에 문제가 있습니다. 자세한 내용을 확인해 주세요.",
    },
    "mail_not_configured": {
        "en": "Mail is not configured (set VOTESVC_SMTP_HOST).",
        "ko": "메일 설정이 없습니다 (VOTESVC_SMTP_HOST).",
    },
    "results_not_published": {
        "en": "The results of this election are not published.",
        "ko": "이 선거의 결과는 아직 공개되지 않았습니다.",
    },
    "published_file_unknown": {
        "en": "The publication has no such file or contest.",
        "ko": "공개 자료에 그런 파일이나 투표 항목이 없습니다.",
    },
    "election_not_closed": {
        "en": "Counting and publishing need a closed election (it is {phase}).",
        "ko": "집계와 공개는 마감된 선거에서만 할 수 있습니다 (현재: {phase}).",
    },
    "count_in_progress": {
        "en": "A count of this election is already running (job {job}).",
        "ko": "이 선거의 집계가 이미 진행 중입니다 (작업 {job}).",
    },
    "count_too_early": {
        "en": "Kiosks may still sync until {ready_at}; count then, or force it.",
        "ko": "{ready_at}까지 투표소 단말기가 동기화할 수 있습니다. "
        "그 뒤에 집계하거나 강제로 집계하세요.",
    },
    "not_counted": {
        "en": "This election has no finished count.",
        "ko": "이 선거는 완료된 집계가 없습니다.",
    },
    "count_stale": {
        "en": "Ballots arrived after the count (contest {contest}); count again.",
        "ko": "집계 뒤에 투표가 더 들어왔습니다 (투표 항목 {contest}). 다시 집계하세요.",
    },
    "gone": {
        "en": "This address is no longer served; the API document names its replacement.",
        "ko": "더 이상 쓰지 않는 주소입니다. API 문서에서 바뀐 주소를 확인하세요.",
    },
    "service_unavailable": {
        "en": "The service cannot reach its database right now; try again in a few seconds.",
        "ko": "지금은 서비스가 데이터베이스에 연결할 수 없습니다. 잠시 뒤 다시 시도하세요.",
    },
    "internal_error": {
        "en": "Something went wrong on our side; quote the request id when reporting it.",
        "ko": "서버 오류가 발생했습니다. 문의할 때 요청 번호를 알려 주세요.",
    },
}

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    Malformed: 400,
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
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}
RETRY_UNAVAILABLE_SECONDS = 5
"""Retry-After of a 503: about what a restarting PostgreSQL or a failover takes."""


def language() -> str:
    """The caller's language among ours, English when nothing matches."""
    return request.accept_languages.best_match(LANGUAGES, default="en")


def message(code: str, params: Mapping[str, Any] | None = None, lang: str | None = None) -> str:
    """The catalogue's text for ``code`` in ``lang`` (default: the request's language)."""
    texts = MESSAGES.get(code) or MESSAGES["bad_request"]
    return texts[lang or language()].format(**(params or {}))


def describe(error: DomainError, lang: str = "en") -> str:
    """A domain error as one line of text, for the CLI: message, the parameters the message
    does not show (``not_found``'s resource), then the field details."""
    text = message(error.code, error.params, lang)
    template = (MESSAGES.get(error.code) or MESSAGES["bad_request"])[lang]
    unshown = {k: v for k, v in error.params.items() if f"{{{k}}}" not in template}
    if unshown:
        text += " (" + ", ".join(f"{k}: {v}" for k, v in unshown.items()) + ")"
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
    """webargs reports problems per location ({"json": {...}}, {"query": {...}}); problems in
    one location are unwrapped so that ``fields`` names the fields themselves."""
    messages = data.get("messages") or {}
    if len(messages) == 1:
        (only,) = messages.values()
        if isinstance(only, Mapping):
            return dict(only)
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


def _handle_rate_limited(error: RateLimitExceeded) -> Response:
    """``429 rate_limited`` with ``Retry-After``: the seconds until the breached limit's window
    ends. Flask-Limiter writes that header only with its ``X-RateLimit-*`` headers on every
    response, which are off (see :data:`votesvc.extensions.limiter`)."""
    response = _handle_http_exception(error)
    breached = limiter.current_limit
    try:
        reset = None if breached is None else breached.window.reset_time
    except Exception:  # the storage (Redis) may fail here; the 429 still stands
        log.warning("no Retry-After: the rate limit's window could not be read", exc_info=True)
        reset = None
    if reset is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(reset - time.time())))
    return response


def _handle_unavailable(error: SQLAlchemyError) -> Response:
    """The database is down, restarting or out of connections: 503 with ``Retry-After``, so
    clients (the ballot page, kiosks, API clients with a cast id) retry instead of giving up.
    One log line, not a traceback: an outage would otherwise write one per request."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.invalidate()
    log.warning(
        "database unavailable (%s), request id %s", type(error).__name__, g.get("request_id")
    )
    response = error_response(503, "service_unavailable")
    response.headers["Retry-After"] = str(RETRY_UNAVAILABLE_SECONDS)
    return response


TRACEBACK_SECONDS = 600.0
"""A kind of unexpected error logs its traceback at most once this often (see below)."""


class TracebackThrottle:
    """Which unexpected errors log a whole traceback (about 5 KB) and which one line.

    Anyone can send a request; one that fails the same way in a loop must not write
    kilobytes of log for each of its few bytes. A kind of failure (the exception's type and
    the line that raised it) logs its traceback the first time and again after
    :data:`TRACEBACK_SECONDS`; in between each occurrence is one line naming the kind and
    the request id, and no text of the request.
    """

    MAX_KINDS = 1000
    """Kinds remembered at once; past that the memory starts over (a few more tracebacks)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._logged_at: dict[tuple[str, str, int], float] = {}

    @staticmethod
    def kind(error: BaseException) -> tuple[str, str, int]:
        tb = error.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is None:
            return (type(error).__qualname__, "?", 0)
        return (type(error).__qualname__, tb.tb_frame.f_code.co_filename, tb.tb_lineno)

    def wants_traceback(self, kind: tuple[str, str, int]) -> bool:
        now = self.clock()
        last = self._logged_at.get(kind)
        if last is not None and now - last < TRACEBACK_SECONDS:
            return False
        if len(self._logged_at) >= self.MAX_KINDS:
            self._logged_at.clear()
        self._logged_at[kind] = now
        return True


THROTTLE = TracebackThrottle()


def _handle_unexpected(error: Exception) -> Response:
    db.session.rollback()
    kind = THROTTLE.kind(error)
    if THROTTLE.wants_traceback(kind):
        log.exception("unexpected error, request id %s", g.get("request_id"), exc_info=error)
    else:
        name, filename, line = kind
        log.error(
            "unexpected error, request id %s: %s at %s:%d (traceback logged before)",
            g.get("request_id"),
            name,
            filename,
            line,
        )
    return error_response(500, "internal_error")


def request_id(incoming: str) -> str:
    """The caller's request id when it looks like one (a proxy's), else a new one; anything
    else could smuggle text into our logs and headers."""
    return incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _assign_request_id() -> None:
    g.request_id = request_id(request.headers.get(REQUEST_ID_HEADER, ""))


def _expose_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    return response


def init_app(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.after_request(_expose_request_id)
    app.register_error_handler(DomainError, _handle_domain_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(RateLimitExceeded, _handle_rate_limited)
    for unavailable in (OperationalError, InterfaceError, DisconnectionError, PoolTimeout):
        app.register_error_handler(unavailable, _handle_unavailable)
    app.register_error_handler(Exception, _handle_unexpected)
