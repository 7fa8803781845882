"""analysis/result.py ``AssignmentRows``: rows built when read give what a list built at once held, and
what the store writes from them is that list."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.assignment.decisions import Decision
from analysis.catalogue import load_catalogue
from analysis.result import AssignmentRows
from analysis.run import analyse, run_analysis
from storage import analysis_store
from storage.corpus import TextItem, load_items
from storage.db import open_database, session_factory, transaction, upsert
from storage.models import ImportedItem
from tests.analysis_corpus import make_items, write_catalogue


def test_rows_read_by_index_slice_and_iteration_agree() -> None:
    items = [TextItem("import", f"i{n}", "同一句話" if n % 2 else f"第{n}句") for n in range(5)]
    shared = Decision("assigned", "A", 0.8, (("A", 0.8), ("B", 0.2)))
    decisions = [shared if n % 2 else Decision("none", None, 0.6, ()) for n in range(5)]
    rows = AssignmentRows(items, decisions, {0: "k0"}, {3: "i1"}, {1: "c1", 3: "c1"})
    listed = list(rows)
    assert len(rows) == 5
    assert listed == [rows[n] for n in range(5)] == rows[:] == rows[-5:]
    assert rows[-1] == listed[4]
    assert listed[1] == {
        "item_kind": "import",
        "item_source": "",
        "item_id": "i1",
        "status": "assigned",
        "commitment_code": "A",
        "confidence": 0.8,
        "candidates": [["A", 0.8], ["B", 0.2]],
        "cluster_key": None,
        "duplicate_of": None,
        "campaign_key": "c1",
    }
    assert listed[0]["cluster_key"] == "k0"
    assert listed[3]["duplicate_of"] == "i1"
    assert rows[1]["candidates"] is rows[3]["candidates"]  # one list per decision: serialised once
    with pytest.raises(IndexError):
        rows[5]
    with pytest.raises(ValueError, match="5 items but 4 decisions"):
        AssignmentRows(items, decisions[:4], {}, {}, {})


def test_the_store_writes_the_rows_the_analysis_gives(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'rows.db'}")
    with transaction(engine) as session:
        upsert(session, ImportedItem, make_items(8, campaign=5), keys=["dataset", "item_id"])
    catalogue = write_catalogue(tmp_path / "plan.csv")
    run_id = run_analysis(engine, catalogue=str(catalogue), seed=0, quiet=True, embeddings="off")
    with session_factory(engine)() as session:
        stored = {
            a.item_id: (
                a.status,
                a.commitment_code,
                a.confidence,
                a.candidates,
                a.cluster_key,
                a.campaign_key,
            )
            for a in analysis_store.assignments_for_run(session, run_id)
        }
        items = load_items(session)
    result = analyse(items, load_catalogue(catalogue), seed=0, params={"embeddings": "off"})
    expected = {
        r["item_id"]: (
            r["status"],
            r["commitment_code"],
            r["confidence"],
            r["candidates"],
            r["cluster_key"],
            r["campaign_key"],
        )
        for r in result.assignments
    }
    assert stored == expected
    engine.dispose()
