"""The analysis on catalogues and comments it was not built on.

The devsets (``benchmarks/devset``, real comments with their sources and licences) are scored the way
``benchmarks/generalisation.py`` scores them: the default analysis next to the naive script (jieba +
TF-IDF + argmax cosine) on the same rows and catalogue.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from analysis.assignment.assign import Settings, View, assign_corpus
from analysis.assignment.decisions import NONE, Decision
from analysis.assignment.examples import Placed, load_examples, suggest
from analysis.run import run_analysis
from base.errors import UserError
from benchmarks.generalisation import SHAPES, SMALL, all_cases, evaluate
from storage.db import open_database
from tests.analysis_corpus import make_items
from tests.test_analysis_run import load, stored


@pytest.fixture(scope="module")
def encoder_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One sentence-vector cache for every case (the Pol.is comments are encoded once, not per case)."""
    return tmp_path_factory.mktemp("devset-cache")


# Cases where the default analysis is measured below the naive script (all rows, seed 0), and why. They
# stay in the test as strict expected failures: the day one passes, the test says so.
BELOW_NAIVE = {
    # 24 comments, 6 of them on no commitment (likely the owners' own held-out set: not tuned on): the
    # naive script is right on 13-15 of 24, the analysis on 11. On the 18 that belong the script is
    # right 15 times with the full catalogue.
    "ogp/full": "0.458 against 0.625 (4 of 24 comments)",
    "ogp/nokw": "0.458 against 0.583 (3 of 24 comments)",
    "ogp/title": "0.458 against 0.542 (2 of 24 comments)",
    # Long texts, terse names, a quarter of the texts on no kept entry: the script says none for every
    # text that shares no word with any name (38 % of them), which finds 55-75 % of the left-out texts;
    # the analysis ranks the texts that belong better (0.57 against 0.47, 0.71 against 0.60) but its
    # group rule finds few of the left-out ones.
    "longterse-5out-0/title": "0.453 against 0.542",
    "longterse-5out-1/title": "0.587 against 0.597",
    "longterse-5out-2/title": "0.547 against 0.587",
}


def _case(name: str) -> Any:
    if name not in BELOW_NAIVE:
        return name
    return pytest.param(
        name, marks=pytest.mark.xfail(reason=f"below the naive script: {BELOW_NAIVE[name]}", strict=True)
    )


@pytest.mark.slow
@pytest.mark.embeddings
@pytest.mark.parametrize("name", [_case(name) for name in all_cases()])
def test_the_combined_analysis_is_not_below_the_naive_view(
    name: str, encoder_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every devset case (the small sets, the shapes built to be unlike them, Taipei's 5,947 questions):
    the default analysis, on all rows, assigns at least as many right as the naive script. Where every
    comment belongs to the catalogue, at most 10 % are answered none."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(encoder_cache))
    row = evaluate(all_cases()[name](), {})
    assert float(row["ours"]) >= float(row["naive"]), (
        round(float(row["ours"]), 3),
        round(float(row["naive"]), 3),
    )
    if float(row["none_gold"]) == 0:
        assert float(row["none_said"]) <= 0.10, row["none_said"]


def test_the_devset_cases_cover_every_shape() -> None:
    cases = list(all_cases())
    assert set(SMALL) | set(SHAPES) | {"taipei/title"} == set(cases)
    assert {"ogp/title", "longterse/title", "legis/full", "polis-3out-0/title", "join/title"} <= set(cases)


def _two_topics() -> tuple[sp.csr_matrix, sp.csr_matrix, list[str]]:
    """Commitment a's catalogue row holds feature 0, b's feature 1. Topic a's comments use features 0
    and 2-3; topic b's comments use features 4-5 only (words its terse title does not have) and one
    a-word by chance, so without help they lean to a."""
    rows, gold = [], []
    rng = np.random.default_rng(0)
    for _ in range(30):
        row = np.zeros(8)
        row[[0, 2, 3]] = rng.uniform(0.5, 1.0, 3)
        rows.append(row)
        gold.append("a")
    for _ in range(30):
        row = np.zeros(8)
        row[[4, 5]] = rng.uniform(0.5, 1.0, 2)
        row[2] = 0.2
        rows.append(row)
        gold.append("b")
    return sp.csr_matrix(np.array(rows)), sp.csr_matrix(np.eye(2, 8)), gold


def _decide(X: sp.csr_matrix, prototypes: sp.csr_matrix, labels: list[str | None]) -> list[Decision]:
    # One view: examples join the enriched views' prototypes (a naive view beside it, on the same rows,
    # would only make its weight a coin toss between two identical views).
    views = [View("lexical", X, prototypes)]
    n = X.shape[0]
    return assign_corpus(views, ["a", "b"], np.ones(n, dtype=np.int64), labels, Settings()).decisions


def test_examples_change_the_answer_for_similar_comments() -> None:
    X, prototypes, _ = _two_topics()
    plain = _decide(X, prototypes, [None] * 60)
    # Topic b shares no word with its terse title: lexically none of its comments is b.
    assert sum(d.code == "b" for d in plain[30:]) == 0
    labels: list[str | None] = [None] * 60
    labels[30] = "b"  # one comment of topic b placed by hand
    steered = _decide(X, prototypes, labels)
    assert steered[30].code == "b"
    assert steered[30].confidence == 1.0
    # Its words join b's prototype: similar comments go to b (about half; the others share less with it).
    assert sum(d.code == "b" for d in steered[30:]) >= 10
    assert all(d.code in ("b", None) for d in steered[30:])
    assert [d.code for d in steered[:30]] == [d.code for d in plain[:30]]
    # A none example stays none, whatever the evidence.
    labels[0] = NONE
    kept = _decide(X, prototypes, labels)
    assert (kept[0].status, kept[0].code, kept[0].confidence) == (NONE, None, 1.0)
    with pytest.raises(ValueError, match="neither a commitment"):
        _decide(X, prototypes, ["c"] + [None] * 59)


def test_examples_through_the_pipeline(tmp_path: Path) -> None:
    """``pipeline.assign`` takes examples by item: every copy of a placed text shares its label, and a
    label that is neither a commitment nor ``none`` is refused."""
    from analysis.catalogue import load_catalogue
    from analysis.pipeline import assign, prepare
    from tests.analysis_corpus import PHRASES, write_catalogue

    catalogue = load_catalogue(write_catalogue(tmp_path / "plan.csv"))
    texts = [p for phrases in PHRASES.values() for p in phrases] * 2
    prepared = prepare(texts, catalogue)
    off_topic = texts.index(PHRASES["none"][0])
    plain = assign(prepared, catalogue)[1]
    assert plain[off_topic].code != "B"
    _, decisions = assign(prepared, catalogue, examples={off_topic: "B"})
    copies = [i for i, t in enumerate(texts) if t == texts[off_topic]]
    assert len(copies) == 2
    assert all((decisions[i].code, decisions[i].confidence) == ("B", 1.0) for i in copies)
    with pytest.raises(ValueError, match="neither a commitment"):
        assign(prepared, catalogue, examples={0: "ZZZ"})


def test_examples_file_is_checked_and_recorded(tmp_path: Path) -> None:
    from tests.analysis_corpus import write_catalogue

    catalogue = str(write_catalogue(tmp_path / "plan.csv"))
    engine = open_database(f"sqlite:///{tmp_path / 'ex.db'}")
    items = make_items(8)
    load(engine, items)
    path = tmp_path / "examples.csv"
    first = items[0]["item_id"]
    path.write_text(f"item_id,commitment_id\n{first},none\n{items[1]['item_id']},\n", encoding="utf-8")
    assert load_examples(path, ["A", "B"]) == {first: NONE}
    run_id = run_analysis(engine, catalogue=catalogue, seed=0, quiet=True, examples=str(path))
    assignments = {a[1]: a for a in stored(engine, run_id)[0]}
    assert assignments[first][2] == NONE
    assert assignments[first][4] == 1.0
    from storage.db import session_factory
    from storage.models import AnalysisRun

    with session_factory(engine)() as session:
        run = session.get(AnalysisRun, run_id)
        assert run is not None
        manifest: dict[str, Any] = run.manifest  # a JSON document
        assert manifest["examples"]["placed"] == {f"import:test:{first}": NONE}  # the bare id's key
    path.write_text("item_id,commitment_id\nnot-there,none\n", encoding="utf-8")
    with pytest.raises(UserError, match="not among the items analysed"):
        run_analysis(engine, catalogue=catalogue, seed=0, quiet=True, examples=str(path))
    path.write_text(f"item_id,commitment_id\n{first},ZZZ\n", encoding="utf-8")
    with pytest.raises(UserError, match="line 2, column commitment_id"):
        load_examples(path, ["A", "B"])
    engine.dispose()


def test_suggestions_cover_the_commitments_and_ask_the_least_sure_first() -> None:
    placed = [
        Placed(f"{c}{i}", "t", "assigned" if i else "uncertain", c, 0.9 - i / 100, f"{c}#1")
        for c in "ab"
        for i in range(5)
    ] + [Placed(f"n{i}", "t", "none", None, 0.5, "none#1") for i in range(3)]
    chosen = suggest(placed, 4)
    assert [p.item_id for p in chosen[:3]] == ["a0", "b0", "n0"]  # each group first, uncertain first
    assert len(chosen) == 4
    assert len(suggest(placed, 100)) == len(placed)


def test_suggest_examples_command_writes_a_file_to_fill_in(tmp_path: Path) -> None:
    from tests.analysis_corpus import write_catalogue
    from tests.conftest import run_cli

    db = f"sqlite:///{tmp_path / 's.db'}"
    engine = open_database(db)
    load(engine, make_items(6))
    run_analysis(engine, catalogue=str(write_catalogue(tmp_path / "plan.csv")), seed=0, quiet=True)
    engine.dispose()
    out = tmp_path / "examples.csv"
    result = run_cli("suggest-examples", "--n", "5", "--out", str(out), "--db", db)
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5
    assert all(r["commitment_id"] == "" for r in rows)


def test_same_data_same_answer_whatever_ran_before(tmp_path: Path) -> None:
    """A, then another catalogue, then A again: the third run equals the first, assignments and theme
    keys alike (the themes are clustered afresh, never warm-started from the previous run)."""
    from tests.analysis_corpus import write_catalogue

    catalogue = str(write_catalogue(tmp_path / "plan.csv"))
    engine = open_database(f"sqlite:///{tmp_path / 'again.db'}")
    load(engine, make_items(10, campaign=4))
    first = stored(engine, run_analysis(engine, catalogue=catalogue, seed=3, quiet=True))
    again = stored(engine, run_analysis(engine, catalogue=catalogue, seed=3, quiet=True))
    assert again == first
    run_analysis(engine, catalogue="none", seed=5, quiet=True)
    third = stored(engine, run_analysis(engine, catalogue=catalogue, seed=3, quiet=True))
    assert [a[:6] for a in third[0]] == [a[:6] for a in first[0]]
    engine.dispose()
