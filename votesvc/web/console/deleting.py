"""Deleting a contest, an agenda or a booth: one page that asks, then the post that deletes.

Each route only finds its row and names its service; the asking, the redirect and the page
are here once. The service refuses outside a draft and writes the audit entry; the guard checks
the post's CSRF token, as for every console form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import redirect, render_template, request
from werkzeug import Response

from votesvc.models import Election


def ask_then_delete(
    election: Election,
    row: Any,
    what: str,
    consequence: str | None,
    delete: Callable[[], None],
    back: str,
) -> str | Response:
    """GET: ``console/confirm_delete.html`` asking to delete ``row`` (``what``: an ``N_`` name
    such as "the booth"; ``consequence``: what goes with it). POST: ``delete()``, then the
    list at ``back`` (303), which is also where the page's Cancel leads."""
    if request.method == "POST":
        delete()
        return redirect(back, 303)
    return render_template(
        "console/confirm_delete.html",
        election=election,
        what=what,
        row=row,
        consequence=consequence,
        cancel=back,
    )
