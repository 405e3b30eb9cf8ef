"""The public results pages: an election's overview and one page per contest.

Both read nothing but the published ``results.json``
(:func:`~votesvc.services.publication.published_results`), the document the API serves and
``votesvc verify`` re-renders from a recount, so a page can never show a figure the published
files do not carry, and before publication every results page is the
``results_not_published`` page (404) like every results address of the API. The election row
is read only for what the document does not hold: its time zone and each contest's rule
sentence.

Charts are inline SVG drawn here, sized in ``viewBox`` units (:data:`SCALE`), each beside the
figures it draws in text, so they read the same without JavaScript, in print and to a screen
reader. ``static/js/rounds.js`` adds a round slider to a ranked contest's round table.

A published page never changes, so once rendered for a language it is answered like the
published files, from the worker's memory in front of Flask
(:meth:`votesvc.api.immutable.ImmutableResponses.mark_page`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug import Response

from votesvc.api.immutable import PAGE_CACHE_CONTROL, PAGE_VARY, ImmutableResponses
from votesvc.publication import explain
from votesvc.services import elections, publication
from votesvc.services.errors import NotFound
from votesvc.web import ballots
from votesvc.web.locale import current_lang, label
from votesvc.web.voter import bp

SCALE = 100
"""Width of every chart in viewBox units: a bar of width ``w`` is ``w`` per cent of its row."""

CONTEST_FILES = ("ballots.pb", "ballots.csv", "ballots.rcv.json")
ELECTION_FILES = (publication.MANIFEST, publication.RESULTS, publication.AUDIT)


def number(value: str | int | Fraction) -> str:
    """A published figure (``"3"``, ``"3.0000"``, ``"250000000/3"``) as readers read it:
    whole with thousands separators, otherwise to two decimals."""
    exact = Fraction(value)
    if exact.denominator == 1:
        return f"{exact.numerator:,}"
    return f"{float(exact):,.2f}"


def share(part: float | Fraction, whole: float | Fraction) -> str:
    """``part`` of ``whole`` as a whole percentage (``43%``); ``–`` when there is no whole."""
    return f"{round(100 * part / whole)}%" if whole else "–"


def width(value: float | Fraction, top: float | Fraction) -> float:
    """A bar's width in viewBox units, ``value`` against the longest bar ``top``."""
    return round(SCALE * float(value) / float(top), 2) if top else 0.0


@dataclass(frozen=True, slots=True)
class Segment:
    """One funded agenda's part of the budget strip."""

    title: str
    cost: int
    x: float
    width: float


def strip(document: Mapping[str, Any], titles: Mapping[str, str]) -> dict[str, Any]:
    """The budget strip: the funded agendas' costs side by side against the budget, the
    budget line where the budget ends (before the end when a reserve paid past it)."""
    costs = {a["code"]: a["cost"] for a in document["agendas"]}
    scale = max(document["budget"], document["spent"], 1)
    segments, x = [], 0.0
    for code in document["funded"]:
        w = width(costs[code], scale)
        segments.append(Segment(titles[code], costs[code], x, w))
        x = round(x + w, 2)
    return {"segments": segments, "line": width(document["budget"], scale)}


def agenda_rows(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Funded agendas first, in the order they were funded, then the rest by support."""
    by_code = {a["code"]: a for a in document["agendas"]}
    rest = sorted((a for a in document["agendas"] if not a["funded"]), key=lambda a: a["rank"])
    rows = [by_code[code] for code in document["funded"]] + rest
    top = max((Fraction(a["support"]) for a in rows), default=Fraction(0))
    return [{**a, "bar": width(Fraction(a["support"]), top)} for a in rows]


def equal_shares_rounds(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Equal Shares' purchases as the round view shows them: supporters, those who paid all
    they had left, the price each other supporter paid, and the effective votes (the cost
    over that price: how many full shares the agenda drew)."""
    if document["method"]["kind"] != "allocation":
        return []
    out = []
    for r in document["rounds"]:
        details = r["details"]
        if r["action"] != "select" or "price" not in details or "supporters" not in details:
            continue
        price = Fraction(details["price"])
        out.append(
            {
                "round": r["number"],
                "agenda": r["agenda"],
                "supporters": details["supporters"],
                "paid_all": details.get("paid_all", 0),
                "price": price,
                "effective": Fraction(details["cost"]) / price if price else None,
            }
        )
    return out


def ranked_rounds(document: Mapping[str, Any], codes: Sequence[str]) -> dict[str, Any]:
    """A ranked count as a table: each agenda's votes per round (None once it is out), who
    was elected or eliminated in each round, and the ballots no longer counted."""
    rounds = document["rounds"]
    cells: dict[str, list[dict[str, Any]]] = {code: [] for code in codes}
    for r in rounds:
        for code in codes:
            votes = r["tally"].get(code)
            state = (
                "elected"
                if code in r["elected"]
                else "eliminated"
                if code in r["eliminated"]
                else ""
            )
            cells[code].append({"votes": votes, "state": state})
    inactive = [sum(Fraction(v) for v in r.get("inactive", {}).values()) for r in rounds]
    return {
        "numbers": [r["round"] for r in rounds],
        "cells": cells,
        "threshold": [r.get("threshold") for r in rounds],
        "inactive": inactive,
        "elected": [r["elected"] for r in rounds],
        "eliminated": [r["eliminated"] for r in rounds],
    }


def fared_rows(document: Mapping[str, Any]) -> dict[str, Any]:
    """How voters fared: ballots with 0, 1, 2, ... funded agendas, and those with at least one."""
    counts: list[int] = document.get("fared", [])
    ballots_counted = document["ballots"]
    top = max(counts, default=0)
    rows = [
        {"funded": n, "ballots": c, "bar": width(c, top), "share": share(c, ballots_counted)}
        for n, c in enumerate(counts)
    ]
    lucky = ballots_counted - (counts[0] if counts else 0)
    return {"rows": rows, "at_least_one": lucky, "share": share(lucky, ballots_counted)}


def ballot_channels(
    contests: Sequence[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, dict[str, int]]]:
    """The channels any contest had ballots from (online first, then booths by code), each
    with a ``key``, and each contest's ballots per channel key."""
    channels: dict[str, dict[str, Any]] = {}
    per_contest: dict[str, dict[str, int]] = {}
    for contest in contests:
        counts = per_contest.setdefault(contest["code"], {})
        for entry in contest["channels"]:
            key = entry.get("booth") or entry["channel"]
            channels.setdefault(key, {**entry, "key": key})
            counts[key] = entry["ballots"]
    order = sorted(channels.values(), key=lambda c: (c["channel"] != "online", c["key"]))
    return order, per_contest


def _verify_line(election_id: int) -> str:
    """The command that recounts this publication, at the address residents use
    (``VOTESVC_PUBLIC_URL``; where production has none, the address this request came to)."""
    base = current_app.config["VOTESVC_PUBLIC_URL"] or request.host_url.rstrip("/")
    path = url_for("results.election_results", election_id=election_id)
    return f"votesvc verify {base}{path.removeprefix(request.script_root)}"


def _downloads(document: Mapping[str, Any], contest: Mapping[str, Any]) -> list[dict[str, str]]:
    """A contest's ballot files with their published SHA-256 and address."""
    out = []
    for name in CONTEST_FILES:
        path = publication.contest_file(contest["contest_id"], name)
        if path in document["files"]:
            address = url_for(
                "results.published_contest_file",
                election_id=document["election"]["id"],
                contest_id=contest["contest_id"],
                name=name,
            )
            out.append({"name": name, "url": address, "sha256": document["files"][path]})
    return out


def _page(html: str) -> Response:
    """A results page, kept by the worker for this address and language (see the module
    docstring): the same bytes for every reader of that language, so shared caches may keep
    it too. Only the route's own spelling of the address is kept (``/elections/01/results``
    reaches the same view and must not fill the worker's memory)."""
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
    response.headers["Vary"] = PAGE_VARY
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest())  # as the memory's
    response.make_conditional(request)
    assert request.endpoint is not None  # a view is running
    own = url_for(request.endpoint, **(request.view_args or {}))
    if own == request.script_root + request.environ["PATH_INFO"] and not request.query_string:
        ImmutableResponses.mark_page(request.environ, current_lang())
    return response


@bp.get("/elections/<int:election_id>/results")
def results_overview(election_id: int) -> Response:
    document = publication.published_results(election_id)
    election = elections.get_public(election_id)
    files = [
        {
            "name": name,
            "url": url_for("results.published_file", election_id=election_id, name=name),
            "sha256": document["files"][name],
        }
        for name in ELECTION_FILES
        if name in document["files"]
    ]
    channels, per_channel = ballot_channels(document["contests"])
    html = render_template(
        "results.html",
        election=election,
        published_at=datetime.fromisoformat(document["published_at"]),
        channels=channels,
        per_channel=per_channel,
        document=document,
        turnout=document["turnout"],
        downloads={c["code"]: _downloads(document, c) for c in document["contests"]},
        files=files,
        verify_line=_verify_line(election_id),
        number=number,
        share=share,
    )
    return _page(html)


@bp.get("/elections/<int:election_id>/results/<path:code>")
def contest_results(election_id: int, code: str) -> Response:
    document = publication.published_results(election_id)
    found = next((c for c in document["contests"] if c["code"] == code), None)
    contest = next((c for c in elections.get_public(election_id).contests if c.code == code), None)
    if found is None or contest is None:
        raise NotFound(resource="contest")
    titles = {a["code"]: a for a in found["agendas"]}
    kind = ballots.kind_of(contest)
    support_label = (
        _("First choices")
        if kind == ballots.RANKED
        else _("Points")
        if kind == ballots.POINTS
        else _("Votes")
    )
    html = render_template(
        "contest_results.html",
        title=_title(found),
        support_label=support_label,
        points=kind == ballots.POINTS,
        money_exact=lambda value: explain.money(value, found["currency"], current_lang()),
        election=contest.election,
        contest=contest,
        document=found,
        titles=titles,
        rows=agenda_rows(found),
        strip=strip(found, {c: _title(a) for c, a in titles.items()}),
        mes=equal_shares_rounds(found),
        ranked=ranked_rounds(found, [a["code"] for a in found["agendas"]])
        if found["method"]["kind"] == "ranked"
        else None,
        fared=fared_rows(found),
        rule_sentence=ballots.rule_sentence(contest),
        downloads=_downloads(document, found),
        verify_line=_verify_line(election_id),
        number=number,
        share=share,
    )
    return _page(html)


def _title(agenda: Mapping[str, Any]) -> str:
    """An agenda's title in the page's language as published, else its code."""
    return label(agenda, "title") or agenda["code"]
