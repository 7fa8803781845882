"""The ``export`` command's stored comments, proposals and agency responses, with their columns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.items import ItemKey
from storage.models import AgencyResponse, Assignment, Comment, Idea, ImportedItem, Policy
from storage.queries.items import comment_join, idea_join, idea_text, import_join
from storage.queries.runs import public_assignments
from storage.run_rows import StoredAssignment

EXPORT_BATCH = 5000  # rows fetched at a time by the streamed export

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


def run_assignments_streamed(session: Session, run_id: int) -> Iterator[StoredAssignment]:
    """Every item of public input of a run, in the order of ``queries.runs.assignments``, batch by batch."""
    for row in session.execute(public_assignments(run_id)).yield_per(EXPORT_BATCH):
        yield StoredAssignment(*row)


def run_texts(session: Session, run_id: int) -> dict[ItemKey, str]:
    """The stored text of every item of a run, by key: only the text, for the assignments export
    (``queries.items.run_item_texts`` also reads each item's link and date)."""
    texts: dict[ItemKey, str] = {}
    comments = select(Comment.site, Comment.msg_uid, Comment.text).join(Assignment, comment_join())
    for site, msg_uid, text in session.execute(comments.where(Assignment.run_id == run_id)).yield_per(
        EXPORT_BATCH
    ):
        texts[ItemKey("comment", site, msg_uid)] = text or ""
    ideas = select(Idea.site, Idea.uuid, Idea.title, Idea.outline).join(Assignment, idea_join())
    for site, uuid, title, outline in session.execute(ideas.where(Assignment.run_id == run_id)).yield_per(
        EXPORT_BATCH
    ):
        texts[ItemKey("idea", site, uuid)] = idea_text(title, outline)
    imported = select(ImportedItem.dataset, ImportedItem.item_id, ImportedItem.text).join(
        Assignment, import_join()
    )
    for dataset, item_id, text in session.execute(imported.where(Assignment.run_id == run_id)).yield_per(
        EXPORT_BATCH
    ):
        texts[ItemKey("import", dataset, item_id)] = text or ""
    return texts


__all__ = [
    "COMMENT_EXPORT",
    "PROPOSAL_EXPORT",
    "RESPONSE_EXPORT",
    "export_comments",
    "export_proposals",
    "export_responses",
    "run_assignments_streamed",
    "run_texts",
]
