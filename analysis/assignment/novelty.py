"""Which groups of comments are about something the catalogue leaves out: ``none`` that finds new topics.

One weak match is no evidence that a comment is off-topic: with a title-only catalogue most comments on a
topic share no word with its title. A *group* of similar comments whose matches are, taken together, no
better than unrelated text would get is: a theme the catalogue leaves out.

**The rule.** Each comment's *strength* is where its best match falls among the matches of unrelated
text (``analysis.assignment.evidence``; above ½: better than the median unrelated match). A group is new
when fewer than a share of its comments (copies counted) are above ½; the facilitator's ``none`` mode
(:data:`NONE_MODES`) sets the share: a quarter (strict), a third (balanced), a half (generous — the
share unrelated text itself would show). A comment of a new group whose own strength is above
``STRONG`` keeps its commitment (``analysis.assignment.assign``).

**What a mode does on this corpus** is measured, without labels, by leaving each commitment out in turn
(:func:`simulate`): its comments are then, for the rest of the catalogue, exactly a topic the catalogue
lacks, with its kept neighbours still there. The groups that were mostly that commitment's should be
called new; the others should not. The precision and recall of each mode over those trials are stored
with the run and shown in the report, so a facilitator can read how far ``none`` can be trusted with
this catalogue — near nothing for 149 overlapping agency names, much more for distinct topics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np

from analysis.assignment.agreement import combine
from analysis.assignment.evidence import NullModel, combined_strength

NoneMode = Literal["strict", "balanced", "generous"]
# The share of a group's comments that must match better than the median unrelated match for the
# group to belong: a quarter (strict about calling a group new), a third, a half (what unrelated text
# itself would show).
NONE_MODES: dict[NoneMode, float] = {"strict": 1 / 4, "balanced": 1 / 3, "generous": 1 / 2}
MAX_SIMULATIONS = 20  # commitments left out in turn to measure the modes


def item_strength(
    scores: Sequence[np.ndarray], same: np.ndarray, sample_weight: np.ndarray, dense: Sequence[bool]
) -> np.ndarray:
    """Each row's strength against unrelated text, over the given views combined (their strengths'
    maximum, as a null CDF: ``analysis.assignment.evidence.combined_strength``)."""
    strengths = []
    for view, is_dense in zip(scores, dense, strict=True):
        best = view.argmax(axis=1)
        null = NullModel(same, best_of_k=is_dense).fit(view, best, sample_weight)
        strengths.append(null.strength(view, best))
    return combined_strength(strengths)


def share_above_null(
    strength: np.ndarray, groups: np.ndarray, n_groups: int, sample_weight: np.ndarray
) -> np.ndarray:
    """Per group, the share of its comments (copies counted) that match better than the median
    unrelated match (strength above ½); 1 for an empty group."""
    above = np.bincount(groups, weights=sample_weight * (strength > 0.5), minlength=n_groups)
    size = np.bincount(groups, weights=sample_weight, minlength=n_groups)
    return np.where(size > 0, above / np.maximum(size, 1e-12), 1.0)


def new_groups(share: np.ndarray, mode: NoneMode) -> np.ndarray:
    """The groups a mode calls new: fewer of their comments above the null than the mode's share."""
    return np.asarray(share < NONE_MODES[mode])


class Measured(NamedTuple):
    """Per mode, (precision, recall) of ``none`` over the simulated left-out commitments, comments
    counted; empty when the catalogue is too small to leave one out."""

    figures: dict[NoneMode, tuple[float, float]]
    trials: int


def left_out_strengths(
    scores: Sequence[np.ndarray],
    same: np.ndarray,
    sample_weight: np.ndarray,
    dense: Sequence[bool],
    left_out: Sequence[int],
) -> list[np.ndarray]:
    """Each row's strength against unrelated text with each commitment of ``left_out`` left out in turn
    (the trials :func:`simulate` judges; they need no groups, so they can be computed while the groups
    form)."""
    k = scores[0].shape[1]
    out = []
    for j in left_out:
        kept = np.flatnonzero(np.arange(k) != j)
        out.append(
            item_strength([s[:, kept] for s in scores], same[np.ix_(kept, kept)], sample_weight, dense)
        )
    return out


def simulate(
    scores: Sequence[np.ndarray],
    weights: np.ndarray,
    groups: np.ndarray,
    sample_weight: np.ndarray,
    left_out: Sequence[int],
    strengths: Sequence[np.ndarray],
) -> Measured:
    """Leave each commitment of ``left_out`` out in turn (``strengths``: :func:`left_out_strengths`'s):
    the groups most of whose comments had it as their best (``weights``: the views' weights in the
    combined ranking) should be called new, the others not. Each mode's precision and recall over all
    trials."""
    n_groups = int(groups.max()) + 1 if groups.size else 0
    best = combine(scores, weights).argmax(axis=1)
    size = np.bincount(groups, weights=sample_weight, minlength=n_groups)
    hits = dict.fromkeys(NONE_MODES, 0.0)
    called = dict.fromkeys(NONE_MODES, 0.0)
    truth = 0.0
    for j, strength in zip(left_out, strengths, strict=True):
        share = share_above_null(strength, groups, n_groups, sample_weight)
        theirs = np.bincount(groups, weights=sample_weight * (best == j), minlength=n_groups)
        is_new = theirs > 0.5 * size
        truth += float(size[is_new].sum())
        for mode in NONE_MODES:
            said = new_groups(share, mode)
            called[mode] += float(size[said].sum())
            hits[mode] += float(size[said & is_new].sum())
    figures: dict[NoneMode, tuple[float, float]] = {
        mode: (hits[mode] / max(called[mode], 1e-12), hits[mode] / max(truth, 1e-12)) for mode in NONE_MODES
    }
    return Measured(figures if left_out else {}, len(left_out))


def left_out_commitments(best: np.ndarray, sample_weight: np.ndarray, k: int, seed: int) -> list[int]:
    """The commitments to leave out in turn: those some comment has as its best, at most
    ``MAX_SIMULATIONS`` of them (drawn with ``seed``); none when fewer than three commitments."""
    if k < 3:
        return []
    present = np.flatnonzero(np.bincount(best, weights=sample_weight, minlength=k) > 0)
    rng = np.random.default_rng(seed)
    return sorted(int(j) for j in rng.choice(present, min(MAX_SIMULATIONS, present.size), replace=False))


__all__ = [
    "MAX_SIMULATIONS",
    "NONE_MODES",
    "Measured",
    "NoneMode",
    "item_strength",
    "left_out_commitments",
    "left_out_strengths",
    "new_groups",
    "share_above_null",
    "simulate",
]
