"""The analysable corpus: every comment, proposal and imported item as one flat, ordered list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Comment, Idea, ImportedItem


@dataclass(frozen=True, slots=True)
class TextItem:
    """What the analysis needs of one item; ``item_id`` is the site's or the file's own id."""

    kind: str  # comment | idea | import
    item_id: str
    text: str
    url: str = ""
    created_at: datetime | None = None
    author: str = ""
    context: str = ""  # the consultation's uuid for a comment


def load_items(session: Session, *, include_deleted: bool = False) -> list[TextItem]:
    """All items in a deterministic order (kind, then id) so that analyses are reproducible."""
    items: list[TextItem] = []
    comments = select(Comment).order_by(Comment.site, Comment.msg_uid)
    if not include_deleted:
        comments = comments.where(Comment.is_deleted.is_(False))
    for c in session.scalars(comments):
        if c.text.strip():
            items.append(TextItem("comment", c.msg_uid, c.text, c.url, c.created_at, c.author, c.policy_uuid))
    for i in session.scalars(select(Idea).order_by(Idea.site, Idea.uuid)):
        text = "\n".join(part for part in (i.title, i.outline) if part)
        if text.strip():
            items.append(TextItem("idea", i.uuid, text, i.url, i.published_at, i.proposer))
    for m in session.scalars(select(ImportedItem).order_by(ImportedItem.dataset, ImportedItem.item_id)):
        items.append(TextItem("import", m.item_id, m.text, m.url, m.created_at, m.author, m.dataset))
    return items
