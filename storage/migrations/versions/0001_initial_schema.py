"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # tables in the order Alembic generated them: each after the tables its foreign keys name
    _create_analysis_run()
    _create_commitment()
    _create_crawl_run()
    _create_run_lock()
    _create_assignment()
    _create_campaign()
    _create_cluster()
    _create_endorsement_snapshot()
    _create_raw_payload()
    _create_agency_response()
    _create_comment()
    _create_idea()
    _create_imported_item()
    _create_policy()


def _create_analysis_run() -> None:
    op.create_table(
        "analysis_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("catalogue", sa.String(length=100), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("data_hash", sa.String(length=64), nullable=False),
        sa.Column("n_items", sa.Integer(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_run")),
    )


def _create_commitment() -> None:
    op.create_table(
        "commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalogue", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment")),
        sa.UniqueConstraint("catalogue", "code", name=op.f("uq_commitment_catalogue")),
    )


def _create_crawl_run() -> None:
    op.create_table(
        "crawl_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("spiders", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("items_new", sa.Integer(), nullable=False),
        sa.Column("items_updated", sa.Integer(), nullable=False),
        sa.Column("items_unchanged", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_run")),
    )


def _create_run_lock() -> None:
    op.create_table(
        "run_lock",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_run_lock")),
    )


def _create_assignment() -> None:
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("item_kind", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("commitment_code", sa.String(length=50), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("cluster_key", sa.String(length=50), nullable=True),
        sa.Column("duplicate_of", sa.String(length=200), nullable=True),
        sa.Column("campaign_key", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analysis_run.id"],
            name=op.f("fk_assignment_run_id_analysis_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment")),
        sa.UniqueConstraint("run_id", "item_kind", "item_id", name=op.f("uq_assignment_run_id")),
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_run_id"), ["run_id"], unique=False)


def _create_campaign() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("campaign_key", sa.String(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("exemplar_item_id", sa.String(length=200), nullable=False),
        sa.Column("exemplar_text", sa.Text(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_burst", sa.Boolean(), nullable=False),
        sa.Column("commitment_code", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["analysis_run.id"], name=op.f("fk_campaign_run_id_analysis_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
        sa.UniqueConstraint("run_id", "campaign_key", name=op.f("uq_campaign_run_id")),
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_run_id"), ["run_id"], unique=False)


def _create_cluster() -> None:
    op.create_table(
        "cluster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("cluster_key", sa.String(length=50), nullable=False),
        sa.Column("scope", sa.String(length=50), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("representative_ids", sa.JSON(), nullable=False),
        sa.Column("is_minority", sa.Boolean(), nullable=False),
        sa.Column("centroid", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["analysis_run.id"], name=op.f("fk_cluster_run_id_analysis_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster")),
        sa.UniqueConstraint("run_id", "cluster_key", name=op.f("uq_cluster_run_id")),
    )
    with op.batch_alter_table("cluster", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cluster_run_id"), ["run_id"], unique=False)


def _create_endorsement_snapshot() -> None:
    op.create_table(
        "endorsement_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("idea_uuid", sa.String(length=64), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("endorse_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"], ["crawl_run.id"], name=op.f("fk_endorsement_snapshot_crawl_run_id_crawl_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endorsement_snapshot")),
        sa.UniqueConstraint("site", "idea_uuid", "crawl_run_id", name=op.f("uq_endorsement_snapshot_site")),
    )


def _create_raw_payload() -> None:
    op.create_table(
        "raw_payload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("body_zlib", sa.LargeBinary(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"], ["crawl_run.id"], name=op.f("fk_raw_payload_crawl_run_id_crawl_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_payload")),
        sa.UniqueConstraint("sha256", name=op.f("uq_raw_payload_sha256")),
    )


def _create_agency_response() -> None:
    op.create_table(
        "agency_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("uuid", sa.String(length=64), nullable=False),
        sa.Column("idea_uuid", sa.String(length=64), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("site_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("analysis", sa.Text(), nullable=False),
        sa.Column("suggest", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("is_placeholder", sa.Boolean(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("raw_payload_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"], ["raw_payload.id"], name=op.f("fk_agency_response_raw_payload_id_raw_payload")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_response")),
        sa.UniqueConstraint("site", "uuid", name=op.f("uq_agency_response_site")),
    )
    with op.batch_alter_table("agency_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agency_response_idea_uuid"), ["idea_uuid"], unique=False)


def _create_comment() -> None:
    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("msg_uid", sa.String(length=40), nullable=False),
        sa.Column("policy_uuid", sa.String(length=64), nullable=False),
        sa.Column("parent_msg_uid", sa.String(length=40), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("like_count", sa.Integer(), nullable=False),
        sa.Column("unlike_count", sa.Integer(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("raw_payload_id", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"], ["raw_payload.id"], name=op.f("fk_comment_raw_payload_id_raw_payload")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment")),
        sa.UniqueConstraint("site", "msg_uid", name=op.f("uq_comment_site")),
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index("ix_comment_policy", ["site", "policy_uuid"], unique=False)


def _create_idea() -> None:
    op.create_table(
        "idea",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("uuid", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("outline", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("proposer", sa.String(length=200), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("endorse_count", sa.Integer(), nullable=False),
        sa.Column("endorse_goal", sa.Integer(), nullable=False),
        sa.Column("endorse_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("passed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("follower_count", sa.Integer(), nullable=True),
        sa.Column("comment_count", sa.Integer(), nullable=True),
        sa.Column("site_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("raw_payload_id", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"], ["raw_payload.id"], name=op.f("fk_idea_raw_payload_id_raw_payload")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea")),
        sa.UniqueConstraint("site", "uuid", name=op.f("uq_idea_site")),
    )


def _create_imported_item() -> None:
    op.create_table(
        "imported_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(length=100), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("source_file", sa.String(length=1000), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("raw_payload_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"], ["raw_payload.id"], name=op.f("fk_imported_item_raw_payload_id_raw_payload")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_item")),
        sa.UniqueConstraint("dataset", "item_id", name=op.f("uq_imported_item_dataset")),
    )


def _create_policy() -> None:
    op.create_table(
        "policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("uuid", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("follower_count", sa.Integer(), nullable=True),
        sa.Column("declared_comment_count", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("raw_payload_id", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"], ["raw_payload.id"], name=op.f("fk_policy_raw_payload_id_raw_payload")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy")),
        sa.UniqueConstraint("site", "uuid", name=op.f("uq_policy_site")),
    )


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_table("policy")
    op.drop_table("imported_item")
    op.drop_table("idea")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_policy")

    op.drop_table("comment")
    with op.batch_alter_table("agency_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_response_idea_uuid"))

    op.drop_table("agency_response")
    op.drop_table("raw_payload")
    op.drop_table("endorsement_snapshot")
    with op.batch_alter_table("cluster", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cluster_run_id"))

    op.drop_table("cluster")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_run_id"))

    op.drop_table("campaign")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_run_id"))

    op.drop_table("assignment")
    op.drop_table("run_lock")
    op.drop_table("crawl_run")
    op.drop_table("commitment")
    op.drop_table("analysis_run")
    # ### end Alembic commands ###
