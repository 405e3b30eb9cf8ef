"""Contests may ask ballot pages to show the agendas in each voter's own order.

Revision ID: f1c2d3e4a5b6
Revises: e3a1c4d5b6f7
Create Date: 2026-12-02 01:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f1c2d3e4a5b6"
down_revision = "e3a1c4d5b6f7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contest", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shuffle_agendas", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("contest", schema=None) as batch_op:
        batch_op.drop_column("shuffle_agendas")
