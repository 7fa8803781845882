"""Database writes that outlive a dropped connection or a restarting server, and say clearly when they cannot.

A connection the server closed (``pg_terminate_backend``, a restart) is retried with back-off; a full disk is
not worth waiting for: it fails at once with a message saying what to do.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

logger = logging.getLogger(__name__)
T = TypeVar("T")

_FULL_MARKERS = (
    "disk is full",
    "no space left",
    "could not extend file",
    "database or disk is full",
    "diskfull",
    "disk full",
)
_TRANSIENT_MARKERS = (
    "terminating connection",
    "server closed the connection",
    "connection refused",
    "could not connect",
    "the database system is starting up",
    "the database system is shutting down",
    "connection already closed",
    "ssl connection has been closed",
    "connection reset",
    "database is locked",
    "consuming input failed",
    "no connection to the server",
)


class StoreError(RuntimeError):
    """A write the crawler gave up on; the message says why and what to do."""


def is_disk_full(error: BaseException) -> bool:
    return any(marker in str(error).lower() for marker in _FULL_MARKERS)


def is_transient(error: BaseException) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError) and any(m in str(error).lower() for m in _TRANSIENT_MARKERS)


def describe(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    if is_disk_full(error):
        return f"the database's disk is full ({first})"
    return f"{type(error).__name__}: {first}"


def with_retries(write: Callable[[], T], *, what: str, wait_total: float = 30.0) -> T:
    """Run ``write``; on a lost connection wait (0.5 s, doubling) and run it again for up to ``wait_total``
    seconds. Raises StoreError naming ``what`` when the database stays away, the disk is full, or the error
    is not a connection problem."""
    delay, waited = 0.5, 0.0
    while True:
        try:
            return write()
        except DBAPIError as error:
            if is_disk_full(error) or not is_transient(error) or waited >= wait_total:
                raise StoreError(f"{what}: {describe(error)}") from error
            logger.warning("%s: %s; trying again in %.1f s", what, describe(error), delay)
            time.sleep(delay)
            waited += delay
            delay = min(delay * 2, 5.0)


__all__ = ["StoreError", "describe", "is_disk_full", "is_transient", "with_retries"]
