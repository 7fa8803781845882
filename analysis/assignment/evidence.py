"""How strong an item's match to its best commitment is, measured against unrelated text.

"Unrelated text" is read from the corpus itself: for every item, the best score it gets from a
commitment *other* than its best one and that commitment's close siblings (the runner-up). Over the
corpus those runner-up scores are what an entry scores on text that is not about it; an item's
*strength* is where its best score falls in that distribution (its null CDF, in [0, 1]). An item
about nothing in the catalogue has a strength spread evenly over [0, 1]; an item about a commitment
sits near 1.

Siblings: entries that are far more alike than entries usually are (「社會局老人福利科」 beside
「社會局社會救助科」) both match an item about either, so the runner-up of a genuine match would be its
sibling and the null would be as high as the evidence. Siblings are the Tukey outliers (above
Q3 + 1.5 IQR) of the entries' pairwise similarities, a rule that needs no fitting.

Two views (lexical, sentence embeddings) give two strengths; the item's strength is the null CDF of
the larger of the two, ``max(s1, s2) ** 2``, so that an unrelated item still has a uniform strength.

:func:`signal_curve` turns strengths into the probability that an item's evidence is real and
not the null's: the null's density of strengths is flat, so where the corpus has more items than the
flat floor, the excess is signal (a local false discovery rate, Efron 2001).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.isotonic import IsotonicRegression

from analysis.counts import sample_counts


def best_null_exponent(k: int) -> float:
    """k / (k − 1): for scores where every text has some similarity to every entry, an unrelated item's
    best is the largest of k draws while its runner-up is about the largest of k − 1; raising the
    runner-up null's CDF to this power gives the best's."""
    return k / (k - 1) if k > 1 else 1.0


def sibling_mask(*similarities: ArrayLike) -> np.ndarray:
    """Boolean (k, k): ``True`` where two entries are siblings in any of the given similarity matrices
    (Tukey outliers of the off-diagonal values), and on the diagonal."""
    k = np.asarray(similarities[0]).shape[0]
    mask = np.eye(k, dtype=bool)
    if k < 3:
        return mask
    off_diagonal = ~np.eye(k, dtype=bool)
    for similarity in similarities:
        values = np.asarray(similarity, dtype=np.float64)
        q1, q3 = np.quantile(values[off_diagonal], [0.25, 0.75])
        mask |= off_diagonal & (values > q3 + 1.5 * (q3 - q1))
    return mask


class NullModel:
    """The runner-up null of one view: fitted on the corpus, applied to any rows.

    ``best_of_k``: for scores where every item has some similarity to every entry (sentence vectors),
    an unrelated item's best score is the largest of k unrelated ones while the runner-up is the
    largest of k − 1; the null CDF is raised to k / (k − 1) for the best (:func:`best_null_exponent`).
    """

    def __init__(self, siblings: np.ndarray, best_of_k: bool) -> None:
        self.siblings = siblings
        self.best_of_k = best_of_k

    def fit(self, scores: np.ndarray, best: np.ndarray, sample_weight: ArrayLike | None = None) -> NullModel:
        weight = sample_counts(sample_weight, scores.shape[0])
        runner_up = self._runner_up(scores, best)
        # Any order of equal scores will do: strength reads the cumulative counts only where the scores
        # change, and whole counts add up exactly in any order (numpy's default sort: a third of the time).
        order = np.argsort(runner_up)
        self.null_ = runner_up[order]
        self.cumulative_ = np.cumsum(weight[order]).astype(np.float64)
        self.exponent_ = best_null_exponent(scores.shape[1]) if self.best_of_k else 1.0
        return self

    def _runner_up(self, scores: np.ndarray, best: np.ndarray) -> np.ndarray:
        if scores.shape[0] == 0:
            return np.zeros(0)
        masked = np.where(self.siblings[best], -np.inf, scores)
        runner_up = masked.max(axis=1)
        return np.where(np.isfinite(runner_up), runner_up, 0.0)

    def strength(self, scores: np.ndarray, best: np.ndarray) -> np.ndarray:
        """The null CDF of each row's score for its ``best`` entry (mid-ranks: many scores tie at 0)."""
        n = scores.shape[0]
        total = self.cumulative_[-1] if self.cumulative_.size else 0.0
        if n == 0 or total <= 0:
            return np.zeros(n)
        value = scores[np.arange(n), best]
        # Looked up in increasing order (each search starts near the last one's answer), then put back:
        # half the time of looking up the rows in their own order, the same positions.
        order = np.argsort(value)
        below, upto = np.empty(n, dtype=np.intp), np.empty(n, dtype=np.intp)
        below[order] = np.searchsorted(self.null_, value[order], side="left")
        upto[order] = np.searchsorted(self.null_, value[order], side="right")
        cum = np.concatenate([[0.0], self.cumulative_])
        cdf = (cum[below] + 0.5 * (cum[upto] - cum[below])) / total
        return np.asarray(cdf**self.exponent_, dtype=np.float64)


def combined_strength(strengths: list[np.ndarray]) -> np.ndarray:
    """The null CDF of the largest of independent per-view strengths (uniform under the null)."""
    if not strengths:
        raise ValueError("at least one view is needed")
    return np.asarray(np.max(np.vstack(strengths), axis=0) ** len(strengths), dtype=np.float64)


def signal_curve(strength: np.ndarray, sample_weight: ArrayLike | None = None, bins: int = 10) -> np.ndarray:
    """P(the evidence is real | strength bin) for ``bins`` equal bins of [0, 1]: 1 − π0 / f, with f the
    corpus's density of strengths and π0 the mean density of the lower half, where the null dominates;
    made non-decreasing (stronger evidence is never less likely to be real)."""
    n = strength.shape[0]
    if n == 0:
        return np.zeros(bins)
    weight = sample_counts(sample_weight, n).astype(np.float64)
    density = np.bincount(_bin(strength, bins), weights=weight, minlength=bins) / weight.sum() * bins
    floor = min(1.0, float(density[: bins // 2].mean()))
    curve = np.clip(1.0 - floor / np.maximum(density, 1e-12), 0.0, 1.0)
    # Monotone by pooling adjacent violators, each bin weighted by its items.
    centres = (np.arange(bins) + 0.5) / bins
    fitted = IsotonicRegression(y_min=0.0, y_max=1.0).fit(centres, curve, sample_weight=density + 1e-9)
    monotone: np.ndarray = np.asarray(fitted.predict(centres), dtype=np.float64)
    return monotone


def signal_probability(curve: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Each strength's value on a :func:`signal_curve`."""
    values: np.ndarray = np.asarray(curve[_bin(strength, curve.size)], dtype=np.float64)
    return values


def _bin(strength: np.ndarray, bins: int) -> np.ndarray:
    which: np.ndarray = np.minimum((np.clip(strength, 0.0, 1.0) * bins).astype(np.int64), bins - 1)
    return which


__all__ = [
    "NullModel",
    "best_null_exponent",
    "combined_strength",
    "sibling_mask",
    "signal_curve",
    "signal_probability",
]
