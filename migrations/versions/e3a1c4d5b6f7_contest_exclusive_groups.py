"""Contests may declare groups of mutually exclusive agendas (at most one of each is funded).

Revision ID: e3a1c4d5b6f7
Revises: a3e1d5c8b270
Create Date: 2026-12-01 20:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e3a1c4d5b6f7"
down_revision = "a3e1d5c8b270"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contest", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("exclusive_groups", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade():
    with op.batch_alter_table("contest", schema=None) as batch_op:
        batch_op.drop_column("exclusive_groups")
