"""Secrecy mixing: which ballots, tokens and roll entries the mixer has yet to rewrite.

``ballot.mixed`` is 0 for a ballot as cast, 1 once rewritten with the other ballots of its
mixing interval, 2 once rewritten with the other ballots of its hour; a partial index keeps the
rows still to mix cheap to find. ``token.mixed`` and ``voter_roll_entry.mixed`` are false
between a spend or claim and the next mixing pass. Rows stored before this revision are marked
unmixed where they could be linked (spent tokens, issued roll entries, every ballot), so the
first pass after the upgrade mixes them too.

Revision ID: a3e1d5c8b270
Revises: 5b2f0c7d9e41
Create Date: 2026-12-01 20:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a3e1d5c8b270"
down_revision = "5b2f0c7d9e41"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ballot") as batch_op:
        batch_op.add_column(
            sa.Column("mixed", sa.SmallInteger(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.create_index(
            "ix_ballot_unmixed",
            ["mixed", "election_id"],
            postgresql_where=sa.text("mixed < 2"),
            sqlite_where=sa.text("mixed < 2"),
        )
    with op.batch_alter_table("token") as batch_op:
        batch_op.add_column(
            sa.Column("mixed", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("voter_roll_entry") as batch_op:
        batch_op.add_column(
            sa.Column("mixed", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.execute("UPDATE token SET mixed = false WHERE status = 'spent' OR batch_id IS NULL")
    op.execute("UPDATE voter_roll_entry SET mixed = false WHERE issued")


def downgrade():
    with op.batch_alter_table("voter_roll_entry") as batch_op:
        batch_op.drop_column("mixed")
    with op.batch_alter_table("token") as batch_op:
        batch_op.drop_column("mixed")
    with op.batch_alter_table("ballot") as batch_op:
        batch_op.drop_index("ix_ballot_unmixed")
        batch_op.drop_column("mixed")
