"""Publishing: the preliminary results frozen into a publication with its files, and reading it.

:func:`publish` renders every public document once (the results JSON of the election and of
each contest, the anonymised ballot files, the audit log, and ``publication.json``, the
manifest that ``votesvc verify`` starts from) and stores them byte for byte as
:class:`~votesvc.models.PublishedFile` rows with their SHA-256, which is also their strong
ETag. Requests serve those bytes; nothing is counted or rendered per request (and the HTTP edge
keeps what it served in each worker's memory, see :mod:`votesvc.api.immutable`).

Before publication nothing here answers: every public read is ``results_not_published``
(404), whatever exists behind it, so a draft, a running count or a missing contest all look
the same from outside.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from votesvc.models import Booth, Contest, Election, JobStatus, Phase, Publication, PublishedFile
from votesvc.models.base import db
from votesvc.publication import exports
from votesvc.publication.results_document import contest_document
from votesvc.services import audit
from votesvc.services.common import fetch
from votesvc.services.contests import core_contest
from votesvc.services.counting import Counted, gather, ranked_contest, ranked_groups
from votesvc.services.elections import apply_transition
from votesvc.services.errors import Conflict, NotFound
from votesvc.services.results import latest_job
from votesvc.services.transaction import unit_of_work
from votesvc.voting.tokens import ONLINE, booth_channel

FORMAT = "votesvc-publication/1"
MANIFEST = "publication.json"
AUDIT = "audit.json"
RESULTS = "results.json"
JSON_TYPE = "application/json"
MEDIA_TYPES = {".pb": "text/plain; charset=utf-8", ".csv": "text/csv; charset=utf-8"}


def software_version() -> str:
    try:
        return importlib.metadata.version("votesvc")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def dumps(data: Any) -> bytes:
    """Published JSON: sorted keys, UTF-8, so the same content is always the same bytes."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1).encode() + b"\n"


def contest_file(contest_id: int, name: str) -> str:
    """Contest files are named by the contest's id: a code may hold a ``/``."""
    return f"contests/{contest_id}/{name}"


def _channel(booths: Mapping[str, Booth], channel: str) -> dict[str, Any]:
    """A channel as published: online, or a booth with its code and names (a place, never an
    operator)."""
    booth = booths.get(channel)
    entry: dict[str, Any] = {"channel": "online" if channel == ONLINE else "booth"}
    if booth is not None:
        entry.update(booth=booth.code, name_ko=booth.name_ko, name_en=booth.name_en)
    return entry


def _booths(election: Election) -> dict[str, Booth]:
    return {booth_channel(booth.id): booth for booth in election.booths}


def _channels(election: Election, channels: Mapping[str, int]) -> list[dict[str, Any]]:
    """A contest's ballots per channel."""
    booths = _booths(election)
    return [{**_channel(booths, c), "ballots": n} for c, n in sorted(channels.items())]


def _turnout_channels(election: Election, counted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Voters (spent tokens) and tokens issued per channel, online first, as the count saw
    them (:func:`votesvc.services.tokens.participation`); channels that issued nothing are
    left out."""
    booths = _booths(election)
    return [
        {**_channel(booths, c["channel"]), "voters": c["spent"], "tokens_issued": c["issued"]}
        for c in counted
        if c["issued"]
    ]


def _ballot_files(contest: Contest, counted: Counted, funded: list[str]) -> dict[str, bytes]:
    """The contest's anonymised ballot files (see :mod:`votesvc.publication.exports`), by name."""
    election = contest.election
    ballots = exports.shuffled(counted.groups)
    meta = {
        "description": election.name_en or election.name_ko,
        "country": "",
        "unit": election.slug,
        "instance": contest.code,
        "currency": election.currency,
    }
    files = {
        contest_file(contest.id, "ballots.pb"): exports.pb_text(
            core_contest(contest), ballots, funded, meta
        ).encode(),
        contest_file(contest.id, "ballots.csv"): exports.csv_text(ballots).encode(),
    }
    if contest.ballot_type == "ordinal":
        ranked = ranked_contest(contest, ranked_groups(counted.groups), "0")
        files[contest_file(contest.id, "ballots.rcv.json")] = exports.rcv_text(
            contest.code, ranked, funded
        ).encode()
    return files


def _contest_document(
    contest: Contest, result: Mapping[str, Any], digests: Mapping[str, str]
) -> dict[str, Any]:
    """The contest's results document (:mod:`votesvc.publication.results_document`, which ``votesvc
    verify`` renders again from its recount)."""
    identity = {
        "contest_id": contest.id,
        "code": contest.code,
        "title_ko": contest.title_ko,
        "title_en": contest.title_en,
        "ballot_type": contest.ballot_type,
        "currency": contest.election.currency,
    }
    agendas = [
        {"code": a.code, "title_ko": a.title_ko, "title_en": a.title_en, "cost": a.cost}
        for a in contest.agendas
    ]
    channels = _channels(contest.election, result["channels"])
    return contest_document(identity, agendas, result, channels, digests)


def _sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _exists(election_id: int) -> bool:
    found = select(Publication.id).where(Publication.election_id == election_id)
    return db.session.scalar(found) is not None


def publish(election_id: int) -> Publication:
    """Freeze the latest done count of a closed election; refuse a stale or missing count.

    This is the only way into ``published`` (the phase endpoint refuses it), so a published
    election always has its publication."""
    with unit_of_work():
        election = fetch(Election, election_id)
        # racing publications queue here: the second sees ``published``, not a duplicate key
        db.session.refresh(election, with_for_update=True)
        if election.phase != Phase.CLOSED.value:
            raise Conflict("election_not_closed", phase=election.phase)
        job = latest_job(election_id)
        if job is None or job.status != JobStatus.DONE.value or job.result is None:
            raise Conflict("not_counted")
        results = job.result["contests"]
        files: dict[str, bytes] = {}
        for contest in election.contests:
            counted = gather(contest.id)
            if counted.ballots != results[contest.code]["ballots"]:
                raise Conflict("count_stale", contest=contest.code)
            files.update(_ballot_files(contest, counted, results[contest.code]["funded"]))
        digests = {name: _sha(body) for name, body in files.items()}
        publication = Publication(
            election_id=election.id,
            software_version=software_version(),
            seed=job.seed,
            contests={
                contest.code: {
                    "contest_id": contest.id,
                    **{k: v for k, v in results[contest.code].items() if k != "channels"},
                }
                for contest in election.contests
            },
            digests={},
        )
        db.session.add(publication)
        db.session.flush()
        apply_transition(election, Phase.PUBLISHED)
        audit.record("results.published", election.id, {"job": job.id, "files": digests})
        files[AUDIT] = dumps(audit.export(election.id))
        digests[AUDIT] = _sha(files[AUDIT])
        manifest = {
            "format": FORMAT,
            "election": {
                "id": election.id,
                "slug": election.slug,
                "name_ko": election.name_ko,
                "name_en": election.name_en,
            },
            "published_at": publication.created_at.isoformat(),
            "software_version": publication.software_version,
            "seed": publication.seed,
            "contests": publication.contests,
            "files": digests,
        }
        files[MANIFEST] = dumps(manifest)
        digests[MANIFEST] = _sha(files[MANIFEST])
        contests = []
        for contest in election.contests:
            document = _contest_document(contest, results[contest.code], digests)
            contests.append(document)
            files[contest_file(contest.id, "results.json")] = dumps(document)
        tokens = job.result["tokens"]
        issued = sum(tokens.values())
        files[RESULTS] = dumps(
            {
                "election": manifest["election"],
                "published_at": manifest["published_at"],
                "software_version": publication.software_version,
                "seed": publication.seed,
                "turnout": {
                    "voters": job.result["voters"],
                    "tokens_issued": issued,
                    "tokens_void": tokens.get("void", 0),
                    "rate": None if not issued else round(job.result["voters"] / issued, 4),
                    "channels": _turnout_channels(election, job.result.get("channels", [])),
                },
                "contests": contests,
                "files": digests,
            }
        )
        publication.digests = digests
        for name, body in files.items():
            media = MEDIA_TYPES.get(name[name.rfind(".") :], JSON_TYPE)
            db.session.add(
                PublishedFile(
                    publication_id=publication.id,
                    name=name,
                    media_type=media,
                    body=body,
                    sha256=_sha(body),
                )
            )
    return publication


def published(election_id: int) -> Publication:
    """The election's publication, or ``results_not_published`` (404) for anything else."""
    publication = db.session.scalar(
        select(Publication).where(Publication.election_id == election_id)
    )
    if publication is None:
        raise NotFound("results_not_published")
    return publication


@dataclass(frozen=True, slots=True)
class Served:
    """A published file as served: its bytes, SHA-256 (the strong ETag) and media type."""

    body: bytes
    sha256: str
    media_type: str


def published_file(election_id: int, name: str) -> Served:
    """One published file by name; before publication, ``results_not_published`` (404)."""
    row = db.session.execute(
        select(PublishedFile.body, PublishedFile.sha256, PublishedFile.media_type)
        .join(Publication, Publication.id == PublishedFile.publication_id)
        .where(Publication.election_id == election_id, PublishedFile.name == name)
    ).first()
    if row is None:
        published(election_id)
        raise NotFound("published_file_unknown")
    return Served(bytes(row.body), row.sha256, row.media_type)


def contest_results(election_id: int, contest_id: int) -> Served:
    """A contest's results document; a contest of another election has none here."""
    return published_file(election_id, contest_file(contest_id, "results.json"))


def published_results(election_id: int) -> dict[str, Any]:
    """The election's published ``results.json`` as data (what the results pages show, so
    they can never say more or other than the file anyone can download and verify); before
    publication ``results_not_published`` (404), whatever exists behind it."""
    document: dict[str, Any] = json.loads(published_file(election_id, RESULTS).body)
    return document


def receipt_counted(election_id: int) -> bool:
    """Whether a recorded ballot of this election is in a published count: every stored ballot
    is, since publication refuses a count that misses any (see ``count_stale``)."""
    return _exists(election_id)


def export_to(election_id: int, folder: Path) -> list[str]:
    """Write every published file under ``folder`` by its name (what ``votesvc verify`` reads)."""
    publication = published(election_id)
    files = db.session.scalars(
        select(PublishedFile).where(PublishedFile.publication_id == publication.id)
    ).all()
    for file in files:
        target = folder / file.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.body)
    return sorted(file.name for file in files)
