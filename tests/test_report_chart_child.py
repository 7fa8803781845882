"""A large report's charts are drawn by a forked child (``reports.chart_child``): the same bytes as drawn
here, and a child that fails or dies is an error of the report, never a hang."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from base.errors import UserError
from reports import chart_child, charts
from reports.site import build_report
from storage.db import open_database
from tests.report_fixtures import populate


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_database(f"sqlite:///{tmp_path / 'jf.db'}")
    populate(engine)
    yield engine
    engine.dispose()


def _apart(monkeypatch: pytest.MonkeyPatch, apart: bool) -> None:
    monkeypatch.setattr(chart_child, "CHARTS_APART_FROM", 0 if apart else 10**9)
    monkeypatch.setattr(chart_child, "several_cores", lambda: True)  # whatever the machine's cores


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_charts_drawn_by_a_child_are_those_drawn_here(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = []
    for apart in (False, True):
        _apart(monkeypatch, apart)
        build_report(engine, tmp_path / f"apart-{apart}", quiet=True, pdf=False, language="en")
        made.append(_files(tmp_path / f"apart-{apart}"))
    here, child = made
    assert here == child
    assert sum(page.count(b"<svg ") for page in here.values()) >= 4  # overview, proposals, briefs


def _dies() -> None:
    os._exit(9)


@pytest.mark.timeout(120)
def test_a_chart_child_that_dies_is_an_error_not_a_hang(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _apart(monkeypatch, True)
    monkeypatch.setattr(charts, "use_report_style", _dies)  # the child's first step: it dies at once
    with pytest.raises(UserError) as failed:
        build_report(engine, tmp_path / "site", quiet=True, pdf=False)
    message = str(failed.value)
    assert message.startswith("the report's charts were not drawn: its child process ")
    assert "ended with exit code 9 before sending its result; no report written" in message
    assert not (tmp_path / "site").exists()


def _no_axes(*_args: object, **_kwargs: object) -> str:
    raise ValueError("no axes to draw on")


@pytest.mark.timeout(120)
def test_a_chart_that_fails_in_the_child_raises_its_error_here(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _apart(monkeypatch, True)
    monkeypatch.setattr(charts, "time_chart", _no_axes)
    with pytest.raises(ValueError, match="no axes to draw on"):
        build_report(engine, tmp_path / "site", quiet=True, pdf=False)
    assert not (tmp_path / "site").exists()


def test_a_chart_is_not_read_before_it_is_drawn() -> None:
    with pytest.raises(RuntimeError, match="read before it was drawn"):
        _ = charts.Chart().svg
