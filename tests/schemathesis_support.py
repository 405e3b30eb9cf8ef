"""Running schemathesis against the app, for the API tests and the PostgreSQL tests.

Every check of schemathesis' own is on and all its phases run (examples, coverage, fuzzing,
stateful). One allowance: ``positive_data_acceptance`` may see 422 for a request the
document allows. The document cannot state the rules that need other fields or the stored
state (a name in Korean or in English, the end after the start, a rule that suits the ballot
type, a genuine voting code, a pabulib file's grammar); those refusals are 422 by design.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.transport.wsgi import WSGITransport

MAX_EXAMPLES = 3
"""Per operation and phase; with the coverage phase's own cases about 4 500 requests a run,
15-35 s each on the quiet 2-core machine (three runs in the suite)."""

POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "410", "422", "429"]
"""schemathesis' default for valid requests, with 422 (see above), 410 (the retired receipt
GET, documented as deprecated, answers it to every request) and without 5xx."""


def in_process_probes(monkeypatch: pytest.MonkeyPatch) -> None:
    """schemathesis 4.32's ``ignored_auth`` check sends its probe through the WSGI transport
    with socket options (``max_redirects``, ...) that werkzeug's test client refuses; the
    transport drops them itself only for a requests session. Dropped here for every call."""
    send = WSGITransport.send

    def without_socket_options(self: WSGITransport, case: Any, **kwargs: Any) -> Any:
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
        return send(self, case, **kwargs)

    monkeypatch.setattr(WSGITransport, "send", without_socket_options)


def _problems(stream: Iterator[events.EngineEvent]) -> tuple[list[str], int]:
    """Every failed check and engine error of a run, one line each, and the requests made."""
    problems: list[str] = []
    requests = 0
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            requests += len(event.recorder.interactions)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        case = event.recorder.cases[case_id].value
                        problems.append(
                            f"{event.recorder.label} {check.name}: {failure.title}"
                            f" {failure.message[:300]!r} body={case.body!r:.300}"
                        )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            problems.append(f"engine error: {event!r:.1000}")
        elif isinstance(event, events.EngineFinished):
            problems.extend(f"after the run: {failure.title}" for failure in event.failures)
    return problems, requests


def run_schemathesis(
    app: Flask,
    imported_election: Callable[..., int],
    monkeypatch: pytest.MonkeyPatch,
    headers: dict[str, str],
) -> int:
    """One whole run against ``app`` (limits off: the fuzzer is one client sending
    thousands) with a draft election to edit and one open for voting; fails on any problem."""
    in_process_probes(monkeypatch)
    imported_election()
    imported_election(slug="open-2025", phase="voting")
    config = SchemathesisConfig.from_dict(
        {
            "workers": 1,
            "headers": headers,
            "generation": {"max-examples": MAX_EXAMPLES},
            "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}},
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    problems, requests = _problems(from_schema(schema).execute())
    assert requests > 1000  # the run reached the API, not only its document
    assert not problems, "\n".join(problems[:40])
    return requests
