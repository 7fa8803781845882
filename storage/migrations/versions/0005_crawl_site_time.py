"""crawl_run.site_time: the site's own clock during a crawl, from the Date headers it answered with

Revision ID: 0005
Revises: 0004

Reports count remaining endorsement days and overdue answers from the last crawl's moment. The wall clock
of the crawl is that moment on join.gov.tw, but not on a replica or a mirror serving old data at its own
clock. Runs recorded before this revision have no site time (NULL): their moment stays their end.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_run") as batch:
        batch.add_column(sa.Column("site_time", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_run") as batch:
        batch.drop_column("site_time")
