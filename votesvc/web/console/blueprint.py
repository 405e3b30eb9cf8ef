"""The console's blueprint, apart so that every section module can add its routes to it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/admin")
