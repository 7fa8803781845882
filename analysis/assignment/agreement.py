"""How much each view counts: decided per run by how well it agrees with the others, without labels.

A view is one way of scoring every item against every commitment (the naive script's jieba-word TF-IDF,
the project's words and character bigrams, sentence vectors). Which one reads a catalogue best depends
on the catalogue and the comments: sentence vectors relate 鞭刑 to 刑罰, but a two-character agency name
says little to them; a long text names its subject in words the title shares.

A view that carries the topic agrees with the other views more often than chance; a view that carries
nothing (flat scores, or a title the encoder misreads) agrees only by chance. Each view's weight is its
chance-corrected agreement (Cohen's κ) with the combined ranking of the *other* views, on the items
where it has any evidence at all, clipped at zero: a view no better than chance counts for nothing, and
when the naive view is the only one that agrees with anything, the combination is the naive view.
Agreement counts a near-identical sibling entry (``analysis.assignment.evidence.sibling_mask``) as
agreement, since two views that pick 社會局老人福利科 and 社會局社會救助科 both read the topic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def row_z(scores: np.ndarray) -> np.ndarray:
    """Per-row z-scores (a row with no spread, e.g. no lexical evidence at all, becomes zeros)."""
    spread = scores.std(axis=1, keepdims=True)
    centred = scores - scores.mean(axis=1, keepdims=True)
    return np.asarray(centred / np.where(spread > 0, spread, 1.0))


def combine(scores: Sequence[np.ndarray], weights: np.ndarray, *, standardised: bool = False) -> np.ndarray:
    """The weighted sum of the views' per-row z-scores (items × commitments); ``standardised``: the
    scores given are :func:`row_z`'s already."""
    total = np.zeros_like(scores[0], dtype=np.float64)
    for view, weight in zip(scores, weights, strict=True):
        if weight > 0:
            total += weight * (view if standardised else row_z(view))
    return total


def kappa(first: np.ndarray, second: np.ndarray, same: np.ndarray, weight: np.ndarray) -> float:
    """Cohen's κ of two labelings (indices into ``same``, a boolean k × k "counts as the same" matrix),
    each row counted ``weight`` times."""
    total = float(weight.sum())
    if total <= 0:
        return 0.0
    observed = float((weight * same[first, second]).sum()) / total
    k = same.shape[0]
    p_first = np.bincount(first, weights=weight, minlength=k) / total
    p_second = np.bincount(second, weights=weight, minlength=k) / total
    expected = float(p_first @ same.astype(np.float64) @ p_second)
    if expected >= 1.0:
        return 0.0
    return (observed - expected) / (1.0 - expected)


def view_weights(
    scores: Sequence[np.ndarray],
    same: np.ndarray,
    sample_weight: np.ndarray,
    anchor: int = 0,
    families: Sequence[str] | None = None,
) -> np.ndarray:
    """Each view's weight: κ of its best commitment with the other views' combined best, less two of its
    standard errors under chance, clipped at 0.

    ``same``: k × k, ``True`` where two entries count as one answer (an entry and its siblings). Every
    view is judged on every row its witnesses answer; a row where it has no evidence (scores all alike)
    counts as no answer, which agrees with nothing: a view that speaks only on easy rows is not judged
    on those alone. Where
    a view has no evidence its z-scores are zero, so its weight does not matter there. With a single
    view, its weight is 1. When no view agrees with the others beyond chance, the ``anchor`` view (the naive
    script's evidence) alone counts: nothing shows that another view reads the catalogue better.

    ``families``: views of one family share their evidence (the naive script's words are the lexical
    view's too), so their agreement with each other says little about either; a view is judged by the
    views of other families when there are any.
    """
    if len(scores) == 1:
        return np.ones(1)
    k = same.shape[0]
    # A row where a view scores every commitment alike is a row it does not answer: an answer of its
    # own (index k) that agrees with nothing.
    answers = [np.where(view.max(axis=1) > view.min(axis=1), view.argmax(axis=1), k) for view in scores]
    agrees = np.zeros((k + 1, k + 1), dtype=bool)
    agrees[:k, :k] = same
    rows = sample_weight > 0
    weights = np.zeros(len(scores))
    kin = list(families) if families is not None else [str(i) for i in range(len(scores))]
    z = [row_z(view) for view in scores]  # each view is a witness of the others: standardised once
    for i in range(len(scores)):
        witnesses = [j for j in range(len(scores)) if kin[j] != kin[i]] or [
            j for j in range(len(scores)) if j != i
        ]
        others = combine([z[j] for j in witnesses], np.ones(len(witnesses)), standardised=True)
        judged = rows & (others.max(axis=1) > others.min(axis=1))  # rows the witnesses answer
        if not judged.any():
            continue
        agreement = kappa(answers[i][judged], others[judged].argmax(axis=1), agrees, sample_weight[judged])
        # Agreement within two standard errors of chance is chance (SE of κ ≈ 1 / √n near κ = 0).
        weights[i] = max(0.0, agreement - 2.0 / float(np.sqrt(max(1.0, sample_weight[judged].sum()))))
    if weights.sum() <= 0:  # nothing agrees with anything beyond chance: the anchor alone
        weights[anchor] = 1.0
    normalised: np.ndarray = weights / weights.sum()
    return normalised


__all__ = ["combine", "kappa", "row_z", "view_weights"]
