"""What the crawler reads and writes: crawl-run bookkeeping, batched stores with change counts, and the
state a re-crawl compares against (stored comment counts, endorsement counts, statuses)."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, select, update

from base.display import redact
from storage.changes import FetchedPayload, StoreCounts, store_payloads, upsert_changed
from storage.db import transaction, upsert
from storage.models import (
    AgencyResponse,
    Base,
    Comment,
    CrawlFailure,
    CrawlRun,
    CrawlStatus,
    EndorsementSnapshot,
    Idea,
    Policy,
    RawPayload,
    RunKind,
    ShapeWarning,
)

# Columns compared to tell an updated row from an unchanged one (provenance and audit columns excluded).
TRACKED: dict[type[Base], tuple[str, ...]] = {
    Policy: (
        "title",
        "agency",
        "body",
        "published_at",
        "closes_at",
        "attachments",
        "follower_count",
        "declared_comment_count",
        "missing_fields",
    ),
    Comment: (
        "policy_uuid",
        "parent_msg_uid",
        "author",
        "text",
        "html",
        "created_at",
        "like_count",
        "unlike_count",
        "is_deleted",
        "author_kind",
        "url",
    ),
    Idea: (
        "title",
        "outline",
        "content",
        "outcome",
        "status",
        "proposer",
        "agency",
        "published_at",
        "endorse_count",
        "endorse_goal",
        "endorse_due_at",
        "passed_at",
        "response_due_at",
        "follower_count",
        "comment_count",
        "site_updated_at",
    ),
    AgencyResponse: (
        "idea_uuid",
        "agency",
        "responded_at",
        "site_updated_at",
        "analysis",
        "suggest",
        "plan",
        "reference",
        "is_placeholder",
    ),
}
NATURAL_KEY: dict[type[Base], str] = {
    Policy: "uuid",
    Comment: "msg_uid",
    Idea: "uuid",
    AgencyResponse: "uuid",
}
STORE_ORDER: tuple[type[Base], ...] = (Policy, Idea, AgencyResponse, Comment)


@dataclass
class CrawlBatch:
    """Rows waiting to be written together. Each row dict may carry ``payload_sha256`` (its raw page)."""

    payloads: dict[str, FetchedPayload] = field(default_factory=dict)
    rows: dict[type[Base], dict[tuple[object, object], Mapping[str, object]]] = field(default_factory=dict)
    snapshots: dict[tuple[str, str], int] = field(default_factory=dict)

    def add_payload(self, url: str, body: bytes, content_type: str) -> str:
        sha = hashlib.sha256(body).hexdigest()
        if sha not in self.payloads:
            self.payloads[sha] = {
                "sha256": sha,
                "url": url[:1000],
                "content_type": content_type[:100],
                "size": len(body),
                "body_zlib": zlib.compress(body, 1),
            }
        return sha

    def add_row(self, model: type[Base], row: Mapping[str, object]) -> None:
        # A later copy of the same row (e.g. a comment seen on two pages while the board shifted) wins.
        self.rows.setdefault(model, {})[(row["site"], row[NATURAL_KEY[model]])] = row

    def add_snapshot(self, site: str, idea_uuid: str, endorse_count: int) -> None:
        self.snapshots[(site, idea_uuid)] = endorse_count

    def __len__(self) -> int:
        return sum(len(r) for r in self.rows.values()) + len(self.snapshots)


def merge_warnings(
    first: Sequence[ShapeWarning], second: Sequence[ShapeWarning], *, examples: int = 3
) -> list[ShapeWarning]:
    """Two warning accounts added up by (page type, field), keeping the first few example pages."""
    merged: dict[tuple[str, str], ShapeWarning] = {}
    for entry in [*first, *second]:
        key = (str(entry.get("page_type")), str(entry.get("field")))
        target = merged.setdefault(key, {**entry, "count": 0, "examples": []})
        target["count"] += int(entry.get("count", 0))
        for url in entry.get("examples", []):
            if len(target["examples"]) < examples and url not in target["examples"]:
                target["examples"].append(url)
    return [merged[k] for k in sorted(merged)]


def _keep_stored(row: Mapping[str, object], before: Mapping[str, object]) -> dict[str, object]:
    """A field a page no longer gave keeps the value stored before: a layout change never erases data."""
    missing = row.get("missing_fields")
    if not missing or not isinstance(missing, list | tuple):
        return dict(row)
    row = dict(row)
    still = []
    for name in missing:
        if name in before and before[name] not in (None, "", []):
            row[name] = before[name]
        else:
            still.append(name)
    row["missing_fields"] = still
    return row


def _with_payload_ids(
    rows: Iterable[Mapping[str, object]], payload_ids: Mapping[str, int]
) -> list[dict[str, object]]:
    """Each row with its stored raw payload's id (``raw_payload_id``) instead of its ``payload_sha256``."""
    linked = []
    for row in rows:
        row = dict(row)
        sha = row.pop("payload_sha256", "")
        row["raw_payload_id"] = payload_ids.get(sha) if isinstance(sha, str) else None
        linked.append(row)
    return linked


def store_batch(engine: Engine, batch: CrawlBatch, *, crawl_run_id: int | None) -> StoreCounts:
    """Write one batch in one transaction: payloads (deduplicated by sha256), rows linked to them,
    endorsement snapshots; the crawl run's counters grow in the same transaction."""
    now = datetime.now(UTC)
    totals = StoreCounts()
    with transaction(engine) as session:
        payload_ids: dict[str, int] = {}
        if batch.payloads:
            payload_ids = store_payloads(
                session,
                [{**p, "fetched_at": now, "crawl_run_id": crawl_run_id} for p in batch.payloads.values()],
            )
        for model in STORE_ORDER:
            rows = _with_payload_ids(batch.rows.get(model, {}).values(), payload_ids)
            if rows:
                seen = "first_seen_at" in model.__table__.c
                totals += upsert_changed(
                    session,
                    model,
                    rows,
                    keys=("site", NATURAL_KEY[model]),
                    compared=TRACKED[model],
                    stamp={"first_seen_at": now, "last_seen_at": now} if seen else None,
                    keep=("first_seen_at",),
                    revise=_keep_stored,
                )
        if batch.snapshots and crawl_run_id is not None:
            snapshot_rows = [
                {
                    "site": site,
                    "idea_uuid": uuid,
                    "crawl_run_id": crawl_run_id,
                    "observed_at": now,
                    "endorse_count": count,
                }
                for (site, uuid), count in batch.snapshots.items()
            ]
            upsert(session, EndorsementSnapshot, snapshot_rows, keys=("site", "idea_uuid", "crawl_run_id"))
        if crawl_run_id is not None:
            session.execute(
                update(CrawlRun)
                .where(CrawlRun.id == crawl_run_id)
                .values(
                    items_new=CrawlRun.items_new + totals.new,
                    items_updated=CrawlRun.items_updated + totals.updated,
                    items_unchanged=CrawlRun.items_unchanged + totals.unchanged,
                )
            )
    return totals


def start_crawl_run(engine: Engine, *, base_url: str, spiders: Iterable[str], kind: RunKind = "crawl") -> int:
    with transaction(engine) as session:
        run = CrawlRun(
            kind=kind,
            base_url=redact(base_url)[:500],  # status shows it: a password in the URL must not be stored
            spiders=",".join(spiders)[:200],
            status="running",
            errors=[],
        )
        session.add(run)
        session.flush()
        return int(run.id)


def record_crawl_progress(
    engine: Engine,
    run_id: int,
    *,
    pages: int = 0,
    requests: int = 0,
    errors: Sequence[CrawlFailure] = (),
    message: str = "",
    warnings: Sequence[ShapeWarning] = (),
    site_time: datetime | None = None,
) -> None:
    """Add a spider's page and request counts, its errors and its warnings to a run (several spiders may
    share one); ``site_time``, the site's clock as the spider last saw it, moves the run's forward only."""
    with transaction(engine) as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            return
        if site_time is not None and (run.site_time is None or site_time > run.site_time):
            run.site_time = site_time
        run.pages = (run.pages or 0) + pages
        run.requests = (run.requests or 0) + requests
        if errors:
            run.errors = [*(run.errors or []), *(e.copy() for e in errors)]
        if warnings:
            run.warnings = merge_warnings(run.warnings or [], warnings)
        if message:
            run.message = (f"{run.message}\n{message}" if run.message else message)[:20000]


def finish_crawl_run(
    engine: Engine, run_id: int, *, status: CrawlStatus, message: str = ""
) -> CrawlRun | None:
    with transaction(engine) as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            return None
        run.status = status
        run.finished_at = datetime.now(UTC)
        if message:
            run.message = (f"{run.message}\n{message}" if run.message else message)[:20000]
        session.flush()
        session.expunge(run)
        return run


def discard_crawl_run(engine: Engine, run_id: int) -> bool:
    """Delete a crawl run that stored nothing (a crawl refused once it knew what it was asked for); False,
    and the run kept, when a payload or a snapshot refers to it."""
    with transaction(engine) as session:
        for model in (RawPayload, EndorsementSnapshot):
            if session.scalar(select(func.count()).select_from(model).where(model.crawl_run_id == run_id)):
                return False
        session.execute(delete(CrawlRun).where(CrawlRun.id == run_id))
        return True


@dataclass(frozen=True, slots=True)
class PolicyState:
    declared_comment_count: int | None
    stored_comments: int
    follower_count: int | None = None
    closes_at: datetime | None = None
    missing_fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IdeaState:
    status: str
    endorse_count: int
    comment_count: int | None
    awaiting_response: bool  # passed, and no formal (non-placeholder) response stored yet
    follower_count: int | None = None
    published_at: datetime | None = None


def policy_states(engine: Engine, site: str) -> dict[str, PolicyState]:
    with transaction(engine) as session:
        counts = dict(
            session.execute(
                select(Comment.policy_uuid, func.count())
                .where(Comment.site == site)
                .group_by(Comment.policy_uuid)
            ).all()
        )
        return {
            uuid: PolicyState(declared, int(counts.get(uuid, 0)), followers, closes, tuple(missing or ()))
            for uuid, declared, followers, closes, missing in session.execute(
                select(
                    Policy.uuid,
                    Policy.declared_comment_count,
                    Policy.follower_count,
                    Policy.closes_at,
                    Policy.missing_fields,
                ).where(Policy.site == site)
            )
        }


def idea_states(engine: Engine, site: str, *, passed_statuses: Iterable[str]) -> dict[str, IdeaState]:
    passed = set(passed_statuses)
    with transaction(engine) as session:
        formal = set(
            session.scalars(
                select(AgencyResponse.idea_uuid).where(
                    AgencyResponse.site == site, AgencyResponse.is_placeholder.is_(False)
                )
            )
        )
        return {
            uuid: IdeaState(
                status, count, comments, status in passed and uuid not in formal, followers, published
            )
            for uuid, status, count, comments, followers, published in session.execute(
                select(
                    Idea.uuid,
                    Idea.status,
                    Idea.endorse_count,
                    Idea.comment_count,
                    Idea.follower_count,
                    Idea.published_at,
                ).where(Idea.site == site)
            )
        }


__all__ = [
    "CrawlBatch",
    "IdeaState",
    "PolicyState",
    "StoreCounts",
    "discard_crawl_run",
    "finish_crawl_run",
    "idea_states",
    "merge_warnings",
    "policy_states",
    "record_crawl_progress",
    "start_crawl_run",
    "store_batch",
]


def close_interrupted_runs(engine: Engine, *, kind: str = "crawl") -> int:
    """Mark runs still ``running`` as ``interrupted``: call only while holding the exclusive crawl lock,
    when no other crawl can be alive (a killed process never closed its row)."""
    with transaction(engine) as session:
        result = session.execute(
            update(CrawlRun)
            .where(CrawlRun.status == "running", CrawlRun.kind == kind)
            .values(
                status="interrupted",
                finished_at=datetime.now(UTC),
                message=CrawlRun.message + "\nclosed by the next crawl: its process had died",
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)  # an UPDATE's CursorResult
