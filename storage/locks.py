"""The SQL side of run locks: PostgreSQL advisory locks and the ``run_lock`` rows that say who holds what.

The rows are information for the refusal message, never the lock itself: on PostgreSQL the advisory lock
(released by the server when the holder's connection dies) decides, on SQLite a file lock does (released by
the kernel when the holder dies). A crashed holder's row is simply overwritten by the next holder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, or_, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from storage.db import table_exists, transaction, upsert
from storage.models import RunLock, utcnow

NAME_LENGTH = 50  # RunLock.name


@dataclass(frozen=True, slots=True)
class LockHolder:
    name: str
    holder: str
    acquired_at: datetime | None


def pg_holders(connection: Connection, key: int) -> list[LockHolder]:
    """Server processes holding the advisory lock ``key`` in this database (when no row says more)."""
    # A bigint advisory key is split into classid (high 32 bits) and objid (low 32 bits), objsubid 1.
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    rows = connection.execute(
        text(
            "SELECT l.pid, a.backend_start FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid = :hi AND l.objid = :lo AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF},
    ).all()
    return [
        LockHolder("", f"PostgreSQL backend {pid}", started if isinstance(started, datetime) else None)
        for pid, started in rows
    ]


def sqlite_lock_file(engine: Engine, name: str = "crawl") -> Path | None:
    """The file whose ``flock`` is the lock ``name`` of a SQLite database; ``None`` when in memory.

    ``<db file>.lock`` for the crawl lock, ``<db file>.<name>.lock`` for any other.
    """
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    path = Path(database).expanduser().resolve()
    suffix = ".lock" if name == "crawl" else f".{_safe(name)}.lock"
    return path.with_name(path.name + suffix)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def row_name(name: str, holder_id: str | None = None) -> str:
    """The ``run_lock`` key: the lock's name, or ``name@holder`` for one of several shared holders."""
    return (name if holder_id is None else f"{name}@{holder_id}")[:NAME_LENGTH]


def record_holder(engine: Engine, name: str, holder: str) -> None:
    """Say who holds ``name`` now (overwrites what a crashed holder left)."""
    if not table_exists(engine, RunLock.__tablename__):
        return
    now = utcnow()
    with transaction(engine) as session:
        upsert(
            session,
            RunLock,
            [{"name": name, "holder": holder[:200], "acquired_at": now, "heartbeat_at": now}],
            keys=["name"],
            update=["holder", "acquired_at", "heartbeat_at"],
        )


def clear_holder(engine: Engine, name: str, holder: str) -> None:
    """Remove our row (only ours: a later holder may already have overwritten it)."""
    try:
        with transaction(engine) as session:
            session.execute(delete(RunLock).where(RunLock.name == name, RunLock.holder == holder[:200]))
    except (OperationalError, ProgrammingError):
        pass  # the row is information only; the lock itself is already gone


def read_holders(engine: Engine, name: str) -> list[LockHolder]:
    """Rows for ``name`` and its shared holders, oldest first."""
    if not table_exists(engine, RunLock.__tablename__):
        return []
    with transaction(engine) as session:
        rows = session.scalars(
            select(RunLock)
            .where(or_(RunLock.name == name, RunLock.name.like(f"{name}@%")))
            .order_by(RunLock.acquired_at)
        ).all()
        return [LockHolder(r.name, r.holder, r.acquired_at) for r in rows]


__all__ = [
    "LockHolder",
    "clear_holder",
    "pg_holders",
    "read_holders",
    "record_holder",
    "row_name",
    "sqlite_lock_file",
]
