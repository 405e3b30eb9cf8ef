"""votesvc: a participatory-budgeting voting service.

The package root imports nothing of the web stack, so that ``votesvc.tally`` (the counting
core) can be used, and published results recomputed, without Flask or SQLAlchemy installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Application factory; the real one lives in :mod:`votesvc.app`."""
    from votesvc.app import create_app as factory

    return factory(config)
