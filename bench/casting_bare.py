"""The bare endpoint ``bench/casting.py`` compares the full casting path with: Flask and
SQLAlchemy doing only the two statements (spend a token by its id hash, insert one ballot) in
one transaction, with no validation, signature, receipt or error envelope, on the same
engine options as the service (``config.engine_options``).

    VOTESVC_DATABASE_URL=... gunicorn -k gthread -w 2 --threads 8 'bench.casting_bare:app'
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime

from flask import Flask, abort, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

from votesvc.app import settings_module

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["VOTESVC_DATABASE_URL"]
# The service's own engine options (pool size), so that the comparison is fair.
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = settings_module().engine_options(
    os.environ, os.environ["VOTESVC_DATABASE_URL"]
)
db = SQLAlchemy(app)

SPEND = text(
    "UPDATE token SET status = 'spent', spent_at = :hour "
    "WHERE id_hash = :id_hash AND status = 'unused'"
)
INSERT = text(
    "INSERT INTO ballot (id, election_id, contest_id, channel, content, cast_at, receipt_hash) "
    "VALUES (:id, :election_id, :contest_id, 'online', :content, :hour, :receipt_hash)"
)


@app.post("/bare/<int:election_id>/<int:contest_id>")
def bare(election_id: int, contest_id: int) -> tuple[dict[str, str], int]:
    body = request.get_json()
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    if db.session.execute(SPEND, {"id_hash": body["id_hash"], "hour": hour}).rowcount != 1:
        db.session.rollback()
        abort(409)
    db.session.execute(
        INSERT,
        {
            "id": secrets.token_hex(16),
            "election_id": election_id,
            "contest_id": contest_id,
            "content": body["content"],
            "hour": hour,
            "receipt_hash": body["receipt_hash"],
        },
    )
    db.session.commit()
    return {"ok": "1"}, 201
