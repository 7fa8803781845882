"""comment.author_kind: agency replies apart from public input

Revision ID: 0002
Revises: 0001

Existing rows become "citizen" (the server default): what the board parser would say of them is only known
once their board is read again. ``storage.corpus.load_items`` and the reports leave "agency" rows out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("author_kind", sa.String(length=20), server_default="citizen", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_column("author_kind")
