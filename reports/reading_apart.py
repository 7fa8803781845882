"""A large run's reading shared with forked children while this process reads: the second half of its
comments read by one, its changes since the previous run compared by another. Each is forked before the run
is read, so it copies nothing of it (forked after, it would share the run's pages, and each reference count
this process then changes would copy one); each has its own database connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from sys import intern
from typing import cast

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from base.forked import can_fork, in_child, several_cores
from storage.items import ItemKey
from storage.models import AssignmentStatus
from storage.queries import runs as run_queries
from storage.queries.runs import AssignmentColumns, RunInfo
from storage.run_rows import StoredAssignment

# A run of at least this many items has the last part of its comments read by a forked child while this
# process reads the first, when this process has more than one core (``base.forked.several_cores``):
# unpickling the child's rows here costs a fraction of reading them (docs/benchmarks.md).
READ_APART_FROM = 100_000
# The share of the comments this process reads: more than half, as the child also pickles its rows
# and this process then unpickles them, so that both parts are done at about the same time.
READ_HERE = 0.6


def sent_once(rows: Iterable[AssignmentColumns]) -> list[AssignmentColumns]:
    """The rows, with each text that many of them repeat (kind, source, status, commitment, theme, campaign,
    consultation) one object (``sys.intern``), which pickle then sends and makes once, not once a row."""
    return [
        (
            intern(kind),
            intern(source),
            item_id,
            cast("AssignmentStatus", intern(status)),
            code and intern(code),
            confidence,
            cluster and intern(cluster),
            duplicate_of,
            campaign and intern(campaign),
            created_at,
            policy and intern(policy),
            likes,
            endorsements,
        )
        for (
            kind,
            source,
            item_id,
            status,
            code,
            confidence,
            cluster,
            duplicate_of,
            campaign,
            created_at,
            policy,
            likes,
            endorsements,
        ) in rows
    ]


@contextmanager
def assignments_apart(session: Session, run: RunInfo) -> Iterator[Callable[[], tuple[StoredAssignment, ...]]]:
    """``queries.runs.assignments`` of the run, as a function to call: for a large run, this process reads
    the first comments (``READ_HERE`` of them) and a forked child the rest meanwhile (started before anything
    is read, so it copies nothing of the run), else this process reads them all then."""
    engine = session.get_bind()
    large = run.n_items >= READ_APART_FROM and can_fork() and several_cores()
    cut = (
        run_queries.comment_key_at(session, run.id, READ_HERE, smallest=READ_APART_FROM // 2)
        if large
        else None
    )
    if cut is None or not isinstance(engine, Engine):
        yield lambda: tuple(run_queries.assignments(session, run.id))
        return

    def read_rest() -> list[AssignmentColumns]:
        engine.dispose(close=False)  # the child's own connections; the parent's are left to the parent
        with Session(engine) as own:
            return sent_once(run_queries.assignment_rows(own, run.id, start=cut))

    def read() -> tuple[StoredAssignment, ...]:
        first = run_queries.assignments(session, run.id, stop=cut)
        return (*first, *(StoredAssignment(*row) for row in child.result()))

    with in_child(read_rest) as child:
        yield read


# A run of at least this many items has its changes since the previous run compared (an outer join over
# both runs' assignments) by a forked child while this process reads the run's items, when this process has
# more than one core (``base.forked.several_cores``).
CHANGES_APART_FROM = 100_000


@contextmanager
def changes_apart(
    session: Session, run: RunInfo, previous: RunInfo | None
) -> Iterator[Callable[[], dict[ItemKey, bool]]]:
    """``queries.runs.changes_since`` of the run and the previous one, as a function to call once the run's
    items are read: in a forked child meanwhile for a large run (its own connection), else here then."""
    if previous is None:
        yield dict
        return
    engine = session.get_bind()
    apart = run.n_items >= CHANGES_APART_FROM and can_fork() and several_cores()
    if not apart or not isinstance(engine, Engine):
        yield lambda: run_queries.changes_since(session, run.id, previous.id)
        return

    def compare() -> dict[ItemKey, bool]:
        engine.dispose(close=False)  # the child's own connections; the parent's are left to the parent
        with Session(engine) as own:
            return run_queries.changes_since(own, run.id, previous.id)

    with in_child(compare) as child:
        yield child.result


__all__ = [
    "CHANGES_APART_FROM",
    "READ_APART_FROM",
    "READ_HERE",
    "assignments_apart",
    "changes_apart",
    "sent_once",
]
