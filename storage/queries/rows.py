"""Rows of a large read, as plain rows, a batch at a time."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import TypeVarTuple

from sqlalchemy import Row, Select
from sqlalchemy.orm import Session

BATCH = 5000  # rows fetched at a time
Columns = TypeVarTuple("Columns")


def plain_rows(session: Session, query: Select[*Columns], batch: int = BATCH) -> Iterator[Row[*Columns]]:
    """The rows of ``query``, fetched ``batch`` at a time (a server-side cursor on PostgreSQL).

    Executed on the session's connection, so without the ORM's row loading, which costs as much as the query
    for a run of a million items; and a batch at a time, not row by row (a driver call per row costs as
    much again) nor all at once (nothing held beyond a batch).
    """
    result = session.connection().execute(query.execution_options(yield_per=batch))
    return chain.from_iterable(result.partitions())


__all__ = ["BATCH", "plain_rows"]
