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

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from analysis.assignment.agreement import combine, view_weights
from analysis.assignment.decisions import NONE, Decision, decisions
from analysis.assignment.evidence import (
    NullModel,
    combined_strength,
    sibling_mask,
    signal_curve,
    signal_probability,
)
from analysis.assignment.grouping import corpus_groups
from analysis.assignment.novelty import (
    ABOVE_NULL,
    NONE_MODES,
    NoneMode,
    NoveltyGate,
    group_evidence,
    simulate,
)
from analysis.assignment.prototypes import UNLABELLED, PrototypeClassifier, Rows

STRONG = 0.95  # an item in a new group keeps its commitment when its own strength exceeds 1 − α, α = 0.05
MAX_SIMULATIONS = 20  # commitments left out in turn to learn what a new topic looks like here


@dataclass(frozen=True, slots=True)
class View:
    """One way of scoring texts against commitments: rows of the corpus's distinct texts and of the
    commitments' own text in one space; ``feedback``: whether the corpus may enrich the commitments."""

    name: str
    items: Rows
    catalogue: Rows
    feedback: bool = True


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
    same = sibling_mask(*[_catalogue_similarity(v) for v in views])
    plain = [_scores(v, labels, sample_weight, None, settings, examples=False) for v in views]
    first = [_scores(v, labels, sample_weight, None, settings) for v in views]
    weights = view_weights(first, same, sample_weight)
    seeds = consensus_seeds(first, weights, same, sample_weight, labels, settings.seed_fraction)
    final = [_scores(v, labels, sample_weight, seeds if v.feedback else None, settings) for v in views]
    weights = view_weights(final, same, sample_weight)
    # Weights sum to the number of views (alike views: 1 each), so the ranking's probabilities are as
    # sharp as the evidence of that many views; scaled to sum to one they were too flat to be believed.
    proba = _softmax(combine(final, weights * len(views)))
    real = _evidence(views, plain, same, sample_weight)
    groups = corpus_groups(
        sp.csr_matrix(views[min(1, len(views) - 1)].items),
        _dense_view(views),
        len(codes),
        sample_weight,
        settings.random_state,
    )
    dense = [not sp.issparse(v.items) for v in views]
    gate, evidence = _novelty(plain, dense, same, groups, sample_weight, settings.random_state)
    new_group = _new_groups(gate.predict(evidence, settings.none), groups, labels)
    strength, curve = real
    is_new = new_group[groups] & (strength <= STRONG) & (labels == UNLABELLED)
    real_evidence = signal_probability(curve, strength)
    # A none is as sure as its group looks new, or as its own evidence looks like unrelated text.
    sure_none = np.maximum(gate.predict_proba(evidence)[groups], 1.0 - real_evidence)
    confidence = np.where(is_new, sure_none, real_evidence * proba.max(axis=1))
    decided = decisions(
        proba,
        codes,
        is_new=is_new,
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
        {mode: gate.measured_[mode] for mode in NONE_MODES},
        int(new_group.sum()),
        none_weight / max(1.0, float(sample_weight.sum())),
    )


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
    seeds: np.ndarray | None,
    settings: Settings,
    examples: bool = True,
) -> np.ndarray:
    """Cosine of every row to each commitment's prototype: its own text, its examples (each worth
    1 / (m + 1) of the text when it has m, so one atypical comment does not outweigh a description),
    and the mean of its feedback ``seeds`` (copies counted), worth ``feedback_weight / (1 − it)`` of
    the rest (Rocchio: the prototype moves that share of the way towards the seeds' centroid)."""
    k = view.catalogue.shape[0]
    y = np.full(labels.shape[0], UNLABELLED, dtype=np.int64)
    weight = np.zeros(labels.shape[0])
    if examples:
        placed = labels >= 0
        per_class = np.bincount(labels[placed], minlength=k)
        y[placed] = labels[placed]
        weight[placed] = 1.0 / (per_class[labels[placed]] + 1.0)
    parts, targets, worths = [view.catalogue, view.items], [np.arange(k), y], [np.ones(k), weight]
    if seeds is not None and (seeds >= 0).any():
        centroids, classes = _seed_centroids(view.items, seeds, sample_weight, k)
        parts.append(centroids)
        targets.append(classes)
        share = settings.feedback_weight
        worths.append(np.full(classes.size, share / max(1e-9, 1.0 - share)))
    rows = (
        sp.vstack([sp.csr_matrix(r) for r in parts], format="csr")
        if sp.issparse(view.items)
        else np.vstack([np.asarray(r) for r in parts])
    )
    model = PrototypeClassifier(unlabelled=UNLABELLED).fit(
        rows, np.concatenate(targets), sample_weight=np.concatenate(worths)
    )
    return model.similarity(view.items)


def _seed_centroids(
    items: Rows, seeds: np.ndarray, sample_weight: np.ndarray, k: int
) -> tuple[Rows, np.ndarray]:
    """The normalised mean row of each commitment's seeds (copies counted), and those commitments."""
    taken = np.flatnonzero(seeds >= 0)
    membership = sp.csr_matrix(
        (sample_weight[taken].astype(np.float64), (seeds[taken], taken)), shape=(k, items.shape[0])
    )
    classes = np.flatnonzero(np.bincount(seeds[taken], minlength=k) > 0)
    centroids = membership @ _normalised(items)
    if sp.issparse(centroids):
        return _normalised(sp.csr_matrix(centroids)[classes]), classes
    return _normalised(np.asarray(centroids)[classes]), classes


def consensus_seeds(
    scores: Sequence[np.ndarray],
    weights: np.ndarray,
    same: np.ndarray,
    sample_weight: np.ndarray,
    labels: np.ndarray,
    fraction: float,
) -> np.ndarray:
    """Per row, the commitment it lends its words to (−1: none): per commitment, the clearest
    ``fraction`` (by the combined margin, copies counted) of the rows whose weighted views agree on it."""
    combined = combine(scores, weights)
    best = combined.argmax(axis=1)
    ordered = np.sort(combined, axis=1)
    margin = ordered[:, -1] - (ordered[:, -2] if combined.shape[1] > 1 else 0.0)
    agree = sum(w * same[best, s.argmax(axis=1)] for w, s in zip(weights, scores, strict=True))
    eligible = (np.asarray(agree) > 0.5) & (sample_weight > 0) & (labels == UNLABELLED)
    seeds = np.full(best.size, UNLABELLED, dtype=np.int64)
    for j in range(combined.shape[1]):
        members = np.flatnonzero(eligible & (best == j))
        if members.size == 0:
            continue
        order = members[np.lexsort((members, -margin[members]))]
        copies = sample_weight[order]
        take = max(1, int(np.ceil(float(copies.sum()) * fraction)))
        chosen = order[(np.cumsum(copies) - copies) < take]
        seeds[chosen] = j
    return seeds


def _softmax(scores: np.ndarray) -> np.ndarray:
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    proba: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
    return proba


def _dense_view(views: Sequence[View]) -> np.ndarray | None:
    dense = [v.items for v in views if not sp.issparse(v.items)]
    return np.asarray(dense[0]) if dense else None


def _evidence(
    views: Sequence[View], plain: Sequence[np.ndarray], same: np.ndarray, sample_weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's strength against unrelated text (over the catalogue's own text in every view) and the
    corpus's signal curve (the probability that evidence of a strength is real)."""
    strengths = []
    for view, scores in zip(views, plain, strict=True):
        best = scores.argmax(axis=1)
        null = NullModel(same, best_of_k=not sp.issparse(view.items)).fit(scores, best, sample_weight)
        strengths.append(null.strength(scores, best))
    strength = combined_strength(strengths)
    return strength, signal_curve(strength, sample_weight)


def _novelty(
    plain: Sequence[np.ndarray],
    dense: Sequence[bool],
    same: np.ndarray,
    groups: np.ndarray,
    sample_weight: np.ndarray,
    seed: int,
) -> tuple[NoveltyGate, np.ndarray]:
    """The gate learned from leaving commitments out, and the real groups' evidence it judges."""
    k = plain[0].shape[1]
    n_groups = int(groups.max()) + 1 if groups.size else 0
    weights = view_weights(plain, same, sample_weight)
    gate = NoveltyGate(random_state=seed)
    real = group_evidence(plain, weights, same, groups, n_groups, sample_weight, dense)
    if k < 3 or n_groups < 2:
        gate.fit(np.zeros((0, real.features.shape[1])), np.zeros(0, dtype=bool), np.zeros(0))
        # Too few commitments or groups to learn from: a group is never new as a whole.
        return gate, np.column_stack([real.features[:, :ABOVE_NULL], np.ones(n_groups)])
    best = combine(plain, weights).argmax(axis=1)
    present = np.flatnonzero(np.bincount(best, weights=sample_weight, minlength=k) > 0)
    rng = np.random.default_rng(seed)
    left_out = np.sort(rng.choice(present, min(MAX_SIMULATIONS, present.size), replace=False))
    simulated = simulate(plain, weights, same, groups, n_groups, sample_weight, dense, left_out.tolist())
    gate.fit(simulated.features, simulated.is_new, simulated.run, sample_weight=simulated.size)
    return gate, real.features


def _new_groups(called: np.ndarray, groups: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The groups called new, where a facilitator's examples overrule: a group holding an example of a
    commitment is not new, one holding only examples of ``none`` is."""
    new = called.copy()
    placed = np.unique(groups[labels >= 0])
    new[np.unique(groups[labels == NONE_EXAMPLE])] = True
    new[placed] = False
    return np.asarray(new)


__all__ = ["NONE_EXAMPLE", "Assignment", "Settings", "View", "assign_corpus", "consensus_seeds"]
