"""crawl warnings: optional fields the pages of a crawl did not give, per run and per consultation

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # server_default fills the runs recorded before this revision; new rows get [] from the model as well
    with op.batch_alter_table("crawl_run") as batch:
        batch.add_column(sa.Column("warnings", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("policy") as batch:
        batch.add_column(sa.Column("missing_fields", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("policy") as batch:
        batch.drop_column("missing_fields")
    with op.batch_alter_table("crawl_run") as batch:
        batch.drop_column("warnings")
