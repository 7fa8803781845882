"""The parts of the assignment that need no text: prototypes, how views are weighed, seeds and groups."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import normalize
from sklearn.utils.estimator_checks import parametrize_with_checks

from analysis.assignment.agreement import combine, kappa, row_z, view_weights
from analysis.assignment.assign import NONE_EXAMPLE, consensus_seeds
from analysis.assignment.grouping import corpus_groups
from analysis.assignment.prototypes import DENSE_BLOCK, UNLABELLED, PrototypeClassifier


@parametrize_with_checks([PrototypeClassifier(), PrototypeClassifier(temperature=0.5)])
def test_prototype_classifier_passes_scikit_learn_checks(
    estimator: Any, check: Callable[[Any], None]
) -> None:
    check(estimator)


def test_prototypes_are_weighted_means_and_unlabelled_rows_are_left_out() -> None:
    X = sp.csr_matrix(np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 5.0], [0, 0, 1.0]]))
    model = PrototypeClassifier(unlabelled=UNLABELLED).fit(
        X, [0, 0, UNLABELLED, 1], sample_weight=[3, 1, 1, 1]
    )
    assert model.classes_.tolist() == [0, 1]
    expected = np.array([3.0, 1.0, 0.0]) / np.sqrt(10.0)
    assert np.allclose(model.prototypes_[0], expected)
    assert np.allclose(model.similarity(X)[2], [0.0, 1.0])  # the unlabelled row is scored, not learned from
    with pytest.raises(ValueError, match="at least one labelled row"):
        PrototypeClassifier(unlabelled=UNLABELLED).fit(X, [UNLABELLED] * 4)
    with pytest.raises(ValueError, match="sums to zero"):
        PrototypeClassifier().fit(X, [0, 0, 1, 1], sample_weight=[0, 0, 0, 0])


def test_dense_float32_rows_score_as_float64_ones_across_blocks() -> None:
    """Sentence vectors (float32) are scored in their own precision, block by block: the cosines are the
    float64 ones to float32's precision, one row per row, returned as float64."""
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(DENSE_BLOCK + 37, 24)).astype(np.float32)
    model = PrototypeClassifier().fit(rows[:5].astype(np.float64), np.arange(5))
    scores = model.similarity(rows)
    expected = normalize(rows.astype(np.float64)) @ model.prototypes_.T
    assert scores.dtype == np.float64
    assert scores.shape == (rows.shape[0], 5)
    assert np.allclose(scores, expected, atol=1e-6)
    assert np.array_equal(scores.argmax(axis=1)[:5], np.arange(5))


def _topical(truth: np.ndarray, k: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """A view that reads the topic: the true commitment scores 1 more, under Gaussian noise."""
    scores = rng.normal(0.0, noise, (truth.size, k))
    scores[np.arange(truth.size), truth] += 1.0
    return scores


N, K = 400, 6
SAME = np.eye(K, dtype=bool)


def test_kappa_of_identical_and_of_independent_labelings() -> None:
    rng = np.random.default_rng(0)
    first = rng.integers(0, K, 5000)
    weight = np.ones(first.size)
    assert kappa(first, first, SAME, weight) == pytest.approx(1.0)
    assert abs(kappa(first, rng.integers(0, K, first.size), SAME, weight)) < 0.03
    # Copies count: a weight of 2 is the row given twice.
    small, other = first[:50], rng.integers(0, K, 50)
    counts = rng.integers(0, 4, 50).astype(np.float64)
    repeated = np.repeat(np.arange(50), counts.astype(np.int64))
    assert kappa(small, other, SAME, counts) == pytest.approx(
        kappa(small[repeated], other[repeated], SAME, np.ones(repeated.size))
    )


def test_a_view_of_noise_counts_for_nothing() -> None:
    for seed in range(5):
        rng = np.random.default_rng(seed)
        truth = rng.integers(0, K, N)
        first, second, noise = _topical(truth, K, 0.6, rng), _topical(truth, K, 0.6, rng), rng.random((N, K))
        weights = view_weights([first, second, noise], SAME, np.ones(N))
        assert weights.sum() == pytest.approx(1.0)
        assert weights[2] < 0.1, weights
        both = combine([first, second], weights[:2]).argmax(axis=1)
        combined = combine([first, second, noise], weights).argmax(axis=1)
        assert (combined == both).mean() >= 0.97
        assert (combined == truth).mean() >= (both == truth).mean() - 0.02


@pytest.mark.parametrize("others", ["flat", "noise"])
def test_the_only_view_that_reads_the_topic_is_followed(others: str) -> None:
    """The naive view reads the topic; the others carry nothing (no evidence at all, or noise). The
    combination ranks as the naive view does: the others cannot improve on it, so they must not
    displace it ("never below the naive view" by construction)."""
    for seed in range(6):
        rng = np.random.default_rng(seed)
        truth = rng.integers(0, K, N)
        naive = _topical(truth, K, 0.6, rng)
        views = [naive] + [np.zeros((N, K)) if others == "flat" else rng.random((N, K)) for _ in range(2)]
        for count in (2, 3):  # with one other view, and with two
            weights = view_weights(views[:count], SAME, np.ones(N))
            combined = combine(views[:count], weights).argmax(axis=1)
            assert (combined == naive.argmax(axis=1)).mean() >= 0.95, (seed, count, weights)


def test_siblings_count_as_agreement() -> None:
    """Two views that read the same topics but pick different entries of sibling pairs (0/1, 2/3, 4/5)
    agree once siblings count as one answer."""
    rng = np.random.default_rng(3)
    topic = rng.integers(0, K // 2, N)
    first = _topical(2 * topic, K, 0.3, rng)
    second = _topical(2 * topic + 1, K, 0.3, rng)
    siblings = SAME | np.kron(np.eye(K // 2, dtype=bool), np.ones((2, 2), dtype=bool))
    weight = np.ones(N)
    assert kappa(first.argmax(axis=1), second.argmax(axis=1), SAME, weight) < 0.05
    assert kappa(first.argmax(axis=1), second.argmax(axis=1), siblings, weight) > 0.9
    # With a third view of noise: the two that agree across siblings carry the weight.
    weights = view_weights([first, second, rng.random((N, K))], siblings, weight)
    assert weights[2] < 0.1 < min(weights[:2])


def test_row_z_and_combine() -> None:
    scores = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]])
    z = row_z(scores)
    assert np.allclose(z[0], [-np.sqrt(1.5), 0.0, np.sqrt(1.5)])
    assert np.array_equal(z[1], [0.0, 0.0, 0.0])  # no evidence: no preference
    assert np.allclose(combine([scores, scores * 10], np.array([0.25, 0.75])), z)
    assert np.array_equal(combine([scores, -scores], np.array([1.0, 0.0])), z)  # a weight of 0 is left out


def _seed_scores() -> tuple[list[np.ndarray], np.ndarray]:
    """Two views over three commitments and ten rows: rows 0-5 both views put under the commitment of
    ``truth``, each pair of three ever more clearly (the runner-up, commitment 2, ever lower); rows 6-9
    the views disagree on."""
    truth = np.array([0, 0, 0, 1, 1, 1, 0, 1, 2, 2])
    first = np.full((10, 3), 0.1)
    first[np.arange(6), truth[:6]] = 1.0
    first[:6, 2] = [0.8, 0.5, 0.1] * 2
    second = first.copy()
    first[np.arange(6, 10), truth[6:]] += 0.5
    second[np.arange(6, 10), (truth[6:] + 1) % 3] += 0.5
    return [first, second], truth


def test_seeds_are_rows_the_views_agree_on() -> None:
    scores, truth = _seed_scores()
    weights = np.array([0.5, 0.5])
    unlabelled = np.full(10, UNLABELLED)
    seeds = consensus_seeds(scores, weights, SAME[:3, :3], np.ones(10), unlabelled, 1.0)
    assert seeds.commitment.tolist() == truth[:6].tolist() + [UNLABELLED] * 4
    # Half of each commitment's agreed rows, the clearest first.
    half = consensus_seeds(scores, weights, SAME[:3, :3], np.ones(10), unlabelled, 0.5)
    assert half.commitment.tolist() == [UNLABELLED, 0, 0, UNLABELLED, 1, 1] + [UNLABELLED] * 4
    # A row that no copy stands for is never a seed.
    counts = np.array([1.0] * 5 + [0.0] * 5)
    absent = consensus_seeds(scores, weights, SAME[:3, :3], counts, unlabelled, 0.5)
    assert absent.commitment.tolist() == [UNLABELLED, 0, 0, UNLABELLED, 1] + [UNLABELLED] * 5


def test_examples_are_never_seeds() -> None:
    scores, truth = _seed_scores()
    labels = np.full(10, UNLABELLED)
    labels[2], labels[5] = 0, NONE_EXAMPLE
    seeds = consensus_seeds(scores, np.array([0.5, 0.5]), SAME[:3, :3], np.ones(10), labels, 1.0).commitment
    assert seeds[2] == UNLABELLED
    assert seeds[5] == UNLABELLED
    assert seeds[[0, 1, 3, 4]].tolist() == truth[[0, 1, 3, 4]].tolist()


def test_at_most_the_fraction_of_a_commitments_copies_are_seeds() -> None:
    """Copies counted: the seeds of a commitment hold at most ``fraction`` of its agreed copies, as the
    rows given once per copy would (the clearest row once, the next one eight times)."""
    scores, _ = _seed_scores()
    weights, unlabelled = np.array([0.5, 0.5]), np.full(10, UNLABELLED)
    counts = np.array([1.0, 8.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])  # row 2 clearest, then 1
    for fraction in (0.25, 0.5, 0.75):
        seeds = consensus_seeds(scores, weights, SAME[:3, :3], counts, unlabelled, fraction)
        for j in (0, 1):
            agreed = counts[:6][np.array([0, 0, 0, 1, 1, 1]) == j].sum()
            taken = seeds.copies[seeds.commitment == j].sum()
            assert taken <= np.ceil(fraction * agreed), (fraction, j, seeds)
        copies = np.repeat(np.arange(10), counts.astype(np.int64))
        repeated = consensus_seeds(
            [s[copies] for s in scores],
            weights,
            SAME[:3, :3],
            np.ones(copies.size),
            unlabelled[copies],
            fraction,
        )
        for j in (0, 1):
            taken = seeds.copies[seeds.commitment == j].sum()
            assert taken == repeated.copies[repeated.commitment == j].sum(), (fraction, j)


def test_corpus_groups_are_deterministic_and_tiny_corpora_one_group() -> None:
    rng = np.random.default_rng(0)
    centres = rng.random((4, 30)) * (rng.random((4, 30)) < 0.3)
    rows = sp.csr_matrix(np.repeat(centres, 15, axis=0) + 0.05 * rng.random((60, 30)))
    counts = rng.integers(1, 4, 60)
    groups = corpus_groups(rows, None, 3, counts, random_state=2)
    assert groups.shape == (60,)
    assert np.unique(groups).size == 2 * 3 + 1
    assert np.array_equal(groups, corpus_groups(rows, None, 3, counts, random_state=2))
    vectors = rng.normal(size=(60, 8))
    with_vectors = corpus_groups(rows, vectors, 3, counts, random_state=2)
    assert np.array_equal(with_vectors, corpus_groups(rows, vectors, 3, counts, random_state=2))
    # Rows of one centre end up together (each centre is one group or split, never mixed).
    for group in np.unique(groups):
        assert np.unique(np.arange(60)[groups == group] // 15).size == 1
    # Too few comments (fewer than five per group) or too few distinct rows: one group.
    assert corpus_groups(rows[:3], None, 3, np.ones(3, dtype=np.int64)).tolist() == [0, 0, 0]
    assert corpus_groups(rows[:9], None, 3, np.ones(9, dtype=np.int64)).tolist() == [0] * 9
    assert corpus_groups(rows[:1], None, 3, np.array([50])).tolist() == [0]
    assert corpus_groups(rows[:0], None, 3, np.zeros(0, dtype=np.int64)).tolist() == []


def test_large_corpora_fit_groups_on_a_sample_and_label_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    from analysis.assignment import grouping

    rng = np.random.default_rng(1)
    centres = rng.random((5, 40)) * (rng.random((5, 40)) < 0.3)
    rows = sp.csr_matrix(np.repeat(centres, 120, axis=0) + 0.05 * rng.random((600, 40)))
    counts = np.ones(600, dtype=np.int64)
    counts[7] = 400  # a form letter: one distinct text, many copies
    monkeypatch.setattr(grouping, "FIT_ROWS", 150)

    picked, weight = grouping._fit_sample(counts, np.random.default_rng(0))
    assert picked.size == 150
    assert np.all(np.diff(picked) > 0)
    assert 7 in picked  # the form letter is always fitted, with its copies
    assert weight[picked.tolist().index(7)] == 400
    assert weight.sum() == pytest.approx(counts.sum())  # the others stand for the rows left out

    groups = corpus_groups(rows, rng.normal(size=(600, 8)) * 0.01, 3, counts, random_state=3)
    assert groups.shape == (600,)
    # Rows of one centre end up together, also those that were not in the fitted sample.
    for group in np.unique(groups):
        assert np.unique(np.arange(600)[groups == group] // 120).size == 1


def test_prototypes_of_a_catalogue_alone_fit_without_warnings() -> None:
    rows = np.random.default_rng(0).random((40, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = PrototypeClassifier().fit(rows, np.arange(40))  # one row per commitment
    assert model.similarity(rows).shape == (40, 40)
