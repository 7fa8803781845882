"""The analysis estimators: scikit-learn conventions, determinism, none/uncertain behaviour."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from analysis.assignment.assign import Settings, View, assign_corpus
from analysis.assignment.decisions import NONE, Decision
from analysis.assignment.novelty import NONE_MODES
from analysis.catalogue import load_catalogue
from analysis.duplicates.finder import DuplicateFinder, is_burst
from analysis.pipeline import assign, prepare
from analysis.themes.clusterer import ThemeClusterer
from analysis.themes.keys import assign_keys
from analysis.themes.themes import describe_themes
from base.errors import UserError
from tests.analysis_corpus import FORM_LETTER, PHRASES, gold_of, make_items, write_catalogue


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    catalogue = load_catalogue(write_catalogue(tmp_path_factory.mktemp("cat") / "test.csv"))
    rows = make_items(12)
    prepared = prepare([r["text"] for r in rows], catalogue)
    return catalogue, rows, prepared


def test_assignment_reports_how_it_decided(corpus) -> None:
    catalogue, rows, prepared = corpus
    assignment, decisions = assign(prepared, catalogue, seed=3)
    assert len(decisions) == len(rows)
    assert len(assignment.decisions) == prepared.unique_X.shape[0]
    assert decisions == [assignment.decisions[i] for i in prepared.inverse]  # equal texts, equal decisions
    assert assignment.view_names == ["naive", "lexical"]  # the suite runs without sentence vectors
    assert sum(assignment.view_weights) == pytest.approx(1.0, abs=1e-3)
    assert all(w >= 0 for w in assignment.view_weights)
    assert assignment.none_mode == "balanced"
    assert set(assignment.none_measured) == set(NONE_MODES)
    none_copies = sum(d.status == NONE for d in decisions)
    assert assignment.none_share == pytest.approx(none_copies / len(rows))
    for d in decisions:
        assert 0.0 <= d.confidence <= 1.0
        assert (d.code is None) == (d.status == NONE)
        assert 1 <= len(d.candidates) <= 3
        assert d.candidates[0][0] == d.code or d.status == NONE
    with pytest.raises(UserError, match="none must be one of strict, balanced, generous"):
        assign(prepared, catalogue, params={"none": "sometimes"})


def test_assignment_finds_topics_and_honest_none(corpus) -> None:
    catalogue, rows, prepared = corpus
    _, decisions = assign(prepared, catalogue)
    gold = [gold_of(r["item_id"]) for r in rows]
    predicted = [d.code if d.status != NONE else NONE for d in decisions]
    in_catalogue = [p == g for p, g in zip(predicted, gold, strict=True) if g != NONE]
    assert np.mean(in_catalogue) >= 0.9
    none_calls = [g for p, g in zip(predicted, gold, strict=True) if p == NONE]
    assert none_calls, "the off-topic items must produce some none answers"
    assert none_calls.count(NONE) / len(none_calls) >= 0.7


def test_assignment_is_deterministic(corpus) -> None:
    catalogue, _, prepared = corpus
    first = assign(prepared, catalogue, seed=5)[1]
    second = assign(prepared, catalogue, seed=5)[1]
    assert first == second


def _rows(items: np.ndarray, catalogue: np.ndarray, codes: list[str], **kwargs: object) -> list[Decision]:
    """``assign_corpus`` on one lexical view's rows, each given once."""
    view = View("lexical", sp.csr_matrix(items), sp.csr_matrix(catalogue))
    n = items.shape[0]
    return assign_corpus([view], codes, np.ones(n, dtype=np.int64), [None] * n, Settings(**kwargs)).decisions  # type: ignore[arg-type]


def test_uncertain_when_two_commitments_match_equally() -> None:
    # Two identical commitments: every item that matches them is torn between the two.
    catalogue = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    items = np.array([[1.0, 0.0, 0.1]] * 5 + [[0.0, 1.0, 0.1]] * 5 + [[0.0, 0.0, 1.0]] * 2)
    decisions = _rows(items, catalogue, ["x", "y", "z"])
    assert {d.status for d in decisions[:5]} == {"uncertain"}
    assert {d.code for d in decisions[:5]} <= {"x", "y"}
    assert {(d.status, d.code) for d in decisions[5:10]} == {("assigned", "z")}


def test_a_group_of_items_without_evidence_is_none_in_the_corpus(corpus) -> None:
    """The synthetic consultation's off-topic quarter (parking, night markets, typhoons…) shares no
    word with the catalogue: the generous mode says ``none`` for more of it than the strict one, and
    no mode for more than a few of the comments that belong."""
    catalogue, rows, prepared = corpus
    gold = [gold_of(r["item_id"]) for r in rows]
    said = {}
    for mode in NONE_MODES:
        decisions = assign(prepared, catalogue, params={"none": mode})[1]
        said[mode] = [d.status == NONE for d in decisions]
        belonging = [s for s, g in zip(said[mode], gold, strict=True) if g != NONE]
        assert np.mean(belonging) <= 0.1, mode
    off = {m: np.mean([s for s, g in zip(said[m], gold, strict=True) if g == NONE]) for m in NONE_MODES}
    assert off["strict"] <= off["balanced"] <= off["generous"]
    assert off["generous"] >= 0.5, off


def test_theme_clusterer_conventions_and_determinism(corpus) -> None:
    _, _, prepared = corpus
    clusterer = ThemeClusterer(random_state=1)
    assert clusterer.fit(prepared.X) is clusterer
    assert clusterer.labels_.shape == (prepared.X.shape[0],)
    assert 2 <= clusterer.n_clusters_ <= 12
    again = clone(clusterer).fit(prepared.X)
    assert np.array_equal(clusterer.labels_, again.labels_)
    assert np.array_equal(clusterer.fit_predict(prepared.X), clusterer.labels_)


def test_theme_clusterer_dense_columns_cluster_as_if_joined(corpus) -> None:
    _, _, prepared = corpus
    words = prepared.X
    vectors = np.random.default_rng(0).normal(size=(words.shape[0], 16)).astype(np.float32)
    apart = ThemeClusterer(random_state=1).fit(words, dense=vectors)
    joined = ThemeClusterer(random_state=1).fit(sp.hstack([words, sp.csr_matrix(vectors)], format="csr"))
    assert np.array_equal(apart.labels_, joined.labels_)
    assert np.allclose(apart.reduced_, joined.reduced_, atol=1e-9)
    with pytest.raises(ValueError, match="one row per row"):
        ThemeClusterer().fit(words, dense=vectors[:-1])


def test_theme_clusterer_handles_tiny_inputs() -> None:
    for n in (1, 3):
        clusterer = ThemeClusterer().fit(sp.csr_matrix(np.eye(n, 5)))
        assert clusterer.labels_.shape == (n,)
    with pytest.raises(ValueError, match="0 sample"):  # as every scikit-learn estimator: no rows, no fit
        ThemeClusterer().fit(sp.csr_matrix((0, 5)))


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


@parametrize_with_checks([ThemeClusterer(k_min=2, k_max=4)])
def test_theme_clusterer_passes_scikit_learns_checks(estimator, check) -> None:
    """The themes' clusterer takes numeric rows like any scikit-learn clusterer. The other estimators of
    the analysis take texts, not numeric rows (``LexicalVectorizer``: (text, tokens) pairs;
    ``DuplicateFinder``: normalised texts), so scikit-learn's checks, which feed them random numbers,
    do not apply; ``PrototypeClassifier`` is checked in tests/test_analysis_agreement.py."""
    check(estimator)


def test_large_scopes_are_split_into_themes() -> None:
    from analysis.themes.clusterer import MAX_THEMES, theme_range

    for n in (4, 50, 1_000, 7_199, 7_201, 20_000, 1_000_000):
        k_min, k_max = theme_range(n)
        assert 2 <= k_min <= k_max <= MAX_THEMES, n
    # 9 000 rows around six centres: more than one theme (an empty range of k gave one).
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(6, 20))
    rows = np.repeat(centres, 1_500, axis=0) + 0.3 * rng.normal(size=(9_000, 20))
    k_min, k_max = theme_range(rows.shape[0])
    clusterer = ThemeClusterer(k_min=k_min, k_max=k_max, random_state=0).fit(sp.csr_matrix(rows))
    assert clusterer.n_clusters_ == k_max
    assert np.unique(clusterer.labels_).size > 1
