"""What operators and their machines ask a node: ``/healthz``, ``/readyz``, ``/metrics``.

Outside ``/api/v1`` and the OpenAPI document, where load balancers and Prometheus look for
them; failures still answer the API's JSON error shape (see :data:`errors.JSON_BLUEPRINTS`).
``/healthz`` says only that the process answers (a liveness probe must not fail because the
database is down: restarting every node would not bring it back); ``/readyz`` runs
:func:`votesvc.services.health.readiness`. ``/metrics`` is for the operators' network only:
the deployment's proxy should not pass it from outside (docs/operations.md).

The request-latency hooks are here too: they time every request Flask answers, labelled by
its URL rule (``/api/v1/elections/<int:election_id>/ballots``), never the path, which may
carry codes and would give every election its own series.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, g, request

from votesvc.services import health, metrics

blp = Blueprint("ops", __name__)

UNMATCHED = "unmatched"
"""The route label of requests no URL rule matched (404s, probes for files we do not have)."""


@blp.route("/healthz", methods=["GET"])
def healthz() -> dict[str, str]:
    """The process is up and answering; nothing else is checked."""
    return {"status": "ok"}


@blp.route("/readyz", methods=["GET"])
def readyz() -> dict[str, object]:
    """Ready for traffic (200) or not (503 ``not_ready``, the failed checks in ``fields``)."""
    return {"status": "ready", "checks": health.readiness()}


@blp.route("/metrics", methods=["GET"])
def metrics_view() -> Response:
    """The Prometheus exposition of this node (every worker's with multiprocess mode on)."""
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)


def route_of_request() -> str:
    """The URL rule the request matched, or :data:`UNMATCHED`."""
    rule = request.url_rule
    return UNMATCHED if rule is None else rule.rule


def _start_timer() -> None:
    g.started_at = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.get("started_at")
    if started is not None:
        metrics.REQUEST_SECONDS.labels(route_of_request(), request.method).observe(
            time.perf_counter() - started
        )
    return response


def init_app(app: Flask) -> None:
    """Register the endpoints and the timing hooks; call it before the other hooks but the
    request id's, so the time covers theirs too (after-request hooks run in reverse)."""
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.register_blueprint(blp)
