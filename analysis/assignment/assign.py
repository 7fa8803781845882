"""Zero-shot assignment of a corpus to a catalogue: several views, weighed by agreement, enriched by the
corpus, and ``none`` for the groups the catalogue leaves out.

There are no labels at run time, a facilitator's few examples aside. The steps:

1. **Views** (:class:`View`): each scores every distinct text against every commitment by cosine to a
   prototype (``analysis.assignment.prototypes``) — the naive script's evidence (jieba words, TF-IDF,
   the catalogue's text), the project's words and character bigrams, and sentence vectors when there
   are any. A facilitator's examples join their commitment's prototype.
2. **Weights** (``analysis.assignment.agreement``): each view counts as much as it agrees with the others
   beyond chance, measured on this corpus. The naive view is always one of them, so when it is the
   only one that reads the catalogue, the ranking is its ranking.
3. **Enrichment** (pseudo-relevance feedback): the comments that the weighted views agree on most
   clearly lend each commitment their words and vectors (its prototype moves towards them), and every
   comment is scored again. A four-character title is then matched by the words of the comments about
   it. The naive view is not enriched: it stays the naive script's evidence.
4. **none** (``analysis.assignment.novelty``): the corpus is grouped; each group is judged by a model
   learned from leaving each commitment out in turn, in the facilitator's ``none`` mode. An item in a
   group called new is ``none`` unless its own evidence is strong.
5. **Confidence**: the probability that an item's evidence is real (``analysis.assignment.evidence``)
   times its best commitment's probability; a ``none``'s is its group's probability of being new.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from analysis.assignment.agreement import combine, view_weights
from analysis.assignment.decisions import NONE, Decision, decisions
from analysis.assignment.evidence import sibling_mask, signal_curve, signal_probability
from analysis.assignment.grouping import corpus_groups
from analysis.assignment.novelty import (
    Measured,
    NoneMode,
    item_strength,
    left_out_commitments,
    left_out_strengths,
    new_groups,
    share_above_null,
    simulate,
)
from analysis.assignment.prototypes import DENSE_BLOCK, UNLABELLED, PrototypeClassifier, Rows
from analysis.parallel import in_background

PARALLEL_GROUPS_MIN_ROWS = 20000  # distinct rows from which grouping is worth a forked child
STRONG = 0.95  # an item in a new group keeps its commitment when its own strength exceeds 1 − α, α = 0.05


@dataclass(frozen=True, slots=True)
class View:
    """One way of scoring texts against commitments: rows of the corpus's distinct texts and of the
    commitments' own text in one space; ``feedback``: whether the corpus may enrich the commitments;
    ``evidence``: whether it counts in the strength against unrelated text (not when another view holds
    its features)."""

    name: str
    items: Rows
    catalogue: Rows
    feedback: bool = True
    evidence: bool = True  # counted in the evidence against unrelated text
    family: str = ""  # views of one family share their evidence (agreement.view_weights); "" = its name


@dataclass(frozen=True, slots=True)
class Settings:
    """The assignment's parameters (recorded in every run's manifest through ``AnalysisParams``)."""

    none: NoneMode = "balanced"
    feedback_weight: float = 0.5  # how far each prototype moves towards the comments that match it surely
    seed_fraction: float = 0.5  # the share of a commitment's agreed comments that lend it their words
    uncertain_ratio: float = 0.85  # uncertain when the second candidate reaches this share of the first
    random_state: int = 0


@dataclass(slots=True)
class Assignment:
    """The decisions for the distinct rows, and what the run reports about how they were made."""

    decisions: list[Decision]
    view_names: list[str]
    view_weights: list[float]
    none_mode: NoneMode
    none_measured: dict[str, tuple[float, float]] = field(default_factory=dict)
    new_groups: int = 0
    none_share: float = 0.0


def assign_corpus(
    views: Sequence[View],
    codes: Sequence[str],
    sample_weight: np.ndarray,
    examples: Sequence[str | None],
    settings: Settings,
) -> Assignment:
    """Assign every distinct row (``sample_weight``: its copies; ``examples``: per row a commitment
    code, ``"none"`` or ``None``)."""
    codes = list(codes)
    labels = _example_labels(examples, codes)
    if labels.size == 0:
        return Assignment([], [v.name for v in views], [1.0 / len(views)] * len(views), settings.none)
    same = sibling_mask(*[_catalogue_similarity(v) for v in views])
    evidence = [v for v in views if v.evidence]
    # The groups need no scores: on a large corpus they are formed on the other core meanwhile.
    with in_background(
        lambda: corpus_groups(
            sp.csr_matrix(evidence[0].items),
            _dense_view(evidence),
            len(codes),
            sample_weight,
            settings.random_state,
        ),
        fork=labels.size >= PARALLEL_GROUPS_MIN_ROWS,
    ) as pending_groups:
        first = [_scores(v, labels, sample_weight, None, settings, examples=v.feedback) for v in views]
        proba, weights = _ranking(views, first, labels, same, sample_weight, settings)
        # Against the catalogue's own text: a view's first scores are these when no example shaped them.
        placed = bool((labels >= 0).any())
        plain = [
            _scores(v, labels, sample_weight, None, settings, examples=False) if v.feedback and placed else s
            for v, s in zip(views, first, strict=True)
            if v.evidence
        ]
        found = _new_topics(evidence, plain, same, labels, sample_weight, settings, pending_groups.result)
    # A none is as sure as its evidence looks like unrelated text's; an assignment as its evidence looks
    # real, times its best commitment's probability.
    confidence = np.where(found.is_new, 1.0 - found.real, found.real * proba.max(axis=1))
    decided = decisions(
        proba,
        codes,
        is_new=found.is_new,
        confidence=confidence,
        uncertain_ratio=settings.uncertain_ratio,
        examples=list(examples),
    )
    none_weight = float(sample_weight[np.array([d.status == NONE for d in decided], dtype=bool)].sum())
    return Assignment(
        decided,
        [v.name for v in views],
        [round(float(w), 4) for w in weights],
        settings.none,
        {str(mode): figures for mode, figures in found.measured.figures.items()},
        found.new_groups,
        none_weight / max(1.0, float(sample_weight.sum())),
    )


def _ranking(
    views: Sequence[View],
    first: Sequence[np.ndarray],
    labels: np.ndarray,
    same: np.ndarray,
    sample_weight: np.ndarray,
    settings: Settings,
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's probability for each commitment (rows × commitments) and the views' final weights:
    weigh the views (``first``: their scores before enrichment), let their agreed comments enrich the
    commitments, weigh and combine again."""
    families = [v.family or v.name for v in views]
    weights = view_weights(first, same, sample_weight, families=families)
    seeds = consensus_seeds(first, weights, same, sample_weight, labels, settings.seed_fraction)
    final = [
        _scores(v, labels, sample_weight, seeds if v.feedback else None, settings, examples=v.feedback)
        for v in views
    ]
    weights = view_weights(final, same, sample_weight, families=families)
    # Weights sum to the number of views (alike views: 1 each), so the ranking's probabilities are as
    # sharp as the evidence of that many views; scaled to sum to one they were too flat to be believed.
    return _softmax(combine(final, weights * len(views))), weights


class NewTopics(NamedTuple):
    """Which rows are ``none``, how real each row's evidence is, and what the trials measured."""

    is_new: np.ndarray
    real: np.ndarray
    new_groups: int
    measured: Measured


def _new_topics(
    views: Sequence[View],
    plain: Sequence[np.ndarray],
    same: np.ndarray,
    labels: np.ndarray,
    sample_weight: np.ndarray,
    settings: Settings,
    group_rows: Callable[[], np.ndarray],
) -> NewTopics:
    """``none`` for the rows of groups the catalogue leaves out (``analysis.assignment.novelty``), on
    the views' scores against the catalogue's own text (``plain``), and each mode measured;
    ``group_rows()`` gives each row's group (``analysis.assignment.grouping``)."""
    dense = [not sp.issparse(v.items) for v in views]
    strength = item_strength(plain, same, sample_weight, dense)
    real = signal_probability(signal_curve(strength, sample_weight), strength)
    # What needs no groups first: on a large corpus they are still forming in a forked child.
    weights = view_weights(plain, same, sample_weight)
    best = combine(plain, weights).argmax(axis=1)
    trials = left_out_commitments(best, sample_weight, same.shape[0], settings.random_state)
    trial_strengths = left_out_strengths(plain, same, sample_weight, dense, trials)
    groups = group_rows()
    n_groups = int(groups.max()) + 1 if groups.size else 0
    if n_groups < 2:  # too small to group: never new as a whole
        no_group = np.zeros(labels.size, dtype=bool)
        return NewTopics(no_group | (labels == NONE_EXAMPLE), real, 0, Measured({}, 0))
    share = share_above_null(strength, groups, n_groups, sample_weight)
    new_group = _new_groups(new_groups(share, settings.none), groups, labels)
    is_new = (new_group[groups] & (strength <= STRONG) & (labels == UNLABELLED)) | (labels == NONE_EXAMPLE)
    measured = simulate(plain, weights, groups, sample_weight, trials, trial_strengths)
    return NewTopics(is_new, real, int(new_group.sum()), measured)


NONE_EXAMPLE = -2  # a facilitator's example of ``none`` (not a class of any view)


def _example_labels(examples: Sequence[str | None], codes: list[str]) -> np.ndarray:
    index = {c: j for j, c in enumerate(codes)}
    labels = np.full(len(examples), UNLABELLED, dtype=np.int64)
    for i, label in enumerate(examples):
        if label is None or label == "":
            continue
        if label == NONE:
            labels[i] = NONE_EXAMPLE
        elif label in index:
            labels[i] = index[label]
        else:
            raise ValueError(f"example label {label!r} is neither a commitment nor 'none'")
    return labels


def _catalogue_similarity(view: View) -> np.ndarray:
    rows = _normalised(view.catalogue)
    product = rows @ rows.T
    if sp.issparse(product):
        return np.asarray(sp.csr_matrix(product).toarray(), dtype=np.float64)
    return np.asarray(product, dtype=np.float64)


def _normalised(rows: Rows) -> Rows:
    return normalize(sp.csr_matrix(rows, dtype=np.float32) if sp.issparse(rows) else np.asarray(rows))


def _scores(
    view: View,
    labels: np.ndarray,
    sample_weight: np.ndarray,
    seeds: Seeds | None,
    settings: Settings,
    examples: bool = True,
) -> np.ndarray:
    """Cosine of every row to each commitment's prototype: its own text, its examples (each worth
    1 / (m + 1) of the text when it has m, so one atypical comment does not outweigh a description),
    and the mean of its feedback ``seeds`` (copies counted), worth ``feedback_weight / (1 − it)`` of
    the rest (Rocchio: the prototype moves that share of the way towards the seeds' centroid)."""
    k = view.catalogue.shape[0]
    # Only labelled rows shape a prototype: the catalogue's, the examples' and the seeds' centroids.
    parts, targets, worths = [view.catalogue], [np.arange(k)], [np.ones(k)]
    placed = np.flatnonzero(labels >= 0) if examples else np.zeros(0, dtype=np.int64)
    if placed.size:
        per_class = np.bincount(labels[placed], minlength=k)
        parts.append(view.items[placed])
        targets.append(labels[placed])
        worths.append(1.0 / (per_class[labels[placed]] + 1.0))
    if seeds is not None and (seeds.commitment >= 0).any():
        centroids, classes = _seed_centroids(view.items, seeds, k)
        parts.append(centroids)
        targets.append(classes)
        share = settings.feedback_weight
        worths.append(np.full(classes.size, share / max(1e-9, 1.0 - share)))
    dtype = np.result_type(view.items.dtype, *(r.dtype for r in parts))
    rows = (
        sp.vstack([sp.csr_matrix(r, dtype=dtype) for r in parts], format="csr")
        if sp.issparse(view.items)
        else np.vstack([np.asarray(r, dtype=dtype) for r in parts])
    )
    model = PrototypeClassifier().fit(rows, np.concatenate(targets), sample_weight=np.concatenate(worths))
    return model.similarity(view.items)


def _seed_centroids(items: Rows, seeds: Seeds, k: int) -> tuple[Rows, np.ndarray]:
    """The normalised mean row of each commitment's seeds (copies taken counted), and those commitments."""
    taken = np.flatnonzero(seeds.commitment >= 0)
    # Only the seeds' rows are normalised (and cast), not the whole corpus.
    membership = sp.csr_matrix(
        (seeds.copies[taken], (seeds.commitment[taken], np.arange(taken.size))), shape=(k, taken.size)
    )
    classes = np.flatnonzero(np.bincount(seeds.commitment[taken], minlength=k) > 0)
    if sp.issparse(items):
        centroids = sp.csr_matrix(membership @ _normalised(items[taken]))
        return _normalised(centroids[classes]), classes
    # Dense rows (sentence vectors) a block at a time: the product casts them to float64.
    summed = np.zeros((k, items.shape[1]))
    for start in range(0, taken.size, DENSE_BLOCK):
        part = slice(start, start + DENSE_BLOCK)
        summed += membership[:, part] @ _normalised(items[taken[part]])
    return _normalised(summed[classes]), classes


class Seeds(NamedTuple):
    """The comments that lend their words to a commitment: per row, the commitment (−1: none) and how
    many of its copies are taken (the row crossing a commitment's share is taken in part)."""

    commitment: np.ndarray
    copies: np.ndarray


def consensus_seeds(
    scores: Sequence[np.ndarray],
    weights: np.ndarray,
    same: np.ndarray,
    sample_weight: np.ndarray,
    labels: np.ndarray,
    fraction: float,
) -> Seeds:
    """Per commitment, the clearest ``fraction`` (by the combined margin, copies counted) of the rows
    whose weighted views agree on it (more than half the weight picks it, or a sibling); a facilitator's
    examples are never seeds."""
    combined = combine(scores, weights)
    best = combined.argmax(axis=1)
    ordered = np.sort(combined, axis=1)
    margin = ordered[:, -1] - (ordered[:, -2] if combined.shape[1] > 1 else 0.0)
    agree = sum(w * same[best, s.argmax(axis=1)] for w, s in zip(weights, scores, strict=True))
    eligible = (
        (np.asarray(agree) > 0.5 * float(np.sum(weights))) & (sample_weight > 0) & (labels == UNLABELLED)
    )
    commitment = np.full(best.size, UNLABELLED, dtype=np.int64)
    taken = np.zeros(best.size)
    for j in range(combined.shape[1]):
        members = np.flatnonzero(eligible & (best == j))
        if members.size == 0:
            continue
        order = members[np.lexsort((members, -margin[members]))]
        copies = sample_weight[order].astype(np.float64)
        wanted = max(1.0, float(np.ceil(copies.sum() * fraction)))
        before = np.cumsum(copies) - copies
        share = np.clip(wanted - before, 0.0, copies)
        chosen = share > 0
        commitment[order[chosen]] = j
        taken[order[chosen]] = share[chosen]
    return Seeds(commitment, taken)


def _softmax(scores: np.ndarray) -> np.ndarray:
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    proba: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
    return proba


def _dense_view(views: Sequence[View]) -> np.ndarray | None:
    dense = [v.items for v in views if not sp.issparse(v.items)]
    return np.asarray(dense[0]) if dense else None


def _new_groups(called: np.ndarray, groups: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The groups called new, where a facilitator's examples overrule: a group holding an example of a
    commitment is not new, one holding only examples of ``none`` is."""
    new = called.copy()
    placed = np.unique(groups[labels >= 0])
    new[np.unique(groups[labels == NONE_EXAMPLE])] = True
    new[placed] = False
    return np.asarray(new)


__all__ = ["NONE_EXAMPLE", "Assignment", "Settings", "View", "assign_corpus", "consensus_seeds"]
