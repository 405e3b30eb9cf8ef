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
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import func, select

from votesvc.extensions import db
from votesvc.models import CountJob, Election, JobStatus, Phase
from votesvc.models_voting import Receipt, Token
from votesvc.services import audit
from votesvc.services.common import fetch
from votesvc.services.counting import count_contest, gather
from votesvc.services.elections import apply_transition
from votesvc.services.errors import Conflict
from votesvc.services.transaction import unit_of_work

log = logging.getLogger("votesvc.results")

RQ_QUEUE = "votesvc"
PROGRESS_STEP = 0.05
"""Progress is written when it moved by at least this much (a commit per step, not per call)."""

_threads: dict[int, threading.Thread] = {}


def _now() -> datetime:
    return datetime.now(UTC)


def close_election(election_id: int) -> Election:
    """Close now: the window ends at this moment if it had not yet (admin action)."""
    with unit_of_work():
        election = fetch(Election, election_id)
        now = _now()
        apply_transition(election, Phase.CLOSED)
        early = election.ends_at > now
        if early:
            election.ends_at = max(now, election.starts_at + timedelta(microseconds=1))
        audit.record(
            "election.closed",
            election.id,
            {"ends_at": election.ends_at.isoformat(), "early": early},
        )
    return election


def close_if_due(election: Election) -> bool:
    """Close ``election`` in the current transaction if its window has passed."""
    if election.phase != Phase.VOTING.value or election.ends_at > _now():
        return False
    apply_transition(election, Phase.CLOSED)
    audit.record("election.closed", election.id, {"ends_at": election.ends_at.isoformat()})
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


def request_count(election_id: int, *, force: bool = False) -> CountJob:
    """Queue a count of a closed election (see the module docstring for the guards)."""
    with unit_of_work():
        election = fetch(Election, election_id)
        close_if_due(election)
        if election.phase != Phase.CLOSED.value:
            raise Conflict("election_not_closed", phase=election.phase)
        last = latest_job(election_id)
        if last is not None and last.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            raise Conflict("count_in_progress", job=last.id)
        ready = count_ready_at(election)
        if _now() < ready and not force:
            raise Conflict("count_too_early", ready_at=ready.isoformat())
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


def run_job(job_id: int) -> None:
    """Count every contest of the job's election; the job ends done or failed, never between."""
    job = fetch(CountJob, job_id)
    job.status = JobStatus.RUNNING.value
    db.session.commit()
    try:
        election = fetch(Election, job.election_id)
        contests = list(election.contests)
        results: dict[str, Any] = {}
        for index, contest in enumerate(contests):

            def progress(done: float, index: int = index) -> None:
                overall = (index + done) / len(contests)
                if overall - job.progress >= PROGRESS_STEP:
                    job.progress = overall
                    db.session.commit()

            results[contest.code] = count_contest(contest, gather(contest.id), job.seed, progress)
            job.progress = (index + 1) / len(contests)
            db.session.commit()
        job.result = {"contests": results, **participation(election.id)}
        job.status = JobStatus.DONE.value
        job.finished_at = _now()
        audit.record("count.done", election.id, {"job": job.id})
        db.session.commit()
    except Exception as error:  # any failure: record it, keep the election closed
        db.session.rollback()
        log.exception("count job %s failed", job_id)
        job = fetch(CountJob, job_id)
        job.status = JobStatus.FAILED.value
        job.error = f"{type(error).__name__}: {error}"
        job.finished_at = _now()
        audit.record("count.failed", job.election_id, {"job": job.id, "error": job.error})
        db.session.commit()


def job_view(job: CountJob) -> dict[str, Any]:
    """A job as admins see it: status, progress, error, and the preliminary results."""
    return {
        "id": job.id,
        "election_id": job.election_id,
        "status": job.status,
        "progress": job.progress,
        "error": job.error,
        "forced": job.forced,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "result": job.result if job.status == JobStatus.DONE else None,
    }
