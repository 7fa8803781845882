"""One crawl (or analysis, or schedule) at a time per database; a crashed holder leaves no lock behind.

PostgreSQL: a session advisory lock on a hash of the name, held on a dedicated connection (the server drops
it when that connection dies). SQLite: ``flock`` on ``<db file>.lock`` (the kernel drops it when the process
dies). Either way a ``run_lock`` row names the holder so that the refusal can say who and since when.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine

from base.errors import UserError
from storage import advisory, locks
from storage.db import LOCKED_EXIT_CODE

POLL_SECONDS = 0.25

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HeldLock:
    name: str
    holder: str
    waited: float  # seconds spent waiting for it


def holder_id() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


@contextmanager
def run_lock(
    engine: Engine, name: str, *, wait: bool = False, timeout: float = 0, shared: bool = False
) -> Iterator[HeldLock]:
    """Hold the lock ``name`` on the database of ``engine`` for the ``with`` block.

    Refused (``UserError``, exit code 3) when someone else holds it, unless ``wait``: then poll until it
    is free, for at most ``timeout`` seconds (0: without limit). ``shared`` holders (several crawl workers
    of one distributed crawl) coexist with each other but not with an exclusive holder.
    """
    backend = (
        _Postgres(engine, name, shared)
        if engine.dialect.name == "postgresql"
        else _SQLiteFile(engine, name, shared)
    )
    started = time.monotonic()
    while not backend.try_acquire():
        waited = time.monotonic() - started
        if not wait or (timeout and waited >= timeout):
            raise UserError(
                _refusal(engine, name, waited if wait else None, backend), exit_code=LOCKED_EXIT_CODE
            )
        time.sleep(POLL_SECONDS)
    me = holder_id()
    row = locks.row_name(name, me if shared else None)
    try:
        locks.record_holder(engine, row, me)
    except BaseException:
        # Nothing was recorded, so nothing is cleared: a database another program holds would make the
        # clearing wait SQLite's busy timeout a second time.
        backend.release()
        raise
    try:
        log.debug("lock %s acquired by %s", name, me)
        yield HeldLock(name, me, time.monotonic() - started)
    finally:
        locks.clear_holder(engine, row, me)
        backend.release()


def is_locked(engine: Engine, name: str) -> bool:
    """Whether someone holds ``name`` now (tries it and lets go at once)."""
    if engine.dialect.name == "postgresql":
        backend: _Backend = _Postgres(engine, name, False)
    else:
        backend = _SQLiteFile(engine, name, False)
        if backend.path is not None and not backend.path.exists():
            return False  # nobody ever locked it; a status probe creates no file
    if backend.try_acquire():
        backend.release()
        return False
    return True


def _refusal(engine: Engine, name: str, waited: float | None, backend: _Backend) -> str:
    holders = locks.read_holders(engine, name) or backend.holders()
    if holders:
        described = "; ".join(
            h.holder + (f", since {_when(h.acquired_at)}" if h.acquired_at else "") for h in holders
        )
    else:
        described = "holder unknown"
    message = f"another {name} is running on this database ({described})"
    if waited is not None:
        message += f"; gave up waiting after {waited:.1f} s"
    return message


def _when(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return aware.astimezone().isoformat(timespec="seconds")


class _Backend:
    def try_acquire(self) -> bool:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def holders(self) -> list[locks.LockHolder]:
        return []


class _Postgres(_Backend):
    def __init__(self, engine: Engine, name: str, shared: bool) -> None:
        self.engine, self.key, self.shared = engine, advisory.advisory_key(name), shared
        self.connection: Connection | None = None

    def try_acquire(self) -> bool:
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if advisory.pg_try_lock(connection, self.key, shared=self.shared):
            self.connection = connection
            return True
        connection.close()
        return False

    def release(self) -> None:
        if self.connection is None:
            return
        try:
            advisory.pg_unlock(self.connection, self.key, shared=self.shared)
        finally:
            # Never hand a connection that might still hold the lock back to the pool.
            self.connection.invalidate()
            self.connection.close()
            self.connection = None

    def holders(self) -> list[locks.LockHolder]:
        with self.engine.connect() as connection:
            return locks.pg_holders(connection, self.key)


class _SQLiteFile(_Backend):
    def __init__(self, engine: Engine, name: str, shared: bool) -> None:
        # flock, not lockf: POSIX record locks belong to the process and vanish when any descriptor of
        # the file closes, so two holders in one process (or a status probe) would not exclude each other.
        self.path, self.shared = locks.sqlite_lock_file(engine, name), shared
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        if self.path is None:  # an in-memory database cannot be shared between processes
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing drops the lock
            self.fd = None


__all__ = ["LOCKED_EXIT_CODE", "HeldLock", "holder_id", "is_locked", "run_lock"]
