"""A stored analysis run as every page of a report reads it: the run, its catalogue, its assignments, themes
and campaigns.

Rows are selected column-wise: ORM objects for a large run would cost more than the query.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    SQLColumnExpression,
    func,
    literal,
    literal_column,
    null,
    select,
    tuple_,
)
from sqlalchemy.orm import Session, aliased

from storage import analysis_store
from storage.items import ItemKey
from storage.models import (
    AGENCY,
    AnalysisRun,
    Assignment,
    AssignmentStatus,
    Campaign,
    Cluster,
    Comment,
    Commitment,
    Idea,
    ImportedItem,
)
from storage.queries.items import comment_join, idea_join, import_join
from storage.queries.rows import plain_rows
from storage.run_rows import StoredAssignment, StoredCampaign, StoredCluster


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
class CommitmentRow:
    code: str
    title: str
    description: str
    position: int


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


def placement_columns(kind: str | None = None) -> tuple[SQLColumnExpression[Any], ...]:
    """An assignment's key and placement as queries read them: kind, source, id, status, commitment,
    confidence, theme. ``kind``: the kind as a literal, for a query of that kind alone."""
    return (
        Assignment.item_kind if kind is None else literal(kind),
        Assignment.item_source,
        Assignment.item_id,
        Assignment.status,
        Assignment.commitment_code,
        Assignment.confidence,
        Assignment.cluster_key,
    )


# A comment assignment's place in a run's order (kind, source, id): its (source, id).
CommentKey = tuple[str, str]


def comment_split_keys(session: Session, run_id: int, parts: int, *, smallest: int = 1) -> list[CommentKey]:
    """The keys that cut a run's comment assignments, in (source, id) order, into ``parts`` parts of about
    the same size, each of at least ``smallest`` comments (no key when there are too few): the ``start`` and
    ``stop`` of a part (:func:`assignment_rows`, ``queries.exports.run_assignments_with_texts``)."""
    total = _comment_total(session, run_id)
    keys: list[CommentKey] = []
    if total < parts * smallest:
        return keys
    for part in range(1, parts):
        key = _comment_key_at(session, run_id, total * part // parts)
        if key is not None and (not keys or keys[-1] != key):
            keys.append(key)
    return keys


def comment_key_at(session: Session, run_id: int, share: float, *, smallest: int = 1) -> CommentKey | None:
    """The key that cuts a run's comment assignments, in (source, id) order, into a first part of about
    ``share`` of them and the rest, each of at least ``smallest`` comments (none when there are too few)."""
    total = _comment_total(session, run_id)
    at = round(total * share)
    return _comment_key_at(session, run_id, at) if min(at, total - at) >= smallest else None


def _comment_total(session: Session, run_id: int) -> int:
    assigned = Assignment.run_id == run_id, Assignment.item_kind == "comment"
    return session.execute(select(func.count()).select_from(Assignment).where(*assigned)).scalar_one()


def _comment_key_at(session: Session, run_id: int, offset: int) -> CommentKey | None:
    query = (
        select(Assignment.item_source, Assignment.item_id)
        .where(Assignment.run_id == run_id, Assignment.item_kind == "comment")
        .order_by(Assignment.item_source, Assignment.item_id)
        .offset(offset)
        .limit(1)
    )
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1])


def comment_cut(start: CommentKey | None, stop: CommentKey | None) -> tuple[ColumnElement[bool], ...]:
    """The conditions that keep the comment assignments from ``start`` (or the first) up to ``stop``
    (excluded; or to the last). Compared as row values, which the database reads as a range of the
    assignments' unique index: ``source > s OR (source = s AND id >= i)`` made SQLite step through every
    assignment before ``start``."""
    key = tuple_(Assignment.item_source, Assignment.item_id)
    return (
        *(() if start is None else (key >= tuple_(literal(start[0]), literal(start[1])),)),
        *(() if stop is None else (key < tuple_(literal(stop[0]), literal(stop[1])),)),
    )


def public_assignments(
    run_id: int, *, start: CommentKey | None = None, stop: CommentKey | None = None
) -> tuple[Select[Any], ...]:
    """The queries of every item of public input of a run, as ``StoredAssignment`` columns: one per kind, in
    kind order, each in (source, id) order, so that one after the other they are in a stable order (kind,
    source, id). Each assignment is joined with its item's stored row for the facts pages count (date,
    consultation, likes, endorsements: None or 0 when the row is gone).

    Runs made before agency replies were told apart analysed them too; they are not public input, so they
    are left out here, for every page and export alike.

    ``start``/``stop``: a part of that order, from the comment at ``start`` (or the first) up to the comment
    at ``stop`` (excluded; without it, to the end, proposals and imported items included), so that parts
    cut at :func:`comment_split_keys` follow each other into the whole.
    """
    zero = literal_column("0", Integer)
    stored = (*placement_columns(), Assignment.duplicate_of, Assignment.campaign_key)  # a StoredAssignment's
    comments = (
        select(
            *stored,
            Comment.created_at,
            Comment.policy_uuid,
            func.coalesce(Comment.like_count, 0),
            zero,
        )
        .outerjoin(Comment, comment_join())
        .where(
            Assignment.item_kind == "comment",
            Comment.author_kind.is_distinct_from(AGENCY),
            *comment_cut(start, stop),
        )
    )
    ideas = (
        select(*stored, Idea.published_at, null(), zero, func.coalesce(Idea.endorse_count, 0))
        .outerjoin(Idea, idea_join())
        .where(Assignment.item_kind == "idea")
    )
    imported = (
        select(*stored, ImportedItem.created_at, null(), zero, zero)
        .outerjoin(ImportedItem, import_join())
        .where(Assignment.item_kind == "import")
    )
    queries = (comments,) if stop is not None else (comments, ideas, imported)
    return tuple(
        query.where(Assignment.run_id == run_id).order_by(Assignment.item_source, Assignment.item_id)
        for query in queries
    )


# An assignment as ``public_assignments`` reads it: the fields of a ``StoredAssignment``, in order.
AssignmentColumns = tuple[
    str,
    str,
    str,
    AssignmentStatus,
    str | None,
    float,
    str | None,
    str | None,
    str | None,
    datetime | None,
    str | None,
    int,
    int,
]


def assignment_rows(
    session: Session, run_id: int, *, start: CommentKey | None = None, stop: CommentKey | None = None
) -> Iterator[AssignmentColumns]:
    """The rows of :func:`public_assignments` (a part of them: ``start``/``stop``), streamed."""
    for query in public_assignments(run_id, start=start, stop=stop):
        columns: Iterator[Any] = plain_rows(session, query)  # thirteen: more than ``select`` types
        yield from columns


def assignments(
    session: Session, run_id: int, *, start: CommentKey | None = None, stop: CommentKey | None = None
) -> list[StoredAssignment]:
    """Every item of public input of a run (or a part: ``start``/``stop``), with its item's facts
    (``public_assignments``)."""
    return [StoredAssignment(*row) for row in assignment_rows(session, run_id, start=start, stop=stop)]


def clusters(session: Session, run_id: int) -> list[StoredCluster]:
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
        StoredCluster(key, scope, label or "", _term_words(terms), size, tuple(reps or ()), bool(minority))
        for key, scope, label, terms, size, reps, minority in rows
    ]


def _term_words(terms: Iterable[object] | None) -> tuple[str, ...]:
    """Theme terms as words: the analysis stores ``[[term, weight], …]``; plain ``[term, …]`` works too."""
    words = []
    for term in terms or ():
        word = term[0] if isinstance(term, list | tuple) and term else term
        words.append(str(word))
    return tuple(words)


def campaigns(session: Session, run_id: int) -> list[StoredCampaign]:
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
    return [StoredCampaign(*row) for row in rows]


def item_keys(session: Session, run_id: int) -> set[ItemKey]:
    """The key of every item a run analysed."""
    query = select(Assignment.item_kind, Assignment.item_source, Assignment.item_id)
    return {ItemKey(*row) for row in session.execute(query.where(Assignment.run_id == run_id))}


def placements(session: Session, run_id: int) -> dict[ItemKey, tuple[str, str | None]]:
    """Where a run placed each of its items: ``key → (status, commitment code)``."""
    query = select(
        Assignment.item_kind,
        Assignment.item_source,
        Assignment.item_id,
        Assignment.status,
        Assignment.commitment_code,
    ).where(Assignment.run_id == run_id)
    return {
        ItemKey(kind, source, item_id): (status, code)
        for kind, source, item_id, status, code in session.execute(query)
    }


def changes_since(session: Session, run_id: int, previous_id: int) -> dict[ItemKey, bool]:
    """The items of run ``run_id`` that run ``previous_id`` did not place as it does: ``key → True`` for an
    item that run did not analyse (new), ``False`` for one it placed elsewhere (another status or
    commitment). Compared in the database: only the items that changed are read."""
    before = aliased(Assignment)
    query = (
        select(Assignment.item_kind, Assignment.item_source, Assignment.item_id, before.id.is_(None))
        .outerjoin(
            before,
            (before.run_id == previous_id)
            & (before.item_kind == Assignment.item_kind)
            & (before.item_source == Assignment.item_source)
            & (before.item_id == Assignment.item_id),
        )
        .where(
            Assignment.run_id == run_id,
            before.id.is_(None)
            | (before.status != Assignment.status)
            | before.commitment_code.is_distinct_from(Assignment.commitment_code),
        )
    )
    return {
        ItemKey(kind, source, item_id): bool(new) for kind, source, item_id, new in session.execute(query)
    }


def cluster_sizes(session: Session, run_id: int) -> dict[str, int]:
    rows = session.execute(select(Cluster.cluster_key, Cluster.size).where(Cluster.run_id == run_id)).all()
    return {str(key): int(size) for key, size in rows}


__all__ = [
    "AssignmentColumns",
    "CommentKey",
    "CommitmentRow",
    "RunInfo",
    "assignment_rows",
    "assignments",
    "campaigns",
    "changes_since",
    "cluster_sizes",
    "clusters",
    "comment_cut",
    "comment_key_at",
    "comment_split_keys",
    "commitments",
    "item_keys",
    "latest_complete_run",
    "placement_columns",
    "placements",
    "previous_complete_run",
]
