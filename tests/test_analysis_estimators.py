"""The analysis estimators: scikit-learn conventions, determinism, none/uncertain behaviour."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from analysis.assignment.assign import NONE, CommitmentAssigner
from analysis.catalogue import load_catalogue
from analysis.duplicates.finder import DuplicateFinder, is_burst
from analysis.pipeline import assign, prepare
from analysis.themes.clusterer import ThemeClusterer
from analysis.themes.keys import assign_keys
from analysis.themes.themes import describe_themes
from tests.analysis_corpus import FORM_LETTER, PHRASES, gold_of, make_items, write_catalogue


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    catalogue = load_catalogue(write_catalogue(tmp_path_factory.mktemp("cat") / "test.csv"))
    rows = make_items(12)
    prepared = prepare([r["text"] for r in rows], catalogue)
    return catalogue, rows, prepared


def test_assigner_follows_sklearn_conventions(corpus) -> None:
    catalogue, _, prepared = corpus
    assigner = CommitmentAssigner(prototypes=prepared.prototypes, codes=catalogue.codes, random_state=3)
    assert assigner.get_params()["random_state"] == 3
    assert not [k for k in vars(assigner) if k.endswith("_")]  # __init__ only stores parameters
    with pytest.raises(NotFittedError):
        assigner.predict(prepared.X)
    assert assigner.fit(prepared.X) is assigner
    fitted = [k for k in vars(assigner) if k.endswith("_") and not k.startswith("_")]
    assert {"classes_", "prototypes_", "none_share_", "gate_", "signal_curve_"} <= set(fitted)
    copy = clone(assigner)
    assert not hasattr(copy, "classes_")
    assert copy.get_params()["random_state"] == 3
    proba = assigner.predict_proba(prepared.X)
    assert proba.shape == (prepared.X.shape[0], 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="features"):
        assigner.predict(sp.csr_matrix((1, prepared.X.shape[1] + 1)))


def test_assigner_finds_topics_and_honest_none(corpus) -> None:
    catalogue, rows, prepared = corpus
    _, decisions = assign(prepared, catalogue)
    gold = [gold_of(r["item_id"]) for r in rows]
    predicted = [d.code if d.status != NONE else NONE for d in decisions]
    in_catalogue = [p == g for p, g in zip(predicted, gold, strict=True) if g != NONE]
    assert np.mean(in_catalogue) >= 0.9
    none_calls = [g for p, g in zip(predicted, gold, strict=True) if p == NONE]
    assert none_calls, "the off-topic items must produce some none answers"
    assert none_calls.count(NONE) / len(none_calls) >= 0.7
    for d in decisions:
        assert 0.0 <= d.confidence <= 1.0
        assert (d.code is None) == (d.status == NONE)


def test_assigner_is_deterministic(corpus) -> None:
    catalogue, _, prepared = corpus
    first = assign(prepared, catalogue, seed=5)[1]
    second = assign(prepared, catalogue, seed=5)[1]
    assert first == second


def test_self_training_rounds_keep_working(corpus) -> None:
    catalogue, rows, prepared = corpus
    assigner, decisions = assign(prepared, catalogue, params={"n_iter": 2})
    assert assigner.classifier_ is not None
    gold = [gold_of(r["item_id"]) for r in rows]
    hits = [d.code == g for d, g in zip(decisions, gold, strict=True) if g != NONE and d.code]
    assert np.mean(hits) >= 0.8


def test_uncertain_when_two_commitments_match_equally() -> None:
    # Two identical prototypes: every matching item is torn between them.
    proto = sp.csr_matrix(np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    X = sp.csr_matrix(np.array([[1.0, 0.0, 0.1]] * 5 + [[0.0, 1.0, 0.1]] * 5 + [[0.0, 0.0, 1.0]] * 2))
    assigner = CommitmentAssigner(prototypes=proto, codes=["x", "y", "z"], none_share=0.0).fit(X)
    decisions = assigner.decide(X)
    assert {d.status for d in decisions[:5]} == {"uncertain"}
    assert {(d.status, d.code) for d in decisions[5:10]} == {("assigned", "z")}


def test_a_group_of_items_without_evidence_is_none() -> None:
    """Twelve items that each match one commitment, and a group of eight similar items that share
    nothing with the catalogue: only the group is ``none``; a lone weak item is not."""
    proto = sp.csr_matrix(np.eye(3, 6))
    X = sp.csr_matrix(
        np.array(
            [[1, 0, 0, 0.1, 0, 0]] * 4
            + [[0, 1, 0, 0.1, 0, 0]] * 4
            + [[0, 0, 1, 0.1, 0, 0]] * 4
            + [[0, 0, 0, 0, 1.0, 0.2]] * 8,
            dtype=float,
        )
    )
    decisions = CommitmentAssigner(prototypes=proto, codes=["a", "b", "c"]).fit(X).decide(X)
    assert [d.status for d in decisions[-8:]] == [NONE] * 8
    assert all(d.status == "assigned" for d in decisions[:12])


def test_theme_clusterer_conventions_and_determinism(corpus) -> None:
    _, _, prepared = corpus
    clusterer = ThemeClusterer(random_state=1)
    assert clusterer.fit(prepared.X) is clusterer
    assert clusterer.labels_.shape == (prepared.X.shape[0],)
    assert 2 <= clusterer.n_clusters_ <= 12
    again = clone(clusterer).fit(prepared.X)
    assert np.array_equal(clusterer.labels_, again.labels_)
    assert np.array_equal(clusterer.fit_predict(prepared.X), clusterer.labels_)


def test_theme_clusterer_handles_tiny_inputs() -> None:
    for n in (0, 1, 3):
        clusterer = ThemeClusterer().fit(sp.csr_matrix(np.eye(max(n, 1), 5)[:n]))
        assert clusterer.labels_.shape == (n,)


def test_themes_have_chinese_labels_and_minorities(corpus) -> None:
    _, _, prepared = corpus
    n_words = prepared.vectorizer.n_word_features_
    vocab = prepared.vectorizer.words_.get_feature_names_out()
    labels = np.array([0] * 10 + [1] * 10 + [2] * (prepared.X.shape[0] - 21) + [3])
    reduced = np.asarray(prepared.X.todense())
    themes = describe_themes(labels, reduced, prepared.X[:, :n_words].tocsr(), vocab)
    assert [len(t.members) for t in themes][-1] == 1
    assert themes[-1].is_minority
    assert not themes[0].is_minority
    assert all(t.label and t.label != "（無明顯詞彙）" for t in themes[:3])
    assert all(len(t.representatives) <= 3 and set(t.representatives) <= set(t.members) for t in themes)


def test_theme_keys_are_matched_to_previous_centroids() -> None:
    previous = [("none#1", {"停車": 1.0, "捷運": 0.5}), ("none#2", {"垃圾": 1.0, "夜市": 0.8})]
    keys = assign_keys(
        "none", [{"垃圾": 0.9, "夜市": 1.0}, {"颱風": 1.0}, {"捷運": 1.0, "停車": 0.7}], previous
    )
    assert keys == ["none#2", "none#3", "none#1"]
    assert assign_keys("A", [{"x": 1.0}], []) == ["A#1"]


def test_duplicate_finder_groups_near_identical_texts() -> None:
    texts = [
        FORM_LETTER,
        FORM_LETTER + "。",
        FORM_LETTER.replace("立即", "馬上"),
        PHRASES["A"][0],
        "同意",
        "同意",
    ]
    finder = DuplicateFinder().fit(texts)
    groups = [g.members for g in finder.groups_]
    assert (0, 1, 2) in groups
    assert (4, 5) in groups  # short texts only ever match exactly
    assert finder.n_unique_ == 3
    assert DuplicateFinder().fit(texts).groups_ == finder.groups_


def test_duplicate_finder_leaves_distinct_texts_apart() -> None:
    texts = [p for phrases in PHRASES.values() for p in phrases]
    assert DuplicateFinder().fit(texts).groups_ == []


def test_bursts() -> None:
    t0 = datetime(2020, 3, 1, 12, 0)
    assert is_burst([t0 + timedelta(minutes=i) for i in range(5)])
    assert not is_burst([t0 + timedelta(days=i) for i in range(5)])
    assert not is_burst([t0, t0])
    assert not is_burst([None, None, None])


def test_items_help_module_is_importable() -> None:
    # The shared test corpus stays readable as a document of what the tests assume.
    assert StringIO(Path(__file__).read_text(encoding="utf-8")).readline()


def test_theme_clusterer_warm_start_keeps_previous_themes(corpus) -> None:
    _, _, prepared = corpus
    X = prepared.X
    first = ThemeClusterer(random_state=0).fit(X)
    centroids = sp.csr_matrix(
        np.vstack([np.asarray(X[first.labels_ == c].mean(axis=0)) for c in range(first.n_clusters_)])
    )
    grown = sp.vstack([X, X[:5]], format="csr")
    second = ThemeClusterer(init_centroids=centroids, random_state=0).fit(grown)
    assert second.warm_started_
    assert second.n_clusters_ == first.n_clusters_
    agreement = np.mean(second.labels_[: X.shape[0]] == first.labels_)
    assert agreement >= 0.9


def test_theme_representatives_do_not_repeat_a_form_letter() -> None:
    import numpy as np
    import scipy.sparse as sp

    from analysis.themes.themes import describe_themes

    letter = np.array([1.0, 0.0, 0.0])
    reduced = np.vstack([letter, letter, letter * 0.99, [0.6, 0.8, 0.0], [0.6, 0.0, 0.8]])
    words = sp.csr_matrix(np.eye(5))
    themes = describe_themes(np.zeros(5, dtype=int), reduced, words, np.array(list("abcde")))
    reps = themes[0].representatives
    assert len(reps) == 3
    assert sum(1 for r in reps if r in (0, 1, 2)) == 1  # one copy of the letter, then two other arguments
