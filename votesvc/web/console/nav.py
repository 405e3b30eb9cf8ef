"""The per-election navigation: each section registers itself where its page is defined.

A section is a page about one election, linked from every page of that election in the order
of its ``order``. Registering is one decorator above the route::

    @nav.section(40, N_("Booths"))
    @bp.get("/elections/<int:election_id>/booths")
    def booths(election_id: int) -> str: ...

The endpoint is ``console.<function name>`` and takes ``election_id`` alone; the label is
marked with ``N_`` for the catalogues and translated when the navigation is drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import request, url_for
from flask_babel import gettext

View = TypeVar("View", bound=Callable[..., object])


@dataclass(frozen=True)
class Section:
    order: int
    endpoint: str
    label: str
    """The English message id; :func:`links` translates it."""


SECTIONS: list[Section] = []


def section(order: int, label: str) -> Callable[[View], View]:
    """Add the decorated view to every election's navigation at position ``order``."""

    def register(view: View) -> View:
        SECTIONS.append(Section(order, f"console.{view.__name__}", label))
        SECTIONS.sort(key=lambda found: found.order)
        return view

    return register


@dataclass(frozen=True)
class Link:
    href: str
    label: str
    current: bool


def links(election_id: int) -> list[Link]:
    """The navigation of one election's pages, the page being shown marked current."""
    return [
        Link(
            url_for(found.endpoint, election_id=election_id),
            gettext(found.label),
            request.endpoint == found.endpoint,
        )
        for found in SECTIONS
    ]
