"""Run one independent step of the analysis in a forked child while the parent goes on.

Duplicate detection needs only the normalised texts, and assignment never looks at duplicates, so
on a large corpus the two can use both cores at once. The child is forked (it inherits the inputs,
nothing is pickled on the way in) and sends back only its result; where ``fork`` is unavailable,
or the input is small enough that forking costs more than it saves, the step runs in the parent
when its result is asked for. Either way the result is the same.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.pool import AsyncResult, Pool
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_JOB: Callable[[], Any] | None = None


def _run_job() -> Any:
    assert _JOB is not None, "the background job is set before the child is forked"
    return _JOB()


class Pending(Generic[T]):
    """The future result of a step: :meth:`result` waits for the child (or runs the step here)."""

    def __init__(self, job: Callable[[], T], pool: Pool | None, handle: AsyncResult[T] | None) -> None:
        self._job, self._pool, self._handle = job, pool, handle

    @property
    def forked(self) -> bool:
        return self._pool is not None

    def result(self) -> T:
        if self._handle is None:
            return self._job()
        return self._handle.get()


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


@contextmanager
def in_background(job: Callable[[], T], *, fork: bool) -> Iterator[Pending[T]]:
    """``job()`` in a forked child when ``fork`` (and the platform allows it), else lazily in the parent.

    Leaving the block stops the child, so an error in the parent never leaves a process behind.
    """
    global _JOB
    if not (fork and can_fork()):
        yield Pending(job, None, None)
        return
    _JOB = job
    try:
        pool = mp.get_context("fork").Pool(1)  # forks now: the child holds the job and its inputs
    finally:
        _JOB = None
    try:
        yield Pending(job, pool, pool.apply_async(_run_job))
    finally:
        pool.terminate()
        pool.join()


__all__ = ["Pending", "can_fork", "in_background"]
