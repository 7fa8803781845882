"""Board pages kept raw, read again to classify the authors of comments stored before ``author_kind``
existed (migration 0002 set every such row to ``citizen``)."""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping

from sqlalchemy import Engine, select, update

from storage.db import transaction
from storage.models import Comment, RawPayload

BOARD_PATH = "/joinComments/board/policy/"
_CHUNK = 500


def stored_board_pages(engine: Engine) -> Iterator[tuple[str, bytes]]:
    """``(url, body)`` of every raw comment-board page, one at a time (bodies are large)."""
    with transaction(engine) as session:
        ids = list(session.scalars(select(RawPayload.id).where(RawPayload.url.contains(BOARD_PATH))))
    for pid in ids:
        with transaction(engine) as session:
            row = session.execute(
                select(RawPayload.url, RawPayload.body_zlib).where(RawPayload.id == pid)
            ).one()
        yield row.url, zlib.decompress(row.body_zlib)


def set_author_kinds(engine: Engine, site: str, kinds: Mapping[str, str]) -> int:
    """Write each comment's ``author_kind`` where it differs; returns how many rows changed."""
    changed = 0
    uids = sorted(kinds)
    with transaction(engine) as session:
        for start in range(0, len(uids), _CHUNK):
            chunk = uids[start : start + _CHUNK]
            stored = session.execute(
                select(Comment.msg_uid, Comment.author_kind).where(
                    Comment.site == site, Comment.msg_uid.in_(chunk)
                )
            )
            for uid, kind in stored:
                if kind != kinds[uid]:
                    session.execute(
                        update(Comment)
                        .where(Comment.site == site, Comment.msg_uid == uid)
                        .values(author_kind=kinds[uid])
                    )
                    changed += 1
    return changed


__all__ = ["BOARD_PATH", "set_author_kinds", "stored_board_pages"]
