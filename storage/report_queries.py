"""Read queries the report stage needs: a stored analysis run, item texts, proposals, responses, snapshots.

Everything here only reads. Rows come back as small frozen dataclasses so that ``reports/`` never touches
SQLAlchemy objects or sessions beyond the one it is handed. Which run to show comes from
``storage.analysis_store``; a run's rows are selected column-wise here, because ORM objects for a large run
would cost more than the query.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import analysis_store
from storage.models import (
    AGENCY,
    AgencyResponse,
    AnalysisRun,
    Assignment,
    Campaign,
    Cluster,
    Comment,
    Commitment,
    CrawlRun,
    EndorsementSnapshot,
    Idea,
    ImportedItem,
    Policy,
)

IN_CHUNK = 500  # bound the size of IN (...) lists: SQLite's variable limit, PostgreSQL plan size

ItemKey = tuple[str, str]  # (item_kind, item_id)
SUPPORT_SUFFIX = "#support"  # the key suffix the analysis gives a scope's support / no-argument group


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    started_at: datetime | None
    finished_at: datetime | None
    catalogue: str
    seed: int
    data_hash: str
    n_items: int
    manifest: dict[str, object]


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    kind: str
    item_id: str
    status: str
    commitment_code: str | None
    confidence: float
    cluster_key: str | None
    duplicate_of: str | None
    campaign_key: str | None


@dataclass(frozen=True, slots=True)
class ClusterRow:
    cluster_key: str
    scope: str
    label: str
    terms: tuple[str, ...]
    size: int
    representative_ids: tuple[str, ...]
    is_minority: bool

    @property
    def is_support(self) -> bool:
        """The support / no-argument group of its scope (``analysis.themes_store.support_key``)."""
        return self.cluster_key.endswith(SUPPORT_SUFFIX)


@dataclass(frozen=True, slots=True)
class CampaignRow:
    campaign_key: str
    size: int
    exemplar_item_id: str
    exemplar_text: str
    first_at: datetime | None
    last_at: datetime | None
    is_burst: bool
    commitment_code: str | None


@dataclass(frozen=True, slots=True)
class CommitmentRow:
    code: str
    title: str
    description: str
    position: int


@dataclass(frozen=True, slots=True)
class ItemText:
    """The stored text of one item, exactly as the analysis saw it (see ``storage.corpus.load_items``)."""

    kind: str
    item_id: str
    text: str
    url: str
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class AgencyReplyRow:
    """A message an agency or the platform posted on a consultation board (``comment.author_kind``)."""

    msg_uid: str
    policy_uuid: str
    parent_msg_uid: str | None
    author: str
    text: str
    url: str
    created_at: datetime | None


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


def _run_info(run: AnalysisRun) -> RunInfo:
    return RunInfo(
        run.id,
        run.started_at,
        run.finished_at,
        run.catalogue,
        run.seed,
        run.data_hash,
        run.n_items,
        dict(run.manifest or {}),
    )


def latest_complete_run(session: Session) -> RunInfo | None:
    """The newest run whose status is ``complete``; running or failed runs are never shown."""
    run = analysis_store.latest_complete_run(session)
    return _run_info(run) if run else None


def previous_complete_run(session: Session, run_id: int) -> RunInfo | None:
    run = analysis_store.previous_complete_run(session, run_id)
    return _run_info(run) if run else None


def commitments(session: Session, catalogue: str) -> list[CommitmentRow]:
    rows = session.execute(
        select(Commitment.code, Commitment.title, Commitment.description, Commitment.position)
        .where(Commitment.catalogue == catalogue)
        .order_by(Commitment.position, Commitment.code)
    )
    return [
        CommitmentRow(code, title, description or "", position) for code, title, description, position in rows
    ]


def assignments(session: Session, run_id: int) -> list[AssignmentRow]:
    """Every item of a run, in a stable order (kind, id)."""
    rows = session.execute(
        select(
            Assignment.item_kind,
            Assignment.item_id,
            Assignment.status,
            Assignment.commitment_code,
            Assignment.confidence,
            Assignment.cluster_key,
            Assignment.duplicate_of,
            Assignment.campaign_key,
        )
        .where(Assignment.run_id == run_id)
        .order_by(Assignment.item_kind, Assignment.item_id)
    )
    return [AssignmentRow(*row) for row in rows]


def clusters(session: Session, run_id: int) -> list[ClusterRow]:
    rows = session.execute(
        select(
            Cluster.cluster_key,
            Cluster.scope,
            Cluster.label,
            Cluster.terms,
            Cluster.size,
            Cluster.representative_ids,
            Cluster.is_minority,
        )
        .where(Cluster.run_id == run_id)
        .order_by(Cluster.size.desc(), Cluster.cluster_key)
    )
    return [
        ClusterRow(key, scope, label or "", _term_words(terms), size, tuple(reps or ()), bool(minority))
        for key, scope, label, terms, size, reps, minority in rows
    ]


def _term_words(terms: Iterable[object] | None) -> tuple[str, ...]:
    """Theme terms as words: the analysis stores ``[[term, weight], …]``; plain ``[term, …]`` works too."""
    words = []
    for term in terms or ():
        word = term[0] if isinstance(term, list | tuple) and term else term
        words.append(str(word))
    return tuple(words)


def campaigns(session: Session, run_id: int) -> list[CampaignRow]:
    rows = session.execute(
        select(
            Campaign.campaign_key,
            Campaign.size,
            Campaign.exemplar_item_id,
            Campaign.exemplar_text,
            Campaign.first_at,
            Campaign.last_at,
            Campaign.is_burst,
            Campaign.commitment_code,
        )
        .where(Campaign.run_id == run_id)
        .order_by(Campaign.size.desc(), Campaign.campaign_key)
    )
    return [CampaignRow(*row) for row in rows]


def _chunked(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def idea_text(title: str, outline: str) -> str:
    """An idea's analysed text: title and outline on two lines, as ``storage.corpus.load_items`` does."""
    return "\n".join(part for part in (title, outline) if part)


def item_texts(session: Session, keys: Iterable[ItemKey]) -> dict[ItemKey, ItemText]:
    """Stored texts for the given items (a few hundred at most per report page)."""
    wanted: dict[str, set[str]] = {}
    for kind, item_id in keys:
        wanted.setdefault(kind, set()).add(item_id)
    found: dict[ItemKey, ItemText] = {}
    for chunk in _chunked(sorted(wanted.get("comment", ()))):
        # An agency reply is never quoted as public input, even when an older run analysed it.
        for msg_uid, text, url, created in session.execute(
            select(Comment.msg_uid, Comment.text, Comment.url, Comment.created_at)
            .where(Comment.msg_uid.in_(chunk), Comment.author_kind != AGENCY)
            .order_by(Comment.site)
        ):
            found.setdefault(
                ("comment", msg_uid), ItemText("comment", msg_uid, text or "", url or "", created)
            )
    for chunk in _chunked(sorted(wanted.get("idea", ()))):
        for uuid, title, outline, url, published in session.execute(
            select(Idea.uuid, Idea.title, Idea.outline, Idea.url, Idea.published_at)
            .where(Idea.uuid.in_(chunk))
            .order_by(Idea.site)
        ):
            found.setdefault(
                ("idea", uuid), ItemText("idea", uuid, idea_text(title, outline), url or "", published)
            )
    for chunk in _chunked(sorted(wanted.get("import", ()))):
        for item_id, text, url, created in session.execute(
            select(ImportedItem.item_id, ImportedItem.text, ImportedItem.url, ImportedItem.created_at)
            .where(ImportedItem.item_id.in_(chunk))
            .order_by(ImportedItem.dataset)
        ):
            found.setdefault(("import", item_id), ItemText("import", item_id, text or "", url or "", created))
    return found


def run_item_texts(session: Session, run_id: int) -> Iterator[ItemText]:
    """The text of every item of a run, streamed (for the assignments export)."""
    join_comment = (
        select(Comment.msg_uid, Comment.text, Comment.url, Comment.created_at)
        .join(Assignment, (Assignment.item_id == Comment.msg_uid) & (Assignment.item_kind == "comment"))
        .where(Assignment.run_id == run_id)
    )
    for msg_uid, text, url, created in session.execute(join_comment).yield_per(5000):
        yield ItemText("comment", msg_uid, text or "", url or "", created)
    join_idea = (
        select(Idea.uuid, Idea.title, Idea.outline, Idea.url, Idea.published_at)
        .join(Assignment, (Assignment.item_id == Idea.uuid) & (Assignment.item_kind == "idea"))
        .where(Assignment.run_id == run_id)
    )
    for uuid, title, outline, url, published in session.execute(join_idea).yield_per(5000):
        yield ItemText("idea", uuid, idea_text(title, outline), url or "", published)
    join_import = (
        select(ImportedItem.item_id, ImportedItem.text, ImportedItem.url, ImportedItem.created_at)
        .join(Assignment, (Assignment.item_id == ImportedItem.item_id) & (Assignment.item_kind == "import"))
        .where(Assignment.run_id == run_id)
    )
    for item_id, text, url, created in session.execute(join_import).yield_per(5000):
        yield ItemText("import", item_id, text or "", url or "", created)


def run_item_dates(session: Session, run_id: int) -> dict[ItemKey, datetime]:
    """When each item of a run was written (for charts over time and the data period)."""
    dates: dict[ItemKey, datetime] = {}
    queries = (
        (
            "comment",
            select(Comment.msg_uid, Comment.created_at).join(
                Assignment, (Assignment.item_id == Comment.msg_uid) & (Assignment.item_kind == "comment")
            ),
        ),
        (
            "idea",
            select(Idea.uuid, Idea.published_at).join(
                Assignment, (Assignment.item_id == Idea.uuid) & (Assignment.item_kind == "idea")
            ),
        ),
        (
            "import",
            select(ImportedItem.item_id, ImportedItem.created_at).join(
                Assignment, (Assignment.item_id == ImportedItem.item_id) & (Assignment.item_kind == "import")
            ),
        ),
    )
    for kind, query in queries:
        for item_id, created in session.execute(query.where(Assignment.run_id == run_id)):
            if created is not None:
                dates.setdefault((kind, item_id), created)
    return dates


@dataclass(frozen=True, slots=True)
class PolicyRow:
    uuid: str
    title: str
    agency: str
    url: str
    published_at: datetime | None
    closes_at: datetime | None


def policies(session: Session) -> list[PolicyRow]:
    """Every stored consultation, newest first."""
    return [
        PolicyRow(uuid, title or "", agency or "", url or "", published, closes)
        for uuid, title, agency, url, published, closes in session.execute(
            select(
                Policy.uuid, Policy.title, Policy.agency, Policy.url, Policy.published_at, Policy.closes_at
            ).order_by(Policy.published_at.desc(), Policy.uuid)
        )
    ]


def run_comment_policies(session: Session, run_id: int) -> dict[str, str]:
    """The consultation of each comment of a run: ``{msg_uid: policy_uuid}``."""
    query = select(Comment.msg_uid, Comment.policy_uuid).join(
        Assignment, (Assignment.item_id == Comment.msg_uid) & (Assignment.item_kind == "comment")
    )
    # iter(): dict() would take a Result for a mapping (it has keys(): its column names); each Row is a pair
    return dict(iter(session.execute(query.where(Assignment.run_id == run_id))))


COMMENT_EXPORT = (
    "msg_uid",
    "policy_uuid",
    "policy_title",
    "parent_msg_uid",
    "created_at",
    "text",
    "like_count",
    "unlike_count",
    "url",
)
PROPOSAL_EXPORT = (
    "uuid",
    "title",
    "outline",
    "status",
    "agency",
    "published_at",
    "endorse_count",
    "endorse_goal",
    "endorse_due_at",
    "passed_at",
    "response_due_at",
    "url",
)
RESPONSE_EXPORT = (
    "uuid",
    "idea_uuid",
    "idea_title",
    "agency",
    "responded_at",
    "is_placeholder",
    "analysis",
    "suggest",
    "plan",
    "reference",
    "url",
)


def export_comments(session: Session) -> Iterator[dict[str, Any]]:
    """Every stored, undeleted comment with its consultation's title (no author: personal data)."""
    titles = dict(iter(session.execute(select(Policy.uuid, Policy.title))))
    query = (
        select(
            Comment.msg_uid,
            Comment.policy_uuid,
            Comment.parent_msg_uid,
            Comment.created_at,
            Comment.text,
            Comment.like_count,
            Comment.unlike_count,
            Comment.url,
        )
        .where(Comment.is_deleted.is_(False))
        .order_by(Comment.site, Comment.policy_uuid, Comment.msg_uid)
    )
    for uid, policy, parent, created, text, likes, unlikes, url in session.execute(query):
        yield {
            "msg_uid": uid,
            "policy_uuid": policy,
            "policy_title": titles.get(policy, ""),
            "parent_msg_uid": parent,
            "created_at": created,
            "text": text,
            "like_count": likes,
            "unlike_count": unlikes,
            "url": url,
        }


def export_proposals(session: Session) -> Iterator[dict[str, Any]]:
    query = select(*(getattr(Idea, key) for key in PROPOSAL_EXPORT)).order_by(Idea.site, Idea.uuid)
    for row in session.execute(query):
        yield dict(zip(PROPOSAL_EXPORT, row, strict=True))


def export_responses(session: Session) -> Iterator[dict[str, Any]]:
    titles = dict(iter(session.execute(select(Idea.uuid, Idea.title))))
    keys = [k for k in RESPONSE_EXPORT if k != "idea_title"]
    query = select(*(getattr(AgencyResponse, key) for key in keys)).order_by(
        AgencyResponse.idea_uuid, AgencyResponse.responded_at, AgencyResponse.uuid
    )
    for row in session.execute(query):
        record = dict(zip(keys, row, strict=True))
        idea_uuid = record["idea_uuid"]
        record["idea_title"] = titles.get(idea_uuid, "") if isinstance(idea_uuid, str) else ""
        yield {key: record[key] for key in RESPONSE_EXPORT}


def run_item_engagement(session: Session, run_id: int) -> dict[ItemKey, tuple[int, int]]:
    """Likes of each comment and endorsements of each proposal of a run: ``{key: (likes, endorsements)}``."""
    out: dict[ItemKey, tuple[int, int]] = {}
    comments = select(Comment.msg_uid, Comment.like_count).join(
        Assignment, (Assignment.item_id == Comment.msg_uid) & (Assignment.item_kind == "comment")
    )
    for msg_uid, likes in session.execute(comments.where(Assignment.run_id == run_id)):
        out.setdefault(("comment", msg_uid), (int(likes or 0), 0))
    ideas = select(Idea.uuid, Idea.endorse_count).join(
        Assignment, (Assignment.item_id == Idea.uuid) & (Assignment.item_kind == "idea")
    )
    for uuid, endorsements in session.execute(ideas.where(Assignment.run_id == run_id)):
        out.setdefault(("idea", uuid), (0, int(endorsements or 0)))
    return out


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


def item_keys(session: Session, run_id: int) -> set[ItemKey]:
    return {
        (kind, item_id)
        for kind, item_id in session.execute(
            select(Assignment.item_kind, Assignment.item_id).where(Assignment.run_id == run_id)
        )
    }


def placements(session: Session, run_id: int) -> dict[ItemKey, tuple[str, str | None]]:
    """Where a run placed each of its items: ``(kind, id) → (status, commitment code)``."""
    query = select(
        Assignment.item_kind, Assignment.item_id, Assignment.status, Assignment.commitment_code
    ).where(Assignment.run_id == run_id)
    return {(kind, item_id): (status, code) for kind, item_id, status, code in session.execute(query)}


def cluster_sizes(session: Session, run_id: int) -> dict[str, int]:
    rows = session.execute(select(Cluster.cluster_key, Cluster.size).where(Cluster.run_id == run_id)).all()
    return {str(key): int(size) for key, size in rows}


def counts(session: Session) -> dict[str, int]:
    """Totals of what is stored, whether or not an analysis covered it."""
    from storage.models import Policy

    visible = select(func.count()).select_from(Comment).where(Comment.is_deleted.is_(False))
    return {
        "policies": session.scalar(select(func.count()).select_from(Policy)) or 0,
        "comments": session.scalar(visible.where(Comment.author_kind != AGENCY)) or 0,
        "agency_replies": session.scalar(visible.where(Comment.author_kind == AGENCY)) or 0,
        "proposals": session.scalar(select(func.count()).select_from(Idea)) or 0,
        "imported": session.scalar(select(func.count()).select_from(ImportedItem)) or 0,
    }


def agency_replies(session: Session) -> list[AgencyReplyRow]:
    """Every visible agency reply on the boards, oldest first (a few per consultation at most)."""
    rows = session.execute(
        select(
            Comment.msg_uid,
            Comment.policy_uuid,
            Comment.parent_msg_uid,
            Comment.author,
            Comment.text,
            Comment.url,
            Comment.created_at,
        )
        .where(Comment.author_kind == AGENCY, Comment.is_deleted.is_(False))
        .order_by(Comment.created_at, Comment.site, Comment.msg_uid)
    )
    return [
        AgencyReplyRow(uid, policy, parent, author or "", text or "", url or "", created)
        for uid, policy, parent, author, text, url, created in rows
    ]


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


def last_crawl_finished_at(session: Session) -> datetime | None:
    # a partial crawl (some URLs given up on) still observed the site at its end
    return session.scalar(
        select(func.max(CrawlRun.finished_at)).where(CrawlRun.status.in_(("finished", "partial")))
    )


__all__ = [
    "COMMENT_EXPORT",
    "PROPOSAL_EXPORT",
    "RESPONSE_EXPORT",
    "AgencyReplyRow",
    "AssignmentRow",
    "CampaignRow",
    "ClusterRow",
    "CommitmentRow",
    "ItemKey",
    "ItemText",
    "PolicyRow",
    "ProposalRow",
    "ResponseRow",
    "RunInfo",
    "agency_replies",
    "agency_responses",
    "assignments",
    "campaigns",
    "cluster_sizes",
    "clusters",
    "commitments",
    "counts",
    "endorsement_history",
    "endorsement_momentum",
    "export_comments",
    "export_proposals",
    "export_responses",
    "idea_text",
    "item_keys",
    "item_texts",
    "last_crawl_finished_at",
    "latest_complete_run",
    "placements",
    "policies",
    "previous_complete_run",
    "proposals",
    "run_comment_policies",
    "run_item_dates",
    "run_item_engagement",
    "run_item_texts",
]
