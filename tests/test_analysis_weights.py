"""Fitting on distinct texts weighted by their copies is fitting on the copies; background step, paused GC."""

from __future__ import annotations

import os

import numpy as np
import pytest

from analysis.assignment.assign import CommitmentAssigner
from analysis.assignment.fit import Clustering, EvidenceGate, sample_counts, storey_cut
from analysis.catalogue import load_catalogue
from analysis.parallel import in_background
from analysis.pipeline import prepare
from tests.test_analysis_fit import CATALOGUE, _corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("weights") / "catalogue.csv"
    path.write_text(CATALOGUE, encoding="utf-8")
    catalogue = load_catalogue(path)
    texts, _ = _corpus(7)
    prepared = prepare(texts, catalogue)
    counts = np.bincount(prepared.inverse)
    assert counts.max() > 1, "the corpus repeats texts, or this test checks nothing"
    # The copies laid out one after another, in the order of the distinct rows.
    repeated = prepared.unique_X[np.repeat(np.arange(counts.size), counts)]
    return prepared, counts, repeated, catalogue


def test_storey_cut_with_counts_equals_the_repeated_rows() -> None:
    rng = np.random.default_rng(3)
    scores = rng.random((50, 4))
    counts = rng.integers(0, 5, size=50)
    weighted = storey_cut(scores, 0.9, sample_weight=counts)
    repeated = storey_cut(np.repeat(scores, counts, axis=0), 0.9)
    assert weighted[:2] == repeated[:2]
    assert np.array_equal(weighted[2], repeated[2])


def test_assigner_with_counts_sees_the_same_distributions_as_with_copies(corpus) -> None:
    prepared, counts, repeated, catalogue = corpus
    kwargs = {"prototypes": prepared.prototypes, "codes": catalogue.codes, "random_state": 0}
    weighted = CommitmentAssigner(**kwargs).fit(prepared.unique_X, sample_weight=counts)
    copies = CommitmentAssigner(**kwargs).fit(repeated)
    # The seeds (and so the feedback prototypes), the seed threshold and the gate's cut are computed
    # from shares and quantiles that count copies: equal up to float rounding.
    assert weighted.null_threshold_ == pytest.approx(copies.null_threshold_)
    assert np.allclose(weighted.prototypes_.toarray(), copies.prototypes_.toarray(), atol=1e-6)
    assert np.allclose(weighted.signal_curve_, copies.signal_curve_)
    assert weighted.none_share_ == pytest.approx(copies.none_share_)
    assert weighted.n_pseudo_labels_ == copies.n_pseudo_labels_
    # fit_decide gives what fit + decide give on the same rows.
    decided = CommitmentAssigner(**kwargs).fit_decide(prepared.unique_X, sample_weight=counts)
    assert decided == weighted.decide(prepared.unique_X)


def test_sample_counts_are_checked() -> None:
    assert np.array_equal(sample_counts(None, 3), [1, 1, 1])
    with pytest.raises(ValueError, match="one count per row"):
        sample_counts([1, 2], 3)
    with pytest.raises(ValueError, match="whole counts"):
        sample_counts([1.5, 1, 1], 3)
    with pytest.raises(ValueError, match="whole counts"):
        sample_counts([-1, 1, 1], 3)
    with pytest.raises(ValueError, match="one count per row"):
        EvidenceGate().fit(np.zeros(4), Clustering(np.zeros(4, dtype=int), None, None), sample_weight=[1, 1])


def _child_pid() -> int:
    return os.getpid()


def _fail() -> int:
    raise RuntimeError("the step failed in the child")


@pytest.mark.parametrize("fork", [True, False])
def test_background_step_runs_in_a_child_or_inline(fork: bool) -> None:
    with in_background(_child_pid, fork=fork) as pending:
        pid = pending.result()
    assert pending.forked is fork
    assert (pid != os.getpid()) is fork
    with pytest.raises(RuntimeError, match="failed in the child"), in_background(_fail, fork=fork) as failing:
        failing.result()


def test_background_child_is_stopped_when_the_parent_fails() -> None:
    import multiprocessing as mp

    before = set(mp.active_children())
    with pytest.raises(KeyError), in_background(_child_pid, fork=True):
        raise KeyError("the parent failed before asking for the result")
    assert set(mp.active_children()) == before


def test_themes_with_counts_describe_the_copies(corpus) -> None:
    from analysis.themes.clusterer import ThemeClusterer
    from analysis.themes.themes import describe_themes

    prepared, counts, _, _ = corpus
    n_words = prepared.vectorizer.n_word_features_
    vocabulary = prepared.vectorizer.words_.get_feature_names_out()
    clusterer = ThemeClusterer(random_state=0).fit(prepared.unique_X, sample_weight=counts)
    words = prepared.unique_X[:, :n_words].tocsr()
    weighted = describe_themes(clusterer.labels_, clusterer.reduced_, words, vocabulary, sample_weight=counts)
    # The same labels given to every copy: sizes and distinctive terms are those of the copies.
    copies = np.repeat(np.arange(counts.size), counts)
    expanded = describe_themes(
        clusterer.labels_[copies], clusterer.reduced_[copies], words[copies], vocabulary
    )
    assert [t.size for t in weighted] == [t.size for t in expanded]
    assert sum(t.size for t in weighted) == counts.sum()
    for a, b in zip(weighted, expanded, strict=True):
        assert [w for w, _ in a.terms] == [w for w, _ in b.terms]
        assert [s for _, s in a.terms] == pytest.approx([s for _, s in b.terms], abs=1e-5)
        assert a.is_minority == (a.size == 1)


def test_gc_paused_restores_the_collector_as_found() -> None:
    import gc

    from analysis.gc_tuning import gc_paused

    assert gc.isenabled()

    def nested() -> None:
        with gc_paused():
            assert not gc.isenabled()
            with gc_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()  # the inner block found it off and leaves it off
            raise ValueError("an error inside still restores the collector")

    with pytest.raises(ValueError, match="still restores"):
        nested()
    assert gc.isenabled()


def test_gate_clustering_in_a_child_gives_the_same_decisions(corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate's clustering runs in a forked child on large corpora while the assigner scores: the
    decisions, clusters and the fitted gate's later verdicts on new rows are those of the one process."""
    from analysis.assignment import assign as assign_module

    prepared, counts, _, catalogue = corpus
    kwargs = {"prototypes": prepared.prototypes, "codes": catalogue.codes, "random_state": 0}
    results = []
    for threshold in (1, 10**9):  # forked child, then inline
        monkeypatch.setattr(assign_module, "PARALLEL_CLUSTERING_MIN_ROWS", threshold)
        assigner = CommitmentAssigner(**kwargs)
        decisions = assigner.fit_decide(prepared.unique_X, sample_weight=counts)
        assert assigner.gate_.kmeans_ is not None, "the corpus is clustered, or this test checks nothing"
        results.append((decisions, assigner.gate_.clusters_, assigner.decide(prepared.unique_X[::3])))
    (forked, forked_clusters, forked_new), (inline, inline_clusters, inline_new) = results
    assert forked == inline
    assert np.array_equal(forked_clusters, inline_clusters)
    assert forked_new == inline_new
