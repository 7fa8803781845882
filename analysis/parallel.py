"""Forked workers for the analysis: one independent step in the background, or one function over parts.

:func:`in_background`: duplicate detection needs only the normalised texts, and assignment never looks
at duplicates, so on a large corpus the two can use both cores at once; within the assignment, the
corpus groups need no scores and form while the views score. The child is forked (it inherits
the inputs, nothing is pickled on the way in) and sends back only its result; where ``fork`` is
unavailable, or the input is small enough that forking costs more than it saves, the step runs in the
parent when its result is asked for. Either way the result is the same. The child is
``base.forked``'s: one that dies without a result (killed, out of memory) is reported, not waited for.

:func:`fork_map` (and :func:`fork_imap`, which yields each result as it is ready): a function over
parts of a large input (texts to normalise, blocks to segment, scopes to cluster, texts to encode) in a
pool of forked workers, which inherit the function and whatever it holds
(a loaded dictionary, a fitted vector space) and the parts; only the results are pickled. Callers
decide with :func:`fork_workers` whether the input is worth it, and compute serially otherwise.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Generic, TypeVar, cast

from base.forked import Child, can_fork, in_child

T = TypeVar("T")
P = TypeVar("P")
MAX_WORKERS = 4

# What the forked workers run, set before the fork so that they inherit it (never pickled); each result
# is pickled back.
_PART_JOB: Callable[[int], object] | None = None


def _run_part(index: int) -> object:
    assert _PART_JOB is not None, "the function is set before the workers are forked"
    return _PART_JOB(index)


class Pending(Generic[T]):
    """The future result of a step: :meth:`result` waits for the child (or runs the step here)."""

    def __init__(self, job: Callable[[], T], child: Child[T] | None) -> None:
        self._job, self._child = job, child

    @property
    def forked(self) -> bool:
        return self._child is not None

    def result(self) -> T:
        if self._child is None:
            return self._job()
        return self._child.result()


def fork_workers() -> int:
    """How many forked workers :func:`fork_map` may use here: the cores (at most ``MAX_WORKERS``), or 1
    where ``fork`` is unavailable (then the caller computes in this process)."""
    return min(os.cpu_count() or 1, MAX_WORKERS) if can_fork() else 1


def fork_map(
    function: Callable[[P], T],
    parts: Sequence[P],
    workers: int,
    *,
    meanwhile: Callable[[], object] | None = None,
) -> list[T]:
    """``[function(part) for part in parts]`` computed by ``workers`` forked processes, in order.

    ``meanwhile`` is called in this process while the workers compute.
    """
    global _PART_JOB
    _PART_JOB = lambda index: function(parts[index])  # noqa: E731
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            pending = pool.map_async(_run_part, range(len(parts)), chunksize=1)
            if meanwhile is not None:
                meanwhile()
            results = pending.get()
    finally:
        _PART_JOB = None
    return cast("list[T]", results)  # unpickled from the workers: each is function(part)


def fork_imap(function: Callable[[P], T], parts: Sequence[P], workers: int) -> Iterator[T]:
    """``function(part)`` for each part, computed by ``workers`` forked processes and yielded in order as
    each is ready (so that the caller can store and report progress as the work goes).

    Closing the generator early stops the workers.
    """
    global _PART_JOB
    _PART_JOB = lambda index: function(parts[index])  # noqa: E731
    try:
        pool = mp.get_context("fork").Pool(workers)  # forks now: the workers hold the function and parts
    finally:
        _PART_JOB = None
    try:
        for result in pool.imap(_run_part, range(len(parts)), chunksize=1):
            yield cast("T", result)  # unpickled from a worker: function(part)
    finally:
        pool.terminate()
        pool.join()


@contextmanager
def in_background(job: Callable[[], T], *, fork: bool) -> Iterator[Pending[T]]:
    """``job()`` in a forked child when ``fork`` (and the platform allows it), else lazily in the parent.

    Leaving the block stops the child, so an error in the parent never leaves a process behind.
    """
    if not (fork and can_fork()):
        yield Pending(job, None)
        return
    with in_child(job) as child:  # forks now: the child holds the job and its inputs
        yield Pending(job, child)


__all__ = ["Pending", "can_fork", "fork_imap", "fork_map", "fork_workers", "in_background"]
