"""analysis/assignment/evidence.py: strength against the corpus's own null, siblings, and the signal curve."""

from __future__ import annotations

import numpy as np

from analysis.assignment.evidence import (
    NullModel,
    combined_strength,
    sibling_mask,
    signal_curve,
    signal_probability,
)


def test_siblings_are_the_entries_far_more_alike_than_entries_usually_are() -> None:
    rng = np.random.default_rng(0)
    similarity = rng.uniform(0.0, 0.2, size=(12, 12))
    similarity = (similarity + similarity.T) / 2
    similarity[3, 4] = similarity[4, 3] = 0.9  # 「社會局老人福利科」 beside 「社會局社會救助科」
    mask = sibling_mask(similarity)
    assert mask[3, 4]
    assert mask[4, 3]
    assert mask.diagonal().all()
    assert mask.sum() == 12 + 2
    assert sibling_mask(np.ones((2, 2))).tolist() == [[True, False], [False, True]]  # too few to tell


def test_strength_is_uniform_for_unrelated_items_and_high_for_matches() -> None:
    rng = np.random.default_rng(1)
    k = 8
    unrelated = rng.normal(0.3, 0.05, size=(4000, k))
    related = rng.normal(0.3, 0.05, size=(1000, k))
    related[:, 2] += 0.3
    scores = np.vstack([related, unrelated])
    null = NullModel(np.eye(k, dtype=bool), best_of_k=True).fit(scores, scores.argmax(axis=1))
    strength = null.strength(scores, scores.argmax(axis=1))
    # An unrelated item's best sits inside the null (the runner-ups, a mixture of both kinds of item).
    assert 0.35 < float(strength[1000:].mean()) < 0.75
    assert float((strength[:1000] > 0.95).mean()) > 0.95
    # Counts of identical rows give what repeating them gives.
    counts = rng.integers(1, 4, size=scores.shape[0])
    weighted = NullModel(np.eye(k, dtype=bool), True).fit(scores, scores.argmax(axis=1), counts)
    repeated_scores = np.repeat(scores, counts, axis=0)
    repeated = NullModel(np.eye(k, dtype=bool), True).fit(repeated_scores, repeated_scores.argmax(axis=1))
    best = scores.argmax(axis=1)
    assert np.allclose(weighted.strength(scores, best), repeated.strength(scores, best))


def test_strength_is_the_weighted_mid_rank_among_the_runner_ups_with_ties() -> None:
    """Whatever order the null and the lookups take internally: the share of the runner-ups' copies
    below a row's best score, plus half of those equal to it (many scores tie at 0)."""
    rng = np.random.default_rng(2)
    k = 6
    scores = rng.choice([0.0, 0.1, 0.2, 0.25, 0.5], size=(3000, k))  # a few values: ties everywhere
    counts = np.asarray(rng.integers(0, 4, size=scores.shape[0]), dtype=np.int64)
    best = scores.argmax(axis=1)
    null = NullModel(np.eye(k, dtype=bool), best_of_k=False).fit(scores, best, counts)
    runner_up = np.where(np.eye(k, dtype=bool)[best], -np.inf, scores).max(axis=1)
    value = scores[np.arange(scores.shape[0]), best]
    below = np.array([counts[runner_up < v].sum() for v in value], dtype=np.float64)
    equal = np.array([counts[runner_up == v].sum() for v in value], dtype=np.float64)
    assert np.array_equal(null.strength(scores, best), (below + 0.5 * equal) / counts.sum())


def test_a_sibling_is_not_the_null_of_its_sibling() -> None:
    # Entries 0 and 1 are siblings: every item about either matches both almost equally.
    rng = np.random.default_rng(2)
    scores = rng.normal(0.2, 0.03, size=(600, 6))
    scores[:540, 0] += 0.3
    scores[:540, 1] += 0.28
    best = scores.argmax(axis=1)
    plain = NullModel(np.eye(6, dtype=bool), best_of_k=False).fit(scores, best).strength(scores, best)
    siblings = np.eye(6, dtype=bool)
    siblings[0, 1] = siblings[1, 0] = True
    aware = NullModel(siblings, best_of_k=False).fit(scores, best).strength(scores, best)
    assert aware[:540].mean() > 0.9 > plain[:540].mean()


def test_combined_strength_stays_uniform_under_the_null() -> None:
    rng = np.random.default_rng(3)
    combined = combined_strength([rng.uniform(size=20000), rng.uniform(size=20000)])
    assert abs(float(np.median(combined)) - 0.5) < 0.02


def test_signal_curve_is_monotone_and_near_zero_for_a_null_corpus() -> None:
    rng = np.random.default_rng(4)
    null_only = signal_curve(rng.uniform(size=5000))
    assert null_only.max() < 0.15
    mixed = np.concatenate([rng.uniform(size=3000), rng.uniform(0.95, 1.0, size=2000)])
    curve = signal_curve(mixed)
    assert bool((np.diff(curve) >= -1e-12).all())
    assert curve[-1] > 0.8
    assert signal_probability(curve, np.array([0.0, 0.99])).tolist() == [curve[0], curve[-1]]
