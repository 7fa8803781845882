"""``export assignments`` streams its rows from one joined query per kind: the file is the one that every
assignment and a dict of every text, held at once, gave (whole run and scoped)."""

from __future__ import annotations

import csv
import errno
import multiprocessing
import os
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from base import forked
from base.errors import UserError
from base.forked import ChildFailed, can_fork
from reports import exports
from reports.exports import ASSIGNMENT_HEADER, csv_cell, export_assignments
from storage.db import open_database, session_factory
from storage.queries import exports as export_queries
from storage.queries import items as item_queries
from storage.queries import runs as run_queries
from storage.scope import EVERYTHING, ItemScope
from tests.report_fixtures import populate


def _held_at_once(url: str, scope: ItemScope) -> list[list[object]]:
    """The export as it was computed before it streamed: every assignment, every text by key."""
    engine = open_database(url)
    with session_factory(engine)() as session:
        run = run_queries.latest_complete_run(session)
        assert run is not None
        labels = {c.cluster_key: c.label for c in run_queries.clusters(session, run.id)}
        texts = {i.key: i.text for i in item_queries.run_item_texts(session, run.id)}
        dates = item_queries.run_item_dates(session, run.id)
        policy_of = item_queries.run_comment_policies(session, run.id)
        rows = [
            r
            for r in run_queries.assignments(session, run.id)
            if scope.admits(r.kind, policy_of.get(r.key), dates.get(r.key))
        ]
    engine.dispose()
    return [
        [
            r.key.text,
            texts.get(r.key, ""),
            r.status,
            r.commitment_code or "",
            round(r.confidence, 4),
            r.cluster_key or "",
            labels.get(r.cluster_key or "", ""),
        ]
        for r in rows
    ]


@pytest.mark.parametrize(
    "scope",
    [EVERYTHING, ItemScope(since=date(2020, 3, 1), until=date(2020, 4, 30)), ItemScope(source="crawled")],
)
def test_the_streamed_export_is_the_held_one(tmp_path: Path, db_url: str, scope: ItemScope) -> None:
    url = db_url
    engine = open_database(url)
    populate(engine, n_comments=400)
    out = tmp_path / "assignments.csv"
    written = export_assignments(engine, out, scope=scope)
    engine.dispose()
    with out.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    expected = [[str(csv_cell(cell)) for cell in row] for row in _held_at_once(url, scope)]
    assert header == list(ASSIGNMENT_HEADER)
    assert written == len(rows) == len(expected) > 0
    assert rows == expected  # same items, same order, same cells (formula-guarded alike)


def _export_bytes(engine: Engine, out: Path, monkeypatch: pytest.MonkeyPatch, split_from: int) -> bytes:
    monkeypatch.setattr(exports, "SPLIT_FROM_COMMENTS", split_from)
    monkeypatch.setattr(exports, "several_cores", lambda: True)  # whatever the machine's cores
    export_assignments(engine, out)
    return out.read_bytes()


def test_the_export_in_two_parts_is_the_serial_one(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large whole-run CSV is written by this process and a forked child, cut at a comment: same bytes."""
    engine = open_database(db_url)
    populate(engine, n_comments=400)
    with session_factory(engine)() as session:
        run = run_queries.latest_complete_run(session)
        assert run is not None
        keys = run_queries.comment_split_keys(session, run.id, 2)
        assert len(keys) == 1
        assert run_queries.comment_split_keys(session, run.id, 2, smallest=10_000) == []
        whole = list(export_queries.run_assignments_with_texts(session, run.id))
        head = list(export_queries.run_assignments_with_texts(session, run.id, stop=keys[0]))
        rest = list(export_queries.run_assignments_with_texts(session, run.id, start=keys[0]))
    assert head + rest == whole
    assert abs(len(head) - len(rest)) < len(whole) // 4  # about half each
    serial = _export_bytes(engine, tmp_path / "serial.csv", monkeypatch, 10**9)
    parts = _export_bytes(engine, tmp_path / "parts.csv", monkeypatch, 10)
    engine.dispose()
    assert parts == serial
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no part left


@pytest.mark.skipif(not can_fork(), reason="needs fork")
@pytest.mark.parametrize("how", ["raises", "dies"])
def test_a_failed_child_is_reported_and_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'jf.db'}")
    populate(engine, n_comments=200)
    out = tmp_path / "assignments.csv"
    out.write_text("the previous export\n", encoding="utf-8")
    serial = export_queries.run_assignments_with_texts

    def failing(session: Session, run_id: int, **options: Any) -> Any:
        if options.get("start") is not None:  # the child's part
            if how == "dies":
                os._exit(9)
            raise OSError(errno.ENOSPC, "No space left on device")
        return serial(session, run_id, **options)

    monkeypatch.setattr(export_queries, "run_assignments_with_texts", failing)
    monkeypatch.setattr(exports, "SPLIT_FROM_COMMENTS", 10)
    monkeypatch.setattr(exports, "several_cores", lambda: True)
    with pytest.raises(UserError) as failed:
        export_assignments(engine, out)
    engine.dispose()
    message = str(failed.value)
    assert message.startswith(f"cannot write {out}: ")
    assert "the previous file is unchanged" in message
    if how == "dies":
        assert isinstance(failed.value.__cause__, ChildFailed)
        assert "ended with exit code 9 before sending its result" in message
    else:
        assert failed.value.exit_code == 4
        assert "No space left on device" in message
    assert out.read_text(encoding="utf-8") == "the previous export\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no partial or part file


def test_the_assignment_cells_are_csv_cell_s() -> None:
    """The assignments CSV guards its cells in one step per row: each cell is what ``csv_cell`` makes."""
    hostile = ["=1+1", "+3", "-2", "@SUM(A1)", "\tx", "\rx", "plain", "", "'quoted"]
    rows: list[export_queries.ExportedAssignment] = [
        ("comment", "join.gov.tw", f"c{i}", status, code, 0.123456, cluster, text, None, None)
        for i, (status, code, cluster, text) in enumerate(
            (s, c, k, t)
            for s in ("assigned", "=x")
            for c in (None, *hostile)
            for k in (None, *hostile)
            for t in hostile
        )
    ]
    labels = {cluster: f"{cluster}label" for cluster in hostile} | {"-2": "-label"}
    made = list(exports._csv_records(rows, labels))
    assert made == [tuple(csv_cell(value) for value in record) for record in exports._records(rows, labels)]
    assert "'=x" in {row[2] for row in made}
    assert "'-label" in {row[6] for row in made}


def test_a_stream_target_is_written_in_one_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A FIFO (or /dev/stdout) is never written in two parts: its reader gets the serial export's bytes."""
    engine = open_database(f"sqlite:///{tmp_path / 'jf.db'}")
    populate(engine, n_comments=200)
    serial = _export_bytes(engine, tmp_path / "serial.csv", monkeypatch, 10**9)
    fifo = tmp_path / "stream.csv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    monkeypatch.setattr(exports, "SPLIT_FROM_COMMENTS", 10)
    monkeypatch.setattr(exports, "several_cores", lambda: True)
    export_assignments(engine, fifo)
    reader.join(timeout=30)
    engine.dispose()
    assert received == [serial]


@pytest.mark.parametrize(("cores", "several"), [(1, False), (2, True), (4, True)])
def test_a_child_is_forked_only_with_several_cores(
    monkeypatch: pytest.MonkeyPatch, cores: int, several: bool
) -> None:
    """The export (and a report's reading) forks a child only when it can run beside this process; the
    load average is not asked (it lags: right after an analysis on both cores it says they are busy)."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    assert forked.several_cores() is several


def test_a_daemonic_worker_forks_no_child() -> None:
    """A report run inside a daemonic worker process writes in one process (it may not have children)."""
    current = multiprocessing.current_process()
    was = current.daemon
    current.daemon = True
    try:
        assert not forked.can_fork()
    finally:
        current.daemon = was
    assert forked.can_fork() is ("fork" in multiprocessing.get_all_start_methods())
