"""SQLAlchemy 2.0 models: the whole schema of joinfeedback.

Every table fed from the site carries a natural key (``site`` + the site's own id) under a unique
constraint, so that a crawl or an import is an idempotent upsert. ``site`` is the host name without
port (``join.gov.tw``, ``cy.join.gov.tw``, ``127.0.0.1`` for the replica): ids are unique per host only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar, Literal, NotRequired, TypedDict

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# What a crawl or import run is: running until it ends; partial when pages holding required data were given
# up on; interrupted by a shutdown (or found running with no process holding its lock).
CrawlStatus = Literal["running", "finished", "partial", "failed", "interrupted"]
# check: the scheduler's daily ``crawl --check``, which fetches a page of each type and stores nothing else
RunKind = Literal["crawl", "import", "check"]
# Only a complete analysis is ever shown or exported.
AnalysisStatus = Literal["running", "complete", "failed"]
AssignmentStatus = Literal["assigned", "none", "uncertain"]
ItemKind = Literal["comment", "idea", "import"]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# comment.author_kind values
CITIZEN = "citizen"
AGENCY = "agency"

# JSON columns hold what JSON reads back: tuples become lists, so a pair such as [term, weight] is a list.
WeightedTerms = list[list[str | float]]  # [[term or code, weight], …] best first


class CrawlFailure(TypedDict):
    """A URL a crawl gave up on, as ``crawl_run.errors`` keeps it."""

    url: str
    error: str
    kind: str  # "failed"
    cause: NotRequired[str]  # "StoreError": fetched, but the database would not take it


class ShapeWarning(TypedDict):
    """An optional field one page type did not give, as ``crawl_run.warnings`` keeps it."""

    page_type: str
    field: str
    tried: str
    count: int
    examples: list[str]  # the first few pages without it


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back tz-aware.

    SQLite keeps no offset, so an aware Taipei time would come back as a naive wall time; converting to
    UTC on the way in and attaching UTC on the way out makes both backends return the same instant.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store tz-aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[type, UTCDateTime]] = {datetime: UTCDateTime()}


class CrawlRun(Base):
    """One execution of a crawl (or an import, or a site check): what it did and what it gave up on."""

    __tablename__ = "crawl_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[RunKind] = mapped_column(String(20), default="crawl")
    base_url: Mapped[str] = mapped_column(String(500))
    spiders: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # the site's own clock (the latest Date header it answered with): a replica or a mirror serves old data
    # at its own now, which the wall clock of the crawl is not
    site_time: Mapped[datetime | None]
    status: Mapped[CrawlStatus] = mapped_column(String(20), default="running")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    items_new: Mapped[int] = mapped_column(Integer, default=0)
    items_updated: Mapped[int] = mapped_column(Integer, default=0)
    items_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[CrawlFailure]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[ShapeWarning]] = mapped_column(JSON, default=list)  # optional fields pages lacked
    message: Mapped[str] = mapped_column(Text, default="")


class RawPayload(Base):
    """A fetched body, zlib-compressed, stored once per content hash."""

    __tablename__ = "raw_payload"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(String(1000))
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(Integer)
    body_zlib: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id"))


class Policy(Base):
    """A consultation (眾開講): a draft or plan an agency posted for comment."""

    __tablename__ = "policy"
    __table_args__ = (UniqueConstraint("site", "uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(100))
    uuid: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    agency: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    follower_count: Mapped[int | None] = mapped_column(Integer)
    declared_comment_count: Mapped[int | None] = mapped_column(Integer)
    # optional fields the last fetch found in no source (their columns hold null or empty text meanwhile)
    missing_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    url: Mapped[str] = mapped_column(String(1000), default="")
    raw_payload_id: Mapped[int | None] = mapped_column(ForeignKey("raw_payload.id"))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(Base):
    """A comment on a consultation; replies point at their parent by ``parent_msg_uid``."""

    __tablename__ = "comment"
    __table_args__ = (UniqueConstraint("site", "msg_uid"), Index("ix_comment_policy", "site", "policy_uuid"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(100))
    msg_uid: Mapped[str] = mapped_column(String(40))
    policy_uuid: Mapped[str] = mapped_column(String(64))
    parent_msg_uid: Mapped[str | None] = mapped_column(String(40))
    author: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime | None]
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    unlike_count: Mapped[int] = mapped_column(Integer, default=0)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    # "agency" for messages agencies or the platform post on the board (classified by the board parser,
    # crawler.pages.comment_board.author_kind); they are shown as agency replies and never analysed as
    # public input. Rows from open-data or CSV imports carry no author account: "citizen".
    author_kind: Mapped[str] = mapped_column(String(20), default=CITIZEN, server_default=CITIZEN)
    url: Mapped[str] = mapped_column(String(1000), default="")
    raw_payload_id: Mapped[int | None] = mapped_column(ForeignKey("raw_payload.id"))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Idea(Base):
    """A citizen proposal (提點子)."""

    __tablename__ = "idea"
    __table_args__ = (UniqueConstraint("site", "uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(100))
    uuid: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    outline: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(30), default="")
    proposer: Mapped[str] = mapped_column(String(200), default="")
    agency: Mapped[str] = mapped_column(String(200), default="")
    published_at: Mapped[datetime | None]
    endorse_count: Mapped[int] = mapped_column(Integer, default=0)
    endorse_goal: Mapped[int] = mapped_column(Integer, default=5000)
    endorse_due_at: Mapped[datetime | None]
    passed_at: Mapped[datetime | None]  # secondSignedTime: the threshold was reached
    response_due_at: Mapped[datetime | None]  # advisedTime / approvedDueDate: the agency's deadline
    follower_count: Mapped[int | None] = mapped_column(Integer)
    comment_count: Mapped[int | None] = mapped_column(Integer)
    site_updated_at: Mapped[datetime | None]
    url: Mapped[str] = mapped_column(String(1000), default="")
    raw_payload_id: Mapped[int | None] = mapped_column(ForeignKey("raw_payload.id"))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class EndorsementSnapshot(Base):
    """The endorsement count of a proposal as one crawl saw it: momentum is their difference."""

    __tablename__ = "endorsement_snapshot"
    __table_args__ = (UniqueConstraint("site", "idea_uuid", "crawl_run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(100))
    idea_uuid: Mapped[str] = mapped_column(String(64))
    crawl_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id"))
    observed_at: Mapped[datetime] = mapped_column(default=utcnow)
    endorse_count: Mapped[int] = mapped_column(Integer)


class AgencyResponse(Base):
    """An agency's answer to a proposal (placeholder or formal)."""

    __tablename__ = "agency_response"
    __table_args__ = (UniqueConstraint("site", "uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(100))
    uuid: Mapped[str] = mapped_column(String(64))
    idea_uuid: Mapped[str] = mapped_column(String(64), index=True)
    agency: Mapped[str] = mapped_column(String(200), default="")
    responded_at: Mapped[datetime | None]
    site_updated_at: Mapped[datetime | None]
    analysis: Mapped[str] = mapped_column(Text, default="")
    suggest: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(Text, default="")
    is_placeholder: Mapped[bool] = mapped_column(Boolean, default=False)
    url: Mapped[str] = mapped_column(String(1000), default="")
    raw_payload_id: Mapped[int | None] = mapped_column(ForeignKey("raw_payload.id"))


class ImportedItem(Base):
    """A comment brought in from a file (CSV or open-data JSON) rather than crawled."""

    __tablename__ = "imported_item"
    __table_args__ = (UniqueConstraint("dataset", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(100), default="import")
    item_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime | None]
    url: Mapped[str] = mapped_column(String(1000), default="")
    source_file: Mapped[str] = mapped_column(String(1000), default="")
    source_line: Mapped[int | None] = mapped_column(Integer)
    raw_payload_id: Mapped[int | None] = mapped_column(ForeignKey("raw_payload.id"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class Commitment(Base):
    """One entry of a catalogue of commitments (e.g. the 2020 OGP National Action Plan draft)."""

    __tablename__ = "commitment"
    __table_args__ = (UniqueConstraint("catalogue", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalogue: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class AnalysisRun(Base):
    """One analysis; only runs with status ``complete`` are ever shown or exported."""

    __tablename__ = "analysis_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[AnalysisStatus] = mapped_column(String(20), default="running")
    catalogue: Mapped[str] = mapped_column(String(100), default="")
    seed: Mapped[int] = mapped_column(Integer, default=0)
    data_hash: Mapped[str] = mapped_column(String(64), default="")
    n_items: Mapped[int] = mapped_column(Integer, default=0)
    manifest: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class Assignment(Base):
    """Where one item landed in one analysis run."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("run_id", "item_kind", "item_source", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("analysis_run.id", ondelete="CASCADE"), index=True)
    # the item's identity (storage.items.ItemKey): kind, source (a crawled item's site, an imported
    # item's dataset) and the source's own id
    item_kind: Mapped[ItemKind] = mapped_column(String(20))
    item_source: Mapped[str] = mapped_column(String(100), default="", server_default="")
    item_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[AssignmentStatus] = mapped_column(String(20))
    commitment_code: Mapped[str | None] = mapped_column(String(50))
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    candidates: Mapped[WeightedTerms] = mapped_column(JSON, default=list)  # [[code, score], …]
    cluster_key: Mapped[str | None] = mapped_column(String(50))
    duplicate_of: Mapped[str | None] = mapped_column(String(400))  # the group's first item (its written key)
    campaign_key: Mapped[str | None] = mapped_column(String(50))


class Cluster(Base):
    """A theme found in one run; ``cluster_key`` is stable across runs on growing data."""

    __tablename__ = "cluster"
    __table_args__ = (UniqueConstraint("run_id", "cluster_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("analysis_run.id", ondelete="CASCADE"), index=True)
    cluster_key: Mapped[str] = mapped_column(String(50))
    scope: Mapped[str] = mapped_column(String(50))  # "none" or a commitment code
    label: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[WeightedTerms] = mapped_column(JSON, default=list)
    size: Mapped[int] = mapped_column(Integer, default=0)
    representative_ids: Mapped[list[str]] = mapped_column(JSON, default=list)  # written keys (storage.items)
    is_minority: Mapped[bool] = mapped_column(Boolean, default=False)
    centroid: Mapped[WeightedTerms] = mapped_column(JSON, default=list)  # [[word, mean weight], …]


class Campaign(Base):
    """A group of (near-)identical submissions: a form letter counted once as an argument."""

    __tablename__ = "campaign"
    __table_args__ = (UniqueConstraint("run_id", "campaign_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("analysis_run.id", ondelete="CASCADE"), index=True)
    campaign_key: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    exemplar_item_id: Mapped[str] = mapped_column(String(400))  # written key (storage.items)
    exemplar_text: Mapped[str] = mapped_column(Text, default="")
    first_at: Mapped[datetime | None]
    last_at: Mapped[datetime | None]
    is_burst: Mapped[bool] = mapped_column(Boolean, default=False)
    commitment_code: Mapped[str | None] = mapped_column(String(50))


class RunLock(Base):
    """A row per held lock (SQLite); PostgreSQL uses advisory locks instead."""

    __tablename__ = "run_lock"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "AgencyResponse",
    "AnalysisRun",
    "Assignment",
    "Base",
    "Campaign",
    "Cluster",
    "Comment",
    "Commitment",
    "CrawlFailure",
    "CrawlRun",
    "EndorsementSnapshot",
    "Idea",
    "ImportedItem",
    "Policy",
    "RawPayload",
    "RunLock",
    "ShapeWarning",
    "WeightedTerms",
]
