"""Count jobs carry their owner, start and heartbeat; published means a publication exists.

A count job left ``running`` by a process that died used to block every later count. The new
columns let the service tell a dead job (no heartbeat for ``VOTESVC_COUNT_STALE_SECONDS``)
from a slow one. The phase endpoint no longer moves an election to ``published`` (only
publishing does), so elections that reached it that way, without a publication, go back to
``closed``, where they can be counted and published.

Revision ID: 5b2f0c7d9e41
Revises: 8623a38a8d54
Create Date: 2026-11-29 18:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b2f0c7d9e41"
down_revision = "8623a38a8d54"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("count_job", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("owner", sa.String(length=120), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("count_job", schema=None) as batch_op:
        batch_op.alter_column("owner", server_default=None)
    op.execute(
        "UPDATE election SET phase = 'closed' WHERE phase = 'published' "
        "AND id NOT IN (SELECT election_id FROM publication)"
    )


def downgrade():
    with op.batch_alter_table("count_job", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("started_at")
        batch_op.drop_column("owner")
