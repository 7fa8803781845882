"""The items of a run as quotes, exports and charts read them: their stored texts, dates, likes and
endorsements, and the consultation of each comment.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AGENCY, Assignment, Comment, Idea, ImportedItem

IN_CHUNK = 500  # bound the size of IN (...) lists: SQLite's variable limit, PostgreSQL plan size

ItemKey = tuple[str, str]  # (item_kind, item_id)


@dataclass(frozen=True, slots=True)
class ItemText:
    """The stored text of one item, exactly as the analysis saw it (see ``storage.corpus.load_items``)."""

    kind: str
    item_id: str
    text: str
    url: str
    created_at: datetime | None


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


def run_comment_policies(session: Session, run_id: int) -> dict[str, str]:
    """The consultation of each comment of a run: ``{msg_uid: policy_uuid}``."""
    query = select(Comment.msg_uid, Comment.policy_uuid).join(
        Assignment, (Assignment.item_id == Comment.msg_uid) & (Assignment.item_kind == "comment")
    )
    # iter(): dict() would take a Result for a mapping (it has keys(): its column names); each Row is a pair
    return dict(iter(session.execute(query.where(Assignment.run_id == run_id))))


__all__ = [
    "IN_CHUNK",
    "ItemKey",
    "ItemText",
    "idea_text",
    "item_texts",
    "run_comment_policies",
    "run_item_dates",
    "run_item_engagement",
    "run_item_texts",
]
