"""The items of a run as quotes, exports and charts read them: their stored texts, dates, likes and
endorsements, and the consultation of each comment. Items are named by their key (``storage.items``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from storage.items import ItemKey
from storage.models import AGENCY, Assignment, Comment, Idea, ImportedItem

IN_CHUNK = 500  # bound the size of IN (...) lists: SQLite's variable limit, PostgreSQL plan size


@dataclass(frozen=True, slots=True)
class ItemText:
    """The stored text of one item, exactly as the analysis saw it (see ``storage.corpus.load_items``)."""

    key: ItemKey
    text: str
    url: str
    created_at: datetime | None

    @property
    def kind(self) -> str:
        return self.key.kind

    @property
    def item_id(self) -> str:
        return self.key.item_id


def _chunked(values: Iterable[tuple[str, str]]) -> Iterator[tuple[str, list[str]]]:
    """``(source, id)`` pairs as ``(source, ids)``, at most ``IN_CHUNK`` ids at a time, in sorted order.

    A source and a list of ids, not a list of pairs: SQLite searches its (source, id) index for
    ``source = ? AND id IN (…)`` but scans the whole table for ``(source, id) IN (VALUES …)``.
    """
    by_source: dict[str, list[str]] = {}
    for source, item_id in sorted(values):
        by_source.setdefault(source, []).append(item_id)
    for source, ids in by_source.items():
        for start in range(0, len(ids), IN_CHUNK):
            yield source, ids[start : start + IN_CHUNK]


def idea_text(title: str, outline: str) -> str:
    """An idea's analysed text: title and outline on two lines, as ``storage.corpus.load_items`` does."""
    return "\n".join(part for part in (title, outline) if part)


# How an assignment names its item (storage.items.ItemKey): kind, source and the source's own id.


def comment_join() -> ColumnElement[bool]:
    return (
        (Assignment.item_kind == "comment")
        & (Assignment.item_source == Comment.site)
        & (Assignment.item_id == Comment.msg_uid)
    )


def idea_join() -> ColumnElement[bool]:
    return (
        (Assignment.item_kind == "idea")
        & (Assignment.item_source == Idea.site)
        & (Assignment.item_id == Idea.uuid)
    )


def import_join() -> ColumnElement[bool]:
    return (
        (Assignment.item_kind == "import")
        & (Assignment.item_source == ImportedItem.dataset)
        & (Assignment.item_id == ImportedItem.item_id)
    )


def item_texts(session: Session, keys: Iterable[ItemKey]) -> dict[ItemKey, ItemText]:
    """Stored texts for the given items (a few hundred at most per report page)."""
    wanted: dict[str, set[tuple[str, str]]] = {}
    for key in keys:
        wanted.setdefault(key.kind, set()).add((key.source, key.item_id))
    found: dict[ItemKey, ItemText] = {}
    for source, ids in _chunked(wanted.get("comment", ())):
        # An agency reply is never quoted as public input, even when an older run analysed it.
        for site, msg_uid, text, url, created in session.execute(
            select(Comment.site, Comment.msg_uid, Comment.text, Comment.url, Comment.created_at).where(
                Comment.site == source, Comment.msg_uid.in_(ids), Comment.author_kind != AGENCY
            )
        ):
            key = ItemKey("comment", site, msg_uid)
            found[key] = ItemText(key, text or "", url or "", created)
    for source, ids in _chunked(wanted.get("idea", ())):
        for site, uuid, title, outline, url, published in session.execute(
            select(Idea.site, Idea.uuid, Idea.title, Idea.outline, Idea.url, Idea.published_at).where(
                Idea.site == source, Idea.uuid.in_(ids)
            )
        ):
            key = ItemKey("idea", site, uuid)
            found[key] = ItemText(key, idea_text(title, outline), url or "", published)
    for source, ids in _chunked(wanted.get("import", ())):
        for dataset, item_id, text, url, created in session.execute(
            select(
                ImportedItem.dataset,
                ImportedItem.item_id,
                ImportedItem.text,
                ImportedItem.url,
                ImportedItem.created_at,
            ).where(ImportedItem.dataset == source, ImportedItem.item_id.in_(ids))
        ):
            key = ItemKey("import", dataset, item_id)
            found[key] = ItemText(key, text or "", url or "", created)
    return found


def run_item_texts(session: Session, run_id: int) -> Iterator[ItemText]:
    """The text of every item of a run, streamed (for the assignments export)."""
    comments = select(Comment.site, Comment.msg_uid, Comment.text, Comment.url, Comment.created_at).join(
        Assignment, comment_join()
    )
    for site, msg_uid, text, url, created in session.execute(
        comments.where(Assignment.run_id == run_id)
    ).yield_per(5000):
        yield ItemText(ItemKey("comment", site, msg_uid), text or "", url or "", created)
    ideas = select(Idea.site, Idea.uuid, Idea.title, Idea.outline, Idea.url, Idea.published_at).join(
        Assignment, idea_join()
    )
    for site, uuid, title, outline, url, published in session.execute(
        ideas.where(Assignment.run_id == run_id)
    ).yield_per(5000):
        yield ItemText(ItemKey("idea", site, uuid), idea_text(title, outline), url or "", published)
    imported = select(
        ImportedItem.dataset,
        ImportedItem.item_id,
        ImportedItem.text,
        ImportedItem.url,
        ImportedItem.created_at,
    ).join(Assignment, import_join())
    for dataset, item_id, text, url, created in session.execute(
        imported.where(Assignment.run_id == run_id)
    ).yield_per(5000):
        yield ItemText(ItemKey("import", dataset, item_id), text or "", url or "", created)


# Each fact of a run's items by key, a query each: pages read them with the assignments
# (``queries.runs.assignments``); these plain forms are what the tests compare that with.


def run_item_dates(session: Session, run_id: int) -> dict[ItemKey, datetime]:
    """When each item of a run was written (for charts over time and the data period)."""
    queries = (
        (
            "comment",
            select(Comment.site, Comment.msg_uid, Comment.created_at).join(Assignment, comment_join()),
        ),
        ("idea", select(Idea.site, Idea.uuid, Idea.published_at).join(Assignment, idea_join())),
        (
            "import",
            select(ImportedItem.dataset, ImportedItem.item_id, ImportedItem.created_at).join(
                Assignment, import_join()
            ),
        ),
    )
    dates: dict[ItemKey, datetime] = {}
    for kind, query in queries:
        for source, item_id, created in session.execute(query.where(Assignment.run_id == run_id)):
            if created is not None:
                dates[ItemKey(kind, source, item_id)] = created
    return dates


def run_comment_policies(session: Session, run_id: int) -> dict[ItemKey, str]:
    """The consultation of each comment of a run."""
    query = select(Comment.site, Comment.msg_uid, Comment.policy_uuid).join(Assignment, comment_join())
    return {
        ItemKey("comment", site, msg_uid): policy
        for site, msg_uid, policy in session.execute(query.where(Assignment.run_id == run_id))
    }


def run_item_engagement(session: Session, run_id: int) -> dict[ItemKey, tuple[int, int]]:
    """Likes of each comment and endorsements of each proposal of a run: ``{key: (likes, endorsements)}``."""
    out: dict[ItemKey, tuple[int, int]] = {}
    comments = select(Comment.site, Comment.msg_uid, Comment.like_count).join(Assignment, comment_join())
    for site, msg_uid, likes in session.execute(comments.where(Assignment.run_id == run_id)):
        out[ItemKey("comment", site, msg_uid)] = (int(likes or 0), 0)
    ideas = select(Idea.site, Idea.uuid, Idea.endorse_count).join(Assignment, idea_join())
    for site, uuid, endorsements in session.execute(ideas.where(Assignment.run_id == run_id)):
        out[ItemKey("idea", site, uuid)] = (0, int(endorsements or 0))
    return out


__all__ = [
    "IN_CHUNK",
    "ItemText",
    "comment_join",
    "idea_join",
    "idea_text",
    "import_join",
    "item_texts",
    "run_comment_policies",
    "run_item_dates",
    "run_item_engagement",
    "run_item_texts",
]
