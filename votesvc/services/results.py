"""Closing an election and counting it in the background, with progress an admin can poll.

**Closing.** An admin closes an election (its window ends now if it was still running), or it
closes itself once its window has passed: :func:`close_if_due` runs whenever the results are
asked about, and ``votesvc close-due`` closes every due election (for a cron job). Casting
needs the voting phase and a moment inside the window, so either way casting stops.

**Grace.** Kiosks may sync ballots cast before the close until ``ends_at`` plus
``VOTESVC_SYNC_GRACE_MINUTES``; a count started earlier could miss them, so it is refused
until then unless an admin forces it. A forced count that later syncs made stale is refused
at publication (:mod:`votesvc.services.publication` compares ballot totals).

**Jobs.** A :class:`~votesvc.models.CountJob` runs on RQ when ``VOTESVC_REDIS_URL`` is set
(``rq worker votesvc`` runs it in a fresh app), else on a thread of this process. Its result
is the preliminary results, admins only. A failure marks the job failed with its error and
leaves the election closed; counting again starts a new job. Nothing is published here.

**Dead jobs.** A process can die mid-count (killed worker, crashed machine) and leave its job
``running`` for ever, which would refuse every later count. So a job is claimed by one owner
(host, process, thread) with a conditional UPDATE, and a thread of the count refreshes its
``heartbeat_at`` every ``VOTESVC_COUNT_HEARTBEAT_SECONDS`` while it runs, on its own
connection (so minutes spent inside the counting core still show it alive). A job silent for
``VOTESVC_COUNT_STALE_SECONDS`` (a queued one counts from its creation) is taken for dead: the
next count request sets it aside as failed, with a ``count.abandoned`` audit entry, and starts
a new job. An admin who knows the process is gone can set it aside at once (``restart``).
A job set aside while its process was in fact alive cannot come back: its end is written only
while it is still ``running`` under the same owner, and a queued one is never claimed.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import Engine, Update, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from votesvc.i18n.times import LocalTime
from votesvc.models import CountJob, Election, JobStatus, Phase, Receipt, Token
from votesvc.models.base import db
from votesvc.services import audit, mixing
from votesvc.services.common import fetch
from votesvc.services.counting import count_contest, gather
from votesvc.services.elections import close_now
from votesvc.services.errors import Conflict, NotFound
from votesvc.services.transaction import unit_of_work

log = logging.getLogger("votesvc.results")

RQ_QUEUE = "votesvc"
PROGRESS_STEP = 0.05
"""Progress is written when it moved by at least this much (a commit per step, not per call)."""

ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)

_threads: dict[int, threading.Thread] = {}


def _now() -> datetime:
    return datetime.now(UTC)


def close_election(election_id: int) -> Election:
    """Close now: the window ends at this moment if it had not yet (admin action)."""
    with unit_of_work():
        election = fetch(Election, election_id)
        close_now(election)
    return election


def close_if_due(election: Election) -> bool:
    """Close ``election`` in the current transaction if its window has passed."""
    if election.phase != Phase.VOTING.value or election.ends_at > _now():
        return False
    close_now(election)
    return True


def close_due() -> list[int]:
    """Close every election whose window has passed; their ids."""
    with unit_of_work():
        due = db.session.scalars(
            select(Election).where(Election.phase == Phase.VOTING.value, Election.ends_at <= _now())
        ).all()
        return [election.id for election in due if close_if_due(election)]


def count_ready_at(election: Election) -> datetime:
    """When the last kiosk sync may arrive: the end of the window plus the grace period."""
    return election.ends_at + timedelta(minutes=current_app.config["VOTESVC_SYNC_GRACE_MINUTES"])


def latest_job(election_id: int) -> CountJob | None:
    return db.session.scalars(
        select(CountJob).where(CountJob.election_id == election_id).order_by(CountJob.id.desc())
    ).first()


def count_status(election_id: int) -> dict[str, Any]:
    """The latest count as admins see it (:func:`job_view`), after closing the election if its
    window has passed; ``not_counted`` when it was never counted."""
    with unit_of_work():
        close_if_due(fetch(Election, election_id))
    job = latest_job(election_id)
    if job is None:
        raise NotFound("not_counted")
    return job_view(job)


def last_sign_of_life(job: CountJob) -> datetime:
    """When the job last showed it was alive: its heartbeat, else its creation (queued)."""
    return job.heartbeat_at or job.created_at  # a claim sets the heartbeat with the start


def is_stale(job: CountJob) -> bool:
    """Whether a queued or running job has been silent too long to be alive."""
    silence = timedelta(seconds=current_app.config["VOTESVC_COUNT_STALE_SECONDS"])
    return job.status in ACTIVE and _now() - last_sign_of_life(job) > silence


def _set_aside(job: CountJob, reason: str) -> None:
    """Mark a queued or running job failed because it is taken for dead (see the module
    docstring); recorded in the audit log."""
    last = last_sign_of_life(job).isoformat()
    job.status = JobStatus.FAILED.value
    job.error = (
        f"abandoned ({reason}): no sign of life since {last} from {job.owner or 'no worker'}"
    )
    job.finished_at = _now()
    job.result = {"failure": {"code": "count_abandoned", "contest": None}}
    audit.record(
        "count.abandoned",
        job.election_id,
        {"job": job.id, "owner": job.owner, "last_sign_of_life": last, "reason": reason},
    )


def request_count(election_id: int, *, force: bool = False, restart: bool = False) -> CountJob:
    """Queue a count of a closed election (see the module docstring for the guards); a queued
    or running count is set aside first when it is stale, or when ``restart`` says so.

    The election's row is locked first (PostgreSQL), so requests racing for the same election
    (admins pressing "count" together after a crash) start one count, not one each."""
    with unit_of_work():
        election = fetch(Election, election_id)
        db.session.refresh(election, with_for_update=True)
        close_if_due(election)
        if election.phase != Phase.CLOSED.value:
            raise Conflict("election_not_closed", phase=election.phase)
        last = latest_job(election_id)
        if last is not None and last.status in ACTIVE:
            if is_stale(last):
                _set_aside(last, "stale")
            elif restart:
                _set_aside(last, "restart")
            else:
                raise Conflict("count_in_progress", job=last.id)
        ready = count_ready_at(election)
        if _now() < ready and not force:
            raise Conflict("count_too_early", ready_at=LocalTime(ready, election.timezone))
        job = CountJob(election_id=election_id, seed=secrets.token_hex(16), forced=force)
        db.session.add(job)
        db.session.flush()
        audit.record("count.requested", election_id, {"job": job.id, "forced": force})
    launch(current_app._get_current_object(), job.id)  # type: ignore[attr-defined]
    return job


def launch(app: Flask, job_id: int) -> None:
    """Run the job on RQ when Redis is configured, else on a thread of this process."""
    redis_url = app.config.get("VOTESVC_REDIS_URL")
    if redis_url:
        from redis import Redis
        from rq import Queue

        Queue(RQ_QUEUE, connection=Redis.from_url(redis_url)).enqueue(run_job_standalone, job_id)
        return
    thread = threading.Thread(target=_run_in_app, args=(app, job_id), daemon=True)
    _threads[job_id] = thread
    thread.start()


def wait(job_id: int) -> None:
    """Block until this process's thread for ``job_id`` ends (the CLI and tests use it); the
    caller's session (if it has one) then forgets what it had loaded, so it reads the job as the
    thread left it."""
    thread = _threads.pop(job_id, None)
    if thread is not None:
        thread.join()
    if has_app_context():
        db.session.expire_all()


def run_job_standalone(job_id: int) -> None:
    """The RQ entry point: a fresh app from the environment, then :func:`run_job`."""
    from votesvc import create_app

    _run_in_app(create_app(), job_id)


def _run_in_app(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def participation(election_id: int) -> dict[str, Any]:
    """Voters who cast (receipts) and tokens by status; test tokens never count."""
    voters = db.session.scalar(
        select(func.count()).select_from(Receipt).where(Receipt.election_id == election_id)
    )
    tokens = dict(
        db.session.execute(
            select(Token.status, func.count())
            .where(Token.election_id == election_id, Token.status != "test")
            .group_by(Token.status)
        ).all()
    )
    return {"voters": voters, "tokens": tokens}


def _owner() -> str:
    """Who runs a job: enough for an operator to find the process (host, pid, thread)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:120]


def _while_owned(job_id: int, owner: str) -> Update:
    """An UPDATE of the job that changes it only while it is running under ``owner``."""
    return update(CountJob).where(
        CountJob.id == job_id,
        CountJob.status == JobStatus.RUNNING.value,
        CountJob.owner == owner,
    )


def beat(engine: Engine, job_id: int, owner: str, now: datetime | None = None) -> bool:
    """Refresh the heartbeat of a job running under ``owner``; False once it is not (done,
    failed, or set aside), which also ends :class:`Heartbeat`'s loop."""
    with engine.begin() as connection:
        moved = connection.execute(_while_owned(job_id, owner).values(heartbeat_at=now or _now()))
    return moved.rowcount == 1


class Heartbeat:
    """Beats for a running job from a thread of its own until stopped or the job ends."""

    def __init__(self, engine: Engine, job_id: int, owner: str, every: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run,
            args=(engine, job_id, owner, every),
            name=f"count-{job_id}-heartbeat",
            daemon=True,
        )
        self._thread.start()

    def _run(self, engine: Engine, job_id: int, owner: str, every: float) -> None:
        while not self._stop.wait(every):
            try:
                if not beat(engine, job_id, owner):
                    return
            except SQLAlchemyError:  # a missed beat is retried; a long outage makes it stale
                log.warning("heartbeat of count job %s failed", job_id, exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _claim(job_id: int, owner: str) -> int | None:
    """Move a queued job to running under ``owner`` and return its election's id; ``None``
    when it is not queued any more (set aside while it waited, or claimed by another worker)."""
    now = _now()
    claimed = db.session.execute(
        update(CountJob)
        .where(CountJob.id == job_id, CountJob.status == JobStatus.QUEUED.value)
        .values(status=JobStatus.RUNNING.value, owner=owner, started_at=now, heartbeat_at=now)
        .returning(CountJob.election_id)
    ).scalar()
    db.session.commit()
    return claimed


def _finish(job_id: int, election_id: int, owner: str, action: str, **values: Any) -> None:
    """Write the job's end (``values``) and its audit entry, only while it is still running
    under ``owner``: a job set aside meanwhile may have a newer count after it, and its outcome
    must not pass for the latest. The entry is made from what is written, not read back."""
    ended = db.session.execute(_while_owned(job_id, owner).values(finished_at=_now(), **values))
    if ended.rowcount != 1:
        db.session.rollback()
        log.warning("count job %s was set aside while it ran; its outcome is dropped", job_id)
        return
    error = values.get("error")
    audit.record(action, election_id, {"job": job_id, **({"error": error} if error else {})})
    db.session.commit()


def failure(job_id: int, contest: str | None, error: Exception) -> tuple[str, str]:
    """A failed count's stable code and what the admin should do, in plain words.

    The counting core refuses rules it cannot count with a ``ValueError`` saying why; every
    other exception is a fault of ours or of the machine (the log has it, under the job id).
    """
    if contest is not None and isinstance(error, ValueError):
        return "count_rules_invalid", (
            f"Contest {contest} cannot be counted with its rule and options: {error}. "
            "They are frozen since voting opened, so counting again fails the same way: ask "
            "the operators of this votesvc to correct the contest's rule options, then count "
            "again."
        )
    return "count_failed", (
        f"The count stopped on an unexpected error (logged for count job {job_id}). Count "
        "again; if it fails again, report it to the operators with the job number."
    )


def run_job(job_id: int) -> None:
    """Count every contest of the job's election; the job ends done or failed, never between."""
    owner = _owner()
    election_id = _claim(job_id, owner)
    if election_id is None:
        log.warning("count job %s is not queued any more; not run", job_id)
        return
    every = current_app.config["VOTESVC_COUNT_HEARTBEAT_SECONDS"]
    heartbeat = Heartbeat(db.engine, job_id, owner, every)
    counting: str | None = None
    try:
        # Every ballot of the election leaves its mixing pools before the count reads them.
        # The mixer writes on a connection of its own; the claim's commit ended the session's
        # transaction, which on SQLite would block that write.
        mixing.mix_election(election_id)
        job = fetch(CountJob, job_id)
        election = fetch(Election, election_id)
        contests = list(election.contests)
        results: dict[str, Any] = {}
        for index, contest in enumerate(contests):
            counting = contest.code

            def progress(done: float, index: int = index) -> None:
                overall = (index + done) / len(contests)
                if overall - job.progress >= PROGRESS_STEP:
                    job.progress = overall
                    db.session.commit()

            results[contest.code] = count_contest(contest, gather(contest.id), job.seed, progress)
            job.progress = (index + 1) / len(contests)
            db.session.commit()
        counting = None
        outcome = {"contests": results, **participation(election.id)}
        _finish(
            job_id, election_id, owner, "count.done", status=JobStatus.DONE.value, result=outcome
        )
    except Exception as error:  # any failure: record it, keep the election closed
        db.session.rollback()
        log.exception("count job %s failed", job_id)
        code, text = failure(job_id, counting, error)
        failed = {"failure": {"code": code, "contest": counting}}
        values = {"status": JobStatus.FAILED.value, "error": text, "result": failed}
        _finish(job_id, election_id, owner, "count.failed", **values)
    finally:
        heartbeat.stop()


def _failure_code(job: CountJob) -> str | None:
    """A failed job's code (``count_rules_invalid``, ``count_failed``, ``count_abandoned``);
    jobs that failed before codes were kept have none."""
    if job.status != JobStatus.FAILED.value:
        return None
    return ((job.result or {}).get("failure") or {}).get("code")


def job_view(job: CountJob) -> dict[str, Any]:
    """A job as admins see it: status, progress, error, and the preliminary results."""
    return {
        "id": job.id,
        "election_id": job.election_id,
        "status": job.status,
        "progress": job.progress,
        "error": job.error,
        "error_code": _failure_code(job),
        "forced": job.forced,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "owner": job.owner,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "heartbeat_at": job.heartbeat_at.isoformat() if job.heartbeat_at else None,
        "stale": is_stale(job),
        "result": job.result if job.status == JobStatus.DONE else None,
    }
