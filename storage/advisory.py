"""The database's own locks: PostgreSQL advisory locks by name, and the lock that serialises migrations.

``storage.db`` takes the migration lock and ``storage.locks`` records who holds a run lock; both stand on this
module, which imports neither.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, text


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (what ``pg_try_advisory_lock(bigint)`` takes)."""
    digest = hashlib.sha256(f"joinfeedback:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def pg_try_lock(connection: Connection, key: int, *, shared: bool = False) -> bool:
    function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
    return bool(connection.execute(text(f"SELECT {function}(:key)"), {"key": key}).scalar())


def pg_unlock(connection: Connection, key: int, *, shared: bool = False) -> bool:
    function = "pg_advisory_unlock_shared" if shared else "pg_advisory_unlock"
    return bool(connection.execute(text(f"SELECT {function}(:key)"), {"key": key}).scalar())


def serialize_migrations(connection: Connection) -> None:
    """Make concurrent first-time migrations of one database wait for each other.

    Call first inside the migration's transaction (``storage.db.upgrade``): the lock ends with it, and the
    second process then finds the schema at head instead of racing to create the tables. PostgreSQL: a
    transaction advisory lock. SQLite: the Python driver runs DDL outside any transaction unless one was
    begun explicitly, so ``BEGIN IMMEDIATE`` takes the write lock now (a second process waits for it up to
    the busy timeout) and makes the whole schema creation one transaction.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key("migrate")})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


__all__ = ["advisory_key", "pg_try_lock", "pg_unlock", "serialize_migrations"]
