"""The overview and the consultation pages: the stored consultations, the agency replies on their boards,
and the totals of what is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import AGENCY, Comment, Idea, ImportedItem, Policy


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


def counts(session: Session) -> dict[str, int]:
    """Totals of what is stored, whether or not an analysis covered it. The comments and the agency replies
    are counted in one pass over the comments (each pass reads every stored comment)."""
    visible, replies = session.execute(
        select(func.count(), func.count().filter(Comment.author_kind == AGENCY))
        .select_from(Comment)
        .where(Comment.is_deleted.is_(False))
    ).one()
    return {
        "policies": session.scalar(select(func.count()).select_from(Policy)) or 0,
        "comments": visible - replies,  # an author kind is never NULL: every other one is public input
        "agency_replies": replies,
        "proposals": session.scalar(select(func.count()).select_from(Idea)) or 0,
        "imported": session.scalar(select(func.count()).select_from(ImportedItem)) or 0,
    }


__all__ = [
    "AgencyReplyRow",
    "PolicyRow",
    "agency_replies",
    "counts",
    "policies",
]
