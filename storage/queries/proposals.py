"""The proposals page: proposals (提點子), the agencies' responses, and endorsements over time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AgencyResponse, CrawlRun, EndorsementSnapshot, Idea


@dataclass(frozen=True, slots=True)
class ProposalRow:
    uuid: str
    title: str
    status: str
    agency: str
    url: str
    published_at: datetime | None
    endorse_count: int
    endorse_goal: int
    endorse_due_at: datetime | None
    passed_at: datetime | None
    response_due_at: datetime | None


@dataclass(frozen=True, slots=True)
class ResponseRow:
    uuid: str
    idea_uuid: str
    agency: str
    responded_at: datetime | None
    is_placeholder: bool
    url: str


def proposals(session: Session) -> list[ProposalRow]:
    rows = session.execute(
        select(
            Idea.uuid,
            Idea.title,
            Idea.status,
            Idea.agency,
            Idea.url,
            Idea.published_at,
            Idea.endorse_count,
            Idea.endorse_goal,
            Idea.endorse_due_at,
            Idea.passed_at,
            Idea.response_due_at,
        ).order_by(Idea.endorse_count.desc(), Idea.uuid)
    )
    return [ProposalRow(*row) for row in rows]


def agency_responses(session: Session) -> list[ResponseRow]:
    rows = session.execute(
        select(
            AgencyResponse.uuid,
            AgencyResponse.idea_uuid,
            AgencyResponse.agency,
            AgencyResponse.responded_at,
            AgencyResponse.is_placeholder,
            AgencyResponse.url,
        ).order_by(AgencyResponse.idea_uuid, AgencyResponse.responded_at, AgencyResponse.uuid)
    )
    return [ResponseRow(*row) for row in rows]


def endorsement_history(session: Session) -> dict[str, list[tuple[datetime, int]]]:
    """Every stored endorsement snapshot of each proposal, oldest first.

    ``{idea_uuid: [(observed_at, count), …]}``
    """
    history: dict[str, list[tuple[datetime, int]]] = {}
    for uuid, observed, count in session.execute(
        select(
            EndorsementSnapshot.idea_uuid, EndorsementSnapshot.observed_at, EndorsementSnapshot.endorse_count
        ).order_by(EndorsementSnapshot.idea_uuid, EndorsementSnapshot.observed_at, EndorsementSnapshot.id)
    ):
        if observed is not None:
            history.setdefault(uuid, []).append((observed, int(count)))
    return history


def endorsement_momentum(session: Session) -> tuple[dict[str, int], datetime | None, datetime | None]:
    """Endorsements gained per proposal between the last two crawls that took snapshots.

    Returns ``({idea_uuid: gained}, previous_observed_at, latest_observed_at)``; empty with fewer than two.
    """
    crawl_ids = [
        row
        for (row,) in session.execute(
            select(EndorsementSnapshot.crawl_run_id)
            .group_by(EndorsementSnapshot.crawl_run_id)
            .order_by(EndorsementSnapshot.crawl_run_id.desc())
            .limit(2)
        )
    ]
    if len(crawl_ids) < 2:
        return {}, None, None
    latest_id, previous_id = crawl_ids
    seen: dict[int, dict[str, int]] = {latest_id: {}, previous_id: {}}
    stamps: dict[int, datetime] = {}
    for uuid, crawl_id, count, observed in session.execute(
        select(
            EndorsementSnapshot.idea_uuid,
            EndorsementSnapshot.crawl_run_id,
            EndorsementSnapshot.endorse_count,
            EndorsementSnapshot.observed_at,
        ).where(EndorsementSnapshot.crawl_run_id.in_(crawl_ids))
    ):
        seen[crawl_id][uuid] = count
        if observed is not None:
            stamps[crawl_id] = max(stamps.get(crawl_id, observed), observed)
    gained = {
        uuid: count - seen[previous_id][uuid]
        for uuid, count in seen[latest_id].items()
        if uuid in seen[previous_id]
    }
    return gained, stamps.get(previous_id), stamps.get(latest_id)


def site_clock_at_last_crawl(session: Session) -> datetime | None:
    """The site's own time when the last crawl observed it: the Date it answered with, or the crawl's end
    when none was recorded. A replica or a mirror shows its data at its own clock, which may be years
    before the wall clock of the crawl."""
    # a partial crawl (some URLs given up on) still observed the site at its end; a site check stores nothing
    last = session.execute(
        select(CrawlRun.site_time, CrawlRun.finished_at)
        .where(
            CrawlRun.status.in_(("finished", "partial")),
            CrawlRun.kind != "check",
            CrawlRun.finished_at.is_not(None),
        )
        .order_by(CrawlRun.finished_at.desc(), CrawlRun.id.desc())
        .limit(1)
    ).first()
    return None if last is None else last.site_time or last.finished_at


__all__ = [
    "ProposalRow",
    "ResponseRow",
    "agency_responses",
    "endorsement_history",
    "endorsement_momentum",
    "proposals",
    "site_clock_at_last_crawl",
]
