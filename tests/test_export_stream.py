"""``export assignments`` streams its rows from one joined query per kind: the file is the one that every
assignment and a dict of every text, held at once, gave (whole run and scoped)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from reports.exports import ASSIGNMENT_HEADER, csv_cell, export_assignments
from storage.db import open_database, session_factory
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
