"""A large report's charts drawn by a forked child while this process reads the run and builds the pages.

Drawing is a fixed cost (matplotlib, the CJK font, the overview's charts and one for each commitment) that
needs nothing of the run but each chart's few inputs. The child is forked before the run is read, so it
starts small: forked after, it would share the run's pages, and every reference count this process then
changes would copy one. It waits for the first chart, so that loading matplotlib and the font takes no core
from the run's reading, then draws each chart as it is asked for, in the order asked, and keeps the SVGs;
they come back together when the pages are built, so the child never waits for this process to read them.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from multiprocessing.connection import Connection
from typing import ParamSpec

from base.errors import UserError
from base.forked import Child, ChildFailed, can_fork, several_cores
from reports.charts import Chart, Drawer, draw_here

P = ParamSpec("P")

# A report of a run of at least this many items has its charts drawn by a forked child, when this process
# has more than one core (``base.forked.several_cores``); below it the pages are built in about the time the
# child takes to load matplotlib, which each report's child would load again.
CHARTS_APART_FROM = 100_000

Request = tuple[Callable[..., str], tuple[object, ...], dict[str, object]]


def _draw_requested(requests: Connection, other_end: Connection) -> list[str]:
    """The child's job: each requested chart drawn, in order, until ``None``; their SVGs."""
    other_end.close()  # this process's end, inherited: only the parent may hold it
    drawn = []
    while (request := requests.recv()) is not None:
        chart, args, kwargs = request
        drawn.append(chart(*args, **kwargs))
    return drawn


class ChartChild:
    """A :class:`~reports.charts.Drawer` whose charts a forked child draws; :meth:`finish` gives them."""

    def __init__(self) -> None:
        requests, child_end = mp.get_context("fork").Pipe(duplex=False)
        self._child: Child[list[str]] = Child(partial(_draw_requested, requests, child_end))
        requests.close()  # the child's end: when it exits, sending here fails instead of filling a pipe
        self._requests = child_end
        self._charts: list[Chart] = []

    def __call__(self, chart: Callable[P, str], /, *args: P.args, **kwargs: P.kwargs) -> Chart:
        request: Request = (chart, args, dict(kwargs))
        self._send(request)
        made = Chart()
        self._charts.append(made)
        return made

    def _send(self, request: Request | None) -> None:
        with contextlib.suppress(BrokenPipeError):  # the child ended: finish() raises how
            self._requests.send(request)

    def finish(self) -> None:
        """Wait for every chart asked for; the child's error, or a clear one if it died, is raised here."""
        self._send(None)
        try:
            drawn = self._child.result()
        except ChildFailed as exc:
            raise UserError(f"the report's charts were not drawn: {exc}; no report written") from exc
        finally:
            self._requests.close()
        if len(drawn) != len(self._charts):
            raise UserError(
                f"the report's charts were not drawn: {len(drawn)} of {len(self._charts)} came back; "
                "no report written"
            )
        for chart, svg in zip(self._charts, drawn, strict=True):
            chart.drawn(svg)

    def stop(self) -> None:
        self._child.stop()


@contextmanager
def chart_drawer(n_items: int) -> Iterator[Drawer]:
    """What draws the charts of a report of ``n_items``: a :class:`ChartChild` for a large run when a child
    can run beside this process, else :func:`~reports.charts.draw_here`. On leaving the block every chart is
    drawn; an error stops the child."""
    if n_items < CHARTS_APART_FROM or not can_fork() or not several_cores():
        yield draw_here
        return
    child = ChartChild()
    try:
        yield child
        child.finish()
    finally:
        child.stop()


__all__ = ["CHARTS_APART_FROM", "ChartChild", "chart_drawer"]
