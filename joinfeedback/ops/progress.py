"""Progress bars for long work on a terminal; silence in cron (``--quiet`` or no TTY).

Stages call :func:`progress` and never ask whether anyone is watching: the answer is decided once, by
:func:`set_quiet` (``joinfeedback.ops.logging.setup`` calls it) and by whether stderr is a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sized
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")

_state = {"quiet": False}
_console: Console | None = None


def set_quiet(quiet: bool) -> None:
    _state["quiet"] = quiet


def console() -> Console:
    """The one stderr console that bars and log lines share (so log lines do not tear the bars)."""
    global _console
    if _console is None:
        _console = Console(stderr=True)
    return _console


def interactive(quiet: bool | None = None) -> bool:
    """Whether to draw progress: not quiet, and stderr is a terminal."""
    if quiet if quiet is not None else _state["quiet"]:
        return False
    return sys.stderr.isatty()


class Tracker:
    """Advances one bar; a silent stand-in when nobody watches."""

    def __init__(self, bar: Progress | None = None, task: TaskID | None = None) -> None:
        self._bar, self._task, self.completed = bar, task, 0

    def advance(self, steps: int = 1) -> None:
        self.completed += steps
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, steps)

    def describe(self, description: str) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=description)


@contextmanager
def progress(description: str, total: int | None = None, *, quiet: bool | None = None) -> Iterator[Tracker]:
    """A bar for the ``with`` block; ``total=None`` shows a spinner with a count."""
    if not interactive(quiet):
        yield Tracker()
        return
    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console(), transient=False) as bar:
        task = bar.add_task(description, total=total)
        yield Tracker(bar, task)


def track(
    items: Iterable[T], description: str, total: int | None = None, *, quiet: bool | None = None
) -> Iterator[T]:
    """Iterate ``items`` with a bar."""
    if total is None and isinstance(items, Sized):
        total = len(items)
    with progress(description, total, quiet=quiet) as tracker:
        for item in items:
            yield item
            tracker.advance()


__all__ = ["Tracker", "console", "interactive", "progress", "set_quiet", "track"]
