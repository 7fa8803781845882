"""Which groups of comments are about something the catalogue leaves out: ``none`` that finds new topics.

One weak match is no evidence that a comment is off-topic: with a title-only catalogue most comments on a
topic share no word with its title. A *group* of similar comments that the catalogue explains no better
than it would explain a topic it lacks is. How would this catalogue treat a topic it lacks, on these
comments? The corpus can say: leave one commitment out and its comments become, for the rest of the
catalogue, exactly that — a topic the catalogue lacks, with its kept neighbours still there. Doing so for
each commitment in turn gives, on this corpus and this catalogue, groups known to be new and groups known
to belong, with no labels at all.

:class:`NoveltyGate` learns from those simulations to tell the two apart from how a group is matched
(how far its best commitment stands out, whether the views agree on it, how strong its evidence is
against unrelated text), then reads the real groups. How readily it calls a group new is the
facilitator's choice (:data:`NONE_MODES`): the share of comments that belong but would be called new —
false alarms — that each mode accepts, measured in the same simulations (held out: each simulation is
judged by a model learned from the others), which also measure how many of the new topics' comments
it finds. A false-alarm rate does not depend on how many comments are really new, so the modes mean the
same on a catalogue that holds everything and on one that lacks a third of the topics. Where the
simulations show that new topics cannot be told from the catalogue's own (149 overlapping agency names),
the threshold that keeps false alarms rare finds little, and few groups are called new: weak evidence
then lowers the confidence, it does not make a ``none``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from analysis.assignment.agreement import combine, row_z
from analysis.assignment.evidence import NullModel, combined_strength

NoneMode = Literal["strict", "balanced", "generous"]


class ModeRule(NamedTuple):
    """When a mode calls a group new: the learned model's false-alarm rate, or a group where fewer than
    ``above_null`` of the members match better than the median unrelated match does."""

    false_alarms: float
    above_null: float


# "strict" lets 1 in 50 belonging comments be called new by the model, and needs three in four of a
# group's comments to match no better than unrelated text; "generous" 1 in 5, and half.
NONE_MODES: dict[NoneMode, ModeRule] = {
    "strict": ModeRule(0.02, 1 / 4),
    "balanced": ModeRule(0.05, 1 / 3),
    "generous": ModeRule(0.20, 1 / 2),
}
ABOVE_NULL = -1  # the column of group_evidence's features: share of members above the median null
MIN_SIMULATED_NEW = 3  # fewer simulated new groups than this teach nothing: no group is called new


class GroupEvidence(NamedTuple):
    """Per group, the mean over its items (copies counted) of how they are matched."""

    features: np.ndarray  # groups × features
    best: np.ndarray  # each item's best commitment (index into the kept commitments)


def group_evidence(
    scores: Sequence[np.ndarray],
    weights: np.ndarray,
    same: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    sample_weight: np.ndarray,
    dense: Sequence[bool],
) -> GroupEvidence:
    """How each group is matched by ``scores`` (one items × commitments matrix per view; ``dense``: per
    view, whether every text has some similarity to every commitment, as sentence vectors do).

    Per item: the margin of the combined best over the runner-up, the weighted share of views whose best
    is the combined best (siblings counting as the same), and per view its best score, that score's
    z-score and its strength against unrelated text (``analysis.assignment.evidence``), the strengths
    combined, and (last, :data:`ABOVE_NULL`) whether that exceeds the median match of unrelated text.
    """
    combined = combine(scores, weights)
    best = combined.argmax(axis=1)
    ordered = np.sort(combined, axis=1)
    margin = ordered[:, -1] - (ordered[:, -2] if combined.shape[1] > 1 else 0.0)
    agree = sum(w * same[best, view.argmax(axis=1)] for w, view in zip(weights, scores, strict=True))
    rows = np.arange(best.size)
    columns = [margin, np.asarray(agree, dtype=np.float64)]
    strengths = []
    for i, view in enumerate(scores):
        own = view.argmax(axis=1)
        columns.append(view[rows, own])
        columns.append(row_z(view)[rows, own])
        null = NullModel(same, best_of_k=dense[i]).fit(view, own, sample_weight)
        strengths.append(null.strength(view, own))
        columns.append(strengths[-1])
    strength = combined_strength(strengths)
    columns.append(strength)
    columns.append((strength > 0.5).astype(np.float64))  # last: the share of members above the median null
    item = np.column_stack(columns)
    total = np.bincount(groups, weights=sample_weight, minlength=n_groups)
    sums = np.vstack(
        [
            np.bincount(groups, weights=sample_weight * item[:, c], minlength=n_groups)
            for c in range(item.shape[1])
        ]
    ).T
    return GroupEvidence(sums / np.maximum(total, 1e-12)[:, None], best)


class Simulation(NamedTuple):
    """Groups matched with one commitment left out: their evidence, whether they are its, which run,
    and their size (copies counted)."""

    features: np.ndarray
    is_new: np.ndarray
    run: np.ndarray
    size: np.ndarray


def simulate(
    scores: Sequence[np.ndarray],
    weights: np.ndarray,
    same: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    sample_weight: np.ndarray,
    dense: Sequence[bool],
    left_out: Sequence[int],
) -> Simulation:
    """Leave each commitment of ``left_out`` out in turn: the groups most of whose items it had as best
    are new to the rest of the catalogue; the others belong to it."""
    k = scores[0].shape[1]
    full_best = combine(scores, weights).argmax(axis=1)
    total = np.bincount(groups, weights=sample_weight, minlength=n_groups)
    features, is_new, run, size = [], [], [], []
    for r, j in enumerate(left_out):
        kept = np.flatnonzero(np.arange(k) != j)
        evidence = group_evidence(
            [s[:, kept] for s in scores],
            weights,
            same[np.ix_(kept, kept)],
            groups,
            n_groups,
            sample_weight,
            dense,
        )
        share = np.bincount(groups, weights=sample_weight * (full_best == j), minlength=n_groups)
        present = total > 0
        features.append(evidence.features[present])
        is_new.append((share[present] / total[present]) > 0.5)
        run.append(np.full(int(present.sum()), r))
        size.append(total[present])
    return Simulation(np.vstack(features), np.concatenate(is_new), np.concatenate(run), np.concatenate(size))


class NoveltyGate(BaseEstimator):  # type: ignore[misc]
    """Learn from simulated left-out commitments which groups are new topics; call groups new or not.

    ``fit(X, y, groups, sample_weight)``: ``X`` the simulated groups' evidence (:func:`simulate`), ``y``
    whether each was new, ``groups`` the simulation each came from (the held-out probabilities that set
    the thresholds are predicted for one simulation by a model learned from the others), and
    ``sample_weight`` each group's size, so that rates count comments. ``predict_proba(X)`` gives real
    groups' probability of being new; ``thresholds_[mode]`` the probability each ``NONE_MODES`` mode
    needs (``inf`` when the simulations were too few to learn from); ``measured_[mode]`` the
    (precision, recall) of ``none`` held out in the simulations at that threshold.
    """

    def __init__(self, C: float = 0.1, random_state: int = 0) -> None:
        self.C = C
        self.random_state = random_state

    def _model(self) -> Pipeline:
        return make_pipeline(
            StandardScaler(),
            LogisticRegression(
                C=self.C, class_weight="balanced", max_iter=1000, random_state=self.random_state
            ),
        )

    def fit(
        self, X: ArrayLike, y: ArrayLike, groups: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> NoveltyGate:
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=bool)
        runs = np.asarray(groups)
        size = np.ones(y.size) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.thresholds_: dict[NoneMode, float] = dict.fromkeys(NONE_MODES, np.inf)
        self.measured_: dict[NoneMode, tuple[float, float]] = dict.fromkeys(NONE_MODES, (0.0, 0.0))
        self.model_: Pipeline | None = None
        if y.sum() < MIN_SIMULATED_NEW or (~y).sum() < 1 or np.unique(runs[y]).size < 2:
            return self
        folds = GroupKFold(n_splits=min(5, np.unique(runs).size))
        held_out = cross_val_predict(self._model(), X, y, groups=runs, cv=folds, method="predict_proba")[:, 1]
        self.model_ = self._model().fit(X, y)
        for mode, rule in NONE_MODES.items():
            self.thresholds_[mode] = _threshold(held_out, y, size, rule.false_alarms)
            called = (held_out >= self.thresholds_[mode]) | (X[:, ABOVE_NULL] < rule.above_null)
            self.measured_[mode] = _precision_recall(called, y, size)
        return self

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Each group's probability of being new to the catalogue (0 when the gate learned nothing)."""
        check_is_fitted(self, "thresholds_")
        X = np.asarray(X, dtype=np.float64)
        if self.model_ is None:
            return np.zeros(X.shape[0])
        proba: np.ndarray = self.model_.predict_proba(X)[:, 1]
        return proba

    def predict(self, X: ArrayLike, mode: NoneMode = "balanced") -> np.ndarray:
        """``True`` for the groups called new in ``mode``: by the learned model at the mode's false-alarm
        rate, or by the share of members whose evidence beats the median unrelated match."""
        X = np.asarray(X, dtype=np.float64)
        by_model = self.predict_proba(X) >= self.thresholds_[mode]
        return np.asarray(by_model | (X[:, ABOVE_NULL] < NONE_MODES[mode].above_null))


def _threshold(proba: np.ndarray, is_new: np.ndarray, size: np.ndarray, false_alarms: float) -> float:
    """The lowest probability at which the belonging groups called new hold at most ``false_alarms``
    of the belonging comments (``inf`` when even the most probable group would break it)."""
    belonging = ~is_new
    order = np.argsort(-proba, kind="stable")
    alarms = np.cumsum(np.where(belonging[order], size[order], 0.0)) / max(
        1e-12, float(size[belonging].sum())
    )
    within = np.flatnonzero(alarms <= false_alarms)
    if within.size == 0:
        return np.inf
    depth = int(within[-1]) + 1
    # Ties: a cut at a probability takes every group at it, so stop above a tie that would break the rate.
    while 0 < depth < order.size and proba[order[depth]] == proba[order[depth - 1]]:
        depth -= 1
    return float(proba[order[depth - 1]]) if depth else np.inf


def _precision_recall(called: np.ndarray, is_new: np.ndarray, size: np.ndarray) -> tuple[float, float]:
    """Precision and recall of the groups ``called`` new, comments counted."""
    found = float(size[called & is_new].sum())
    return found / max(1e-12, float(size[called].sum())), found / max(1e-12, float(size[is_new].sum()))


__all__ = [
    "ABOVE_NULL",
    "NONE_MODES",
    "GroupEvidence",
    "ModeRule",
    "NoneMode",
    "NoveltyGate",
    "Simulation",
    "group_evidence",
    "simulate",
]
