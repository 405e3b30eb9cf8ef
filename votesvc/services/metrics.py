"""Prometheus metrics: what the service counts and how ``/metrics`` shows it.

Every label here has a small, fixed set of values (an outcome, an error code, a URL rule, a
method), never a token, receipt, voter identifier or raw path: a label value is kept for
the life of the process and copied to every scrape, and a raw path can carry a voter's code.

Under gunicorn each worker is a process with its own counters. With
``PROMETHEUS_MULTIPROC_DIR`` set (an empty folder the workers can write, emptied before each
start), prometheus-client keeps the values in files there and :func:`exposition` adds up every
worker's; without it a scrape sees the one worker that answered (see docs/operations.md).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_SETTING = "PROMETHEUS_MULTIPROC_DIR"

CASTS = Counter(
    "votesvc_casts",
    "Online casts answered with a receipt: accepted (stored now), retried (the same cast again, "
    "its receipt answered again) or test (a test token's dry run, nothing stored).",
    ["result"],
)
REFUSALS = Counter(
    "votesvc_refusals",
    "API requests refused, by route (URL rule) and error code.",
    ["route", "code"],
)
KIOSK_BALLOTS = Counter(
    "votesvc_kiosk_ballots",
    "Kiosk ballots settled by a sync, by outcome; quarantined ones by the reason code.",
    ["outcome", "reason"],
)
COUNT_JOBS = Counter("votesvc_count_jobs", "Count jobs that ended, by status.", ["status"])
COUNT_SECONDS = Histogram(
    "votesvc_count_duration_seconds",
    "Time a count job ran, from its claim to its end.",
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)
REQUEST_SECONDS = Histogram(
    "votesvc_request_duration_seconds",
    "Time Flask took to answer, by route (URL rule, 'unmatched' for none) and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)

CAST_ACCEPTED = CASTS.labels("accepted")
CAST_RETRIED = CASTS.labels("retried")
CAST_TEST = CASTS.labels("test")
"""Bound once: the cast path is tuned, and a label lookup per cast is a lock and a dict."""

QUARANTINED = "quarantined"
"""The kiosk outcome of a refused ballot: kept in the quarantine table for officials."""


def kiosk_settled(outcomes: list[dict[str, str]]) -> None:
    """Count a sync's per-ballot outcomes (:func:`votesvc.services.kiosks.sync`'s answer)."""
    for outcome in outcomes:
        if outcome["status"] == "refused":
            KIOSK_BALLOTS.labels(QUARANTINED, outcome["reason"]).inc()
        else:
            KIOSK_BALLOTS.labels(outcome["status"], "").inc()


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format and its content type: every worker's, added up,
    in multiprocess mode; this process's otherwise."""
    if os.environ.get(MULTIPROC_SETTING):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
