"""The ``export`` command's stored comments, proposals and agency responses, with their columns."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, null, select
from sqlalchemy.orm import Session

from storage.models import AGENCY, AgencyResponse, Assignment, Comment, Idea, ImportedItem, Policy
from storage.queries.items import comment_join, idea_join, idea_text, import_join
from storage.queries.rows import plain_rows
from storage.queries.runs import CommentKey, comment_cut, placement_columns

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


# An item of public input of a run as the assignments export writes it: its key (kind, source, id), its
# placement (status, commitment, confidence, theme), its stored text, and what a scope reads (its date and,
# for a comment, its consultation; both None unless asked for).
ExportedAssignment = tuple[
    str, str, str, str, str | None, float, str | None, str, datetime | None, str | None
]


def run_assignments_with_texts(
    session: Session,
    run_id: int,
    *,
    dated: bool = False,
    start: CommentKey | None = None,
    stop: CommentKey | None = None,
) -> Iterator[ExportedAssignment]:
    """Every item of public input of a run with its stored text, in the order of ``queries.runs.assignments``
    (kind, source, id), streamed: one query per kind, each assignment joined with its item, so no text is
    held beyond its batch. An item whose stored row is gone is exported with an empty text. ``dated``: with
    each item's date and consultation (only a scoped export reads them).

    ``start``/``stop``: a part of that order, from the comment at ``start`` (or the first) up to the comment
    at ``stop`` (excluded; without it, to the end, proposals and imported items included), so that parts
    cut at ``queries.runs.comment_split_keys`` follow each other into the whole."""
    # comments and imported items come as they are; an idea's text is made of its title and outline
    comments: Iterator[Any] = plain_rows(session, _comments_with_texts(run_id, dated, start, stop))
    yield from comments
    if stop is not None:
        return
    ideas: Iterator[Any] = plain_rows(session, _ideas_with_texts(run_id, dated=dated))
    for kind, source, item_id, status, code, confidence, cluster, title, outline, published, _ in ideas:
        text = idea_text(title, outline)
        yield kind, source, item_id, status, code, confidence, cluster, text, published, None
    imported: Iterator[Any] = plain_rows(session, _imports_with_texts(run_id, dated=dated))
    yield from imported


def _comments_with_texts(
    run_id: int, dated: bool, start: CommentKey | None, stop: CommentKey | None
) -> Select[Any]:
    facts = (Comment.created_at, Comment.policy_uuid) if dated else (null(), null())
    return (
        select(*placement_columns("comment"), func.coalesce(Comment.text, ""), *facts)
        .outerjoin(Comment, comment_join())
        # an agency reply is not public input (``queries.runs.public_assignments``)
        .where(
            Assignment.run_id == run_id,
            Assignment.item_kind == "comment",
            Comment.author_kind.is_distinct_from(AGENCY),
            *comment_cut(start, stop),
        )
        .order_by(Assignment.item_source, Assignment.item_id)
    )


def _ideas_with_texts(run_id: int, *, dated: bool) -> Select[Any]:
    return (
        select(
            *placement_columns("idea"),
            Idea.title,
            Idea.outline,
            Idea.published_at if dated else null(),
            null(),
        )
        .outerjoin(Idea, idea_join())
        .where(Assignment.run_id == run_id, Assignment.item_kind == "idea")
        .order_by(Assignment.item_source, Assignment.item_id)
    )


def _imports_with_texts(run_id: int, *, dated: bool) -> Select[Any]:
    return (
        select(
            *placement_columns("import"),
            func.coalesce(ImportedItem.text, ""),
            ImportedItem.created_at if dated else null(),
            null(),
        )
        .outerjoin(ImportedItem, import_join())
        .where(Assignment.run_id == run_id, Assignment.item_kind == "import")
        .order_by(Assignment.item_source, Assignment.item_id)
    )


__all__ = [
    "COMMENT_EXPORT",
    "PROPOSAL_EXPORT",
    "RESPONSE_EXPORT",
    "ExportedAssignment",
    "export_comments",
    "export_proposals",
    "export_responses",
    "run_assignments_with_texts",
]
