"""gunicorn's settings for votesvc behind the kit's nginx: ``gunicorn -c deploy/gunicorn.conf.py
wsgi:app`` from the checkout (``deploy/systemd/votesvc.service`` runs exactly that).

The worker count is ``WEB_CONCURRENCY`` (gunicorn reads it, and so does votesvc, which then
insists on Redis for the rate limits): two per core. Each worker runs :data:`threads` threads;
``VOTESVC_DB_POOL_SIZE`` should be at least that many. Four workers of 4 threads spent less CPU
a cast than two of 8 at 500 casts/s on 2 cores, and kept up (p99 19 ms over two minutes)
where two of 8 fell behind: a worker's threads take turns on one interpreter lock
(docs/operations.md, "Capacity").

nginx reads every request whole before gunicorn sees it and bounds its size, so gunicorn's own
request-line and header limits are lifted here: nginx refuses first, in the API's error shape
(deploy/nginx/votesvc/errors/), instead of gunicorn answering plain text. That is also why
gunicorn listens on 127.0.0.1 only (or a private address): a client that reaches it directly
meets none of nginx's limits.
"""

from prometheus_client import multiprocess

bind = "127.0.0.1:8000"
worker_class = "gthread"
threads = 4
keepalive = 75  # above nginx's upstream keepalive (60 s): nginx closes idle connections first
timeout = 60  # a worker silent this long is restarted
graceful_timeout = 30  # on stop or reload, requests in flight get this long to finish
limit_request_line = 0  # nginx: large_client_header_buffers 4 8k
limit_request_fields = 32768
limit_request_field_size = 0
accesslog = None  # nginx logs every request, with its request id; gunicorn logs errors


def child_exit(server: object, worker: object) -> None:
    """A dead worker's metrics leave /metrics' sums (``PROMETHEUS_MULTIPROC_DIR``)."""
    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
