"""The analysable corpus: every comment, proposal and imported item as one flat, ordered list."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import TypeVarTuple

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from storage.items import ItemKey
from storage.models import AGENCY, Comment, Idea, ImportedItem

_CHUNK = 1000
Columns = TypeVarTuple("Columns")


@dataclass(frozen=True, slots=True)
class TextItem:
    """What the analysis needs of one item; ``item_id`` is the site's or the file's own id, ``key`` the
    item's identity across sources (``storage.items``), by which an analysis refers to other items."""

    kind: str  # comment | idea | import
    item_id: str
    text: str
    url: str = ""
    created_at: datetime | None = None
    author: str = ""
    context: str = ""  # the consultation's uuid for a comment
    source: str = ""  # the site of a comment or proposal, the dataset of an imported item

    @property
    def key(self) -> ItemKey:
        return ItemKey(self.kind, self.source, self.item_id)


def load_items(session: Session, *, include_deleted: bool = False) -> list[TextItem]:
    """All items of public input in a deterministic order (kind, then id) so that analyses are reproducible.

    Agency replies (comments whose ``author_kind`` is ``"agency"``: agencies or the platform answering on
    a board) are not public input and are left out: never counted, assigned, clustered or quoted.

    Only the needed columns are selected, as plain Core rows: building ORM objects (identity map,
    state, every column parsed, ``html`` included) cost more than the query itself (docs/benchmarks.md).
    Column selects still go through ``UTCDateTime``, so times come back tz-aware, in UTC.
    """
    comments = select(
        Comment.msg_uid,
        Comment.text,
        Comment.url,
        Comment.created_at,
        Comment.author,
        Comment.policy_uuid,
        Comment.site,
    ).order_by(Comment.site, Comment.msg_uid)
    comments = comments.where(Comment.author_kind != AGENCY)
    if not include_deleted:
        comments = comments.where(Comment.is_deleted.is_(False))
    items = [
        TextItem("comment", uid, text, url, created, author, policy, site)
        for uid, text, url, created, author, policy, site in _rows(session, comments)
        if text.strip()
    ]
    ideas = select(
        Idea.uuid, Idea.title, Idea.outline, Idea.url, Idea.published_at, Idea.proposer, Idea.site
    ).order_by(Idea.site, Idea.uuid)
    for uuid, title, outline, url, published, proposer, site in _rows(session, ideas):
        text = "\n".join(part for part in (title, outline) if part)
        if text.strip():
            items.append(TextItem("idea", uuid, text, url, published, proposer, source=site))
    imported = select(
        ImportedItem.item_id,
        ImportedItem.text,
        ImportedItem.url,
        ImportedItem.created_at,
        ImportedItem.author,
        ImportedItem.dataset,
    ).order_by(ImportedItem.dataset, ImportedItem.item_id)
    items.extend(
        TextItem("import", item_id, text, url, created, author, dataset, dataset)
        for item_id, text, url, created, author, dataset in _rows(session, imported)
    )
    return items


def _rows(session: Session, query: Select[*Columns]) -> Iterator[Row[*Columns]]:
    """The query's rows, fetched ``_CHUNK`` at a time.

    Not row by row (a ``fetchone`` per row costs as much as the rest), nor all at once: rows held all
    at once outlive the collector's young generations and set off full collections, each one walking
    every object of the process.
    """
    return chain.from_iterable(session.connection().execute(query).partitions(_CHUNK))
