"""assignment.item_source: an item's identity is its kind, its source and the source's own id

Revision ID: 0004
Revises: 0003

Before this revision an analysis run named an item by kind and id only: two imported datasets with the
same ids stopped every analysis (the unique key broke), and an imported id equal to a comment's msgUid
gave two rows one ``item_id`` in the exports. ``item_source`` is the site of a crawled comment or
proposal, the dataset of an imported item (``storage.items.ItemKey``).

Existing rows are given the source of the item they name. Where two rows of a source table share the id,
the one stored first is taken: a complete run could only have held one of them (the old unique key
allowed no other), and it was the one already stored when the run was made. Nothing else is rewritten:
a run's stored references (``duplicate_of``, exemplars, representatives) keep their bare ids, which
``storage.items.ItemIndex`` still reads. ``duplicate_of`` and ``exemplar_item_id`` grow to hold a
written key (``kind:source:id``). The downgrade fails if a later run holds two items with one kind and id.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# (kind, source table, its id column, its source column): the first stored row of each id
SOURCES = (
    ("comment", "comment", "msg_uid", "site"),
    ("idea", "idea", "uuid", "site"),
    ("import", "imported_item", "item_id", "dataset"),
)


def upgrade() -> None:
    with op.batch_alter_table("assignment") as batch:
        batch.add_column(sa.Column("item_source", sa.String(length=100), server_default="", nullable=False))
        batch.alter_column(
            "duplicate_of",
            existing_type=sa.String(length=200),
            type_=sa.String(length=400),
            existing_nullable=True,
        )
        batch.drop_constraint("uq_assignment_run_id", type_="unique")
        batch.create_unique_constraint(
            "uq_assignment_run_id", ["run_id", "item_kind", "item_source", "item_id"]
        )
    with op.batch_alter_table("campaign") as batch:
        batch.alter_column(
            "exemplar_item_id",
            existing_type=sa.String(length=200),
            type_=sa.String(length=400),
            existing_nullable=False,
        )
    for kind, table, id_column, source_column in SOURCES:
        # UPDATE … FROM (SQLite ≥ 3.33, PostgreSQL): one pass over a derived table of the first rows,
        # where a correlated subquery would scan the source table once per assignment.
        op.execute(
            sa.text(
                f"UPDATE assignment SET item_source = firsts.source "  # noqa: S608 (names from SOURCES)
                f"FROM (SELECT {id_column} AS item_id, {source_column} AS source FROM {table} "
                f"WHERE id IN (SELECT min(id) FROM {table} GROUP BY {id_column})) AS firsts "
                f"WHERE assignment.item_kind = :kind AND assignment.item_id = firsts.item_id"
            ).bindparams(kind=kind)
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.alter_column(
            "exemplar_item_id",
            existing_type=sa.String(length=400),
            type_=sa.String(length=200),
            existing_nullable=False,
        )
    with op.batch_alter_table("assignment") as batch:
        batch.drop_constraint("uq_assignment_run_id", type_="unique")
        batch.create_unique_constraint("uq_assignment_run_id", ["run_id", "item_kind", "item_id"])
        batch.alter_column(
            "duplicate_of",
            existing_type=sa.String(length=400),
            type_=sa.String(length=200),
            existing_nullable=True,
        )
        batch.drop_column("item_source")
