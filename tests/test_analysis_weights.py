"""Assigning distinct texts weighted by their copies is assigning the copies; background step, paused GC."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest

from analysis.assignment.assign import Assignment, Settings, View, assign_corpus
from analysis.assignment.decisions import NONE
from analysis.catalogue import load_catalogue
from analysis.counts import sample_counts
from analysis.parallel import in_background
from analysis.pipeline import corpus_views, prepare
from tests.test_analysis_novelty import CATALOGUE, _corpus


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


def _repeated(views: list[View], copies: np.ndarray) -> list[View]:
    return [replace(v, items=v.items[copies]) for v in views]


def _both(corpus, mode: str) -> tuple[Assignment, Assignment, np.ndarray]:
    """``assign_corpus`` on the distinct rows weighted by their copies, and on every copy given once."""
    prepared, counts, _, catalogue = corpus
    views = corpus_views(prepared, None)
    settings = Settings(none=mode)  # type: ignore[arg-type]
    weighted = assign_corpus(views, catalogue.codes, counts, [None] * counts.size, settings)
    copies = np.repeat(np.arange(counts.size), counts)
    ones = np.ones(copies.size, dtype=np.int64)
    repeated = assign_corpus(_repeated(views, copies), catalogue.codes, ones, [None] * copies.size, settings)
    return weighted, repeated, copies


@pytest.mark.parametrize("mode", ["balanced", "generous"])
def test_assigning_with_counts_gives_the_decisions_of_the_copies(corpus, mode: str) -> None:
    """The view weights, the seeds, the null of unrelated text and the gate's simulations count copies,
    so each copy's decision is its distinct row's."""
    weighted, repeated, copies = _both(corpus, mode)
    assert repeated.view_weights == weighted.view_weights
    assert repeated.none_share == pytest.approx(weighted.none_share)
    expanded = [weighted.decisions[i] for i in copies]
    assert [(d.status, d.code) for d in repeated.decisions] == [(d.status, d.code) for d in expanded]


def test_with_counts_the_commitments_probabilities_are_those_of_the_copies(corpus) -> None:
    """Each assigned copy's candidates and confidence are its distinct row's: the comments that lend a
    commitment their words are the same share of its copies either way. (A ``none``'s confidence is
    its group's, and k-means may draw other groups from the copies, so it is left out here.)"""
    weighted, repeated, copies = _both(corpus, "balanced")
    expanded = [weighted.decisions[i] for i in copies]
    kept = [i for i, d in enumerate(repeated.decisions) if d.status != NONE]
    assert kept
    assert [repeated.decisions[i].candidates for i in kept] == [expanded[i].candidates for i in kept]
    assert [repeated.decisions[i].confidence for i in kept] == pytest.approx(
        [expanded[i].confidence for i in kept], abs=1e-4
    )


def test_sample_counts_are_checked() -> None:
    assert np.array_equal(sample_counts(None, 3), [1, 1, 1])
    with pytest.raises(ValueError, match="one count per row"):
        sample_counts([1, 2], 3)
    with pytest.raises(ValueError, match="whole counts"):
        sample_counts([1.5, 1, 1], 3)
    with pytest.raises(ValueError, match="whole counts"):
        sample_counts([-1, 1, 1], 3)


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


def _die() -> int:
    os._exit(9)


def test_background_child_that_dies_is_reported_not_waited_for() -> None:
    from base.forked import ChildFailed

    with pytest.raises(ChildFailed, match="exit code 9"), in_background(_die, fork=True) as dying:
        dying.result()


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

    from base.gc_tuning import gc_paused

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


def test_gc_frozen_sets_aside_what_exists_and_collects_what_is_made() -> None:
    import gc

    from base.gc_tuning import gc_frozen

    class Node:
        def __init__(self) -> None:
            self.me = self

    before = gc.get_freeze_count()
    with gc_frozen():
        assert gc.get_freeze_count() > before  # the objects alive at the start
        Node()  # a cycle made in the block
        assert gc.collect() >= 1  # is collected as usual
    assert gc.get_freeze_count() == before
