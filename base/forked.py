"""One job in a forked child process while this one goes on, its result (or its error) sent back.

The child is forked, so it inherits the job and whatever the job holds (nothing is pickled on the way in);
only the result or the exception is pickled back. A child that dies without sending either (killed, out of
memory) is reported with its exit code, never waited for in vain; leaving the block stops a child still
running, so an error in this process leaves no process behind.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Generic, TypeVar, cast

T = TypeVar("T")


class ChildFailed(RuntimeError):
    """The child ended without a result: killed, or its error could not be sent back."""


def can_fork() -> bool:
    """``fork`` is available, and this process may have children (a daemonic worker may not)."""
    return "fork" in mp.get_all_start_methods() and not mp.current_process().daemon


def several_cores() -> bool:
    """Whether this process may run on more than one core (a child would then run beside it).

    Not the load average: it lags by a minute, so right after this program's own work on both cores (an
    analysis before a report) it said the cores were busy when they were free; and on a busy machine a
    forked step measured no slower than the same step in one process (docs/benchmarks.md)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return cores > 1


def _run(job: Callable[[], object], sender: Connection) -> None:
    try:
        outcome: tuple[bool, object] = (True, job())
    except BaseException as exc:  # sent back to be raised in the parent, whatever it is
        outcome = (False, exc)
    try:
        sender.send(outcome)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        sender.send((False, ChildFailed(f"{outcome[1]!r} could not be sent back: {exc}")))
    sender.close()


class Child(Generic[T]):
    """A forked child running a job: :meth:`result` waits for it and gives its result or raises its error."""

    def __init__(self, job: Callable[[], T]) -> None:
        receiver, sender = mp.get_context("fork").Pipe(duplex=False)
        self._process = mp.get_context("fork").Process(target=_run, args=(job, sender), daemon=True)
        self._process.start()
        sender.close()  # the child holds its end: when it exits, recv() ends instead of waiting
        self._receiver = receiver

    def result(self) -> T:
        try:
            ok, value = self._receiver.recv()
        except EOFError:
            self._process.join()
            raise ChildFailed(
                f"its child process {self._process.pid} ended with exit code {self._process.exitcode} "
                "before sending its result"
            ) from None
        finally:
            self._receiver.close()
        self._process.join()
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return cast("T", value)  # unpickled from the child: job()

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


@contextmanager
def in_child(job: Callable[[], T]) -> Iterator[Child[T]]:
    """``job()`` in a forked child for the block (``fork`` must be available: :func:`can_fork`)."""
    child = Child(job)
    try:
        yield child
    finally:
        child.stop()


__all__ = ["Child", "ChildFailed", "can_fork", "in_child", "several_cores"]
