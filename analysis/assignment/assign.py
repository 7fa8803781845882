"""Zero-shot commitment assignment: rank the commitments for each item, then decide whether it fits one.

There are no labels at run time, a facilitator's few examples aside (each joins its commitment's
definition and keeps its label). With the default parameters:

1. Lexical ranking: each commitment's prototype is its catalogue text in the corpus's TF-IDF space,
   moved once (``prf_rounds``) halfway (``prf_weight``) towards the mean of its clearest matches
   (pseudo-relevance feedback): per commitment, the half (``seed_fraction``) of the items that rank it
   first whose best score clears the median runner-up score (``seed_quantile``). An item's lexical
   probabilities are its cosines to the prototypes, scaled to sum to one.
2. Sentence embeddings (``analysis.text.embed``, whenever the extra is installed): each commitment's vector
   moves 0.3 of the way (``embedding_prf``) towards the mean vector of the items that match it in both
   views; the ranking is the softmax of the sum of the two views' per-item z-scores.
3. Whether an item fits any commitment is decided for groups (``analysis.assignment.fit.EvidenceGate``)
   from each item's evidence strength against unrelated text (``analysis.assignment.evidence``): weak
   evidence alone never makes an item ``none``. An item that fits is ``uncertain`` when its second
   candidate's probability reaches ``uncertain_ratio`` of the first's.

The estimator can also retrain a logistic regression on pseudo-labels (``n_iter`` rounds); the analysis
runs none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from analysis.assignment.evidence import (
    NullModel,
    combined_strength,
    sibling_mask,
    signal_curve,
    signal_probability,
)
from analysis.assignment.fit import Clustering, EvidenceGate, sample_counts, storey_cut
from analysis.parallel import in_background

NONE = "none"
PARALLEL_CLUSTERING_MIN_ROWS = 20000  # distinct rows; below this, forking costs more than it saves


@dataclass(frozen=True, slots=True)
class Decision:
    """Where one item landed: ``code`` is the best commitment even when the status is ``uncertain``."""

    status: str  # assigned | none | uncertain
    code: str | None
    confidence: float
    candidates: tuple[tuple[str, float], ...]


class _Semantic(NamedTuple):
    """What the embedding view adds for a set of rows."""

    proba: np.ndarray  # class probabilities of the combined ranking
    evident: np.ndarray  # the embedding clears its null and points at the combined best commitment


def _clustered(gate: EvidenceGate, rows: sp.spmatrix | np.ndarray, k: int, weight: np.ndarray) -> Clustering:
    """``gate.cluster`` with one BLAS/OpenMP thread, in a forked child or here: the same arithmetic
    either way, so the same clusters (and GNU OpenMP's thread pool does not survive ``fork``: a child
    that uses it after the parent did can wait for ever)."""
    with threadpool_limits(limits=1):
        return gate.cluster(rows, k, weight)


def _row_z(scores: np.ndarray) -> np.ndarray:
    """Per-row z-scores (a row with no spread, e.g. no lexical evidence at all, becomes zeros)."""
    spread = scores.std(axis=1, keepdims=True)
    return np.asarray((scores - scores.mean(axis=1, keepdims=True)) / np.where(spread > 0, spread, 1.0))


class CommitmentAssigner(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Assign rows of a feature matrix to commitments given one prototype row per commitment.

    Parameters
    ----------
    prototypes: sparse or dense (n_commitments, n_features) matrix in the same space as ``X``.
    codes: the commitment ids, one per prototype row.
    prototype_embeddings: optional (n_commitments, d) sentence vectors of the commitments; then
        ``fit``/``decide`` take the items' vectors as ``embeddings``.
    n_iter: self-training rounds (0 = lexical matching only).
    seed_fraction: share of each commitment's clear matches taken as pseudo-labels per round.
    none_share: recorded with the parameters but not read: the embedding evidence cut for feedback
        seeds always estimates the share from Storey's π0 (``analysis.assignment.fit.storey_cut``
        with ``"auto"``; ``none`` itself is the gate's decision).
    null_ceiling: the embedding evidence cut (for feedback seeds) is at most this quantile of the
        runner-up cosines.
    seed_quantile: pseudo-labels need a best score above this quantile of the runner-up scores.
    uncertain_ratio: ``uncertain`` when the second candidate's probability reaches this share of the first.
    C: inverse regularisation of the logistic regression.
    prf_weight, prf_rounds: how far each lexical prototype moves towards its clearest matches, how often.
    embedding_prf: how far each commitment's sentence vector moves towards the mean vector of the items
        that match it in both views (once; 0 = never).
    max_per_class: cap on pseudo-labels per commitment and round (keeps 100 K-item runs fast).
    random_state: seed for subsampling and the solver.
    """

    def __init__(
        self,
        prototypes: sp.spmatrix | ArrayLike | None = None,
        codes: Sequence[str] | None = None,
        prototype_embeddings: ArrayLike | None = None,
        n_iter: int = 0,
        seed_fraction: float = 0.5,
        none_share: float | str = "auto",
        seed_quantile: float = 0.5,
        null_ceiling: float = 0.9,
        uncertain_ratio: float = 0.85,
        C: float = 4.0,
        prf_weight: float = 0.5,
        prf_rounds: int = 1,
        embedding_prf: float = 0.3,
        max_per_class: int = 3000,
        random_state: int = 0,
    ) -> None:
        self.prototypes = prototypes
        self.codes = codes
        self.prototype_embeddings = prototype_embeddings
        self.n_iter = n_iter
        self.seed_fraction = seed_fraction
        self.none_share = none_share
        self.seed_quantile = seed_quantile
        self.null_ceiling = null_ceiling
        self.uncertain_ratio = uncertain_ratio
        self.C = C
        self.prf_weight = prf_weight
        self.prf_rounds = prf_rounds
        self.embedding_prf = embedding_prf
        self.max_per_class = max_per_class
        self.random_state = random_state

    # -- fitting -----------------------------------------------------------------------------------

    def _prototype_matrix(self, n_features: int, examples: bool = True) -> sp.csr_matrix:
        """The catalogue's rows, each with its facilitator's examples added (``_examples``): the
        commitment as a person defined it. Without
        ``examples``: the catalogue's own text, which the evidence of ``none`` is measured against
        (an example is a comment, and comments resemble one another more than they resemble a title)."""
        if self.prototypes is None:
            raise ValueError("CommitmentAssigner needs prototypes (one row per commitment)")
        proto = sp.csr_matrix(self.prototypes, dtype=np.float32)
        if proto.shape[1] != n_features:
            raise ValueError(f"prototypes have {proto.shape[1]} features, X has {n_features}")
        if proto.shape[0] < 1:
            raise ValueError("at least one prototype is needed")
        proto = normalize(proto)
        if examples and self.example_rows_ is not None:
            proto = normalize(proto + self.example_rows_)
        return proto

    def _examples(
        self, X: sp.csr_matrix, y: Sequence[str | None] | None, embeddings: ArrayLike | None
    ) -> None:
        """Read the facilitator's examples: ``y`` holds per row a commitment code, ``"none"``, or ``None``
        (no example). Sets ``example_labels_`` (class index, -1 for none, -2 for no example) and the
        per-commitment sums of the examples' rows and sentence vectors."""
        n, k = X.shape[0], len(self.classes_)
        self.example_labels_ = np.full(n, -2, dtype=np.int64)
        self.example_rows_: sp.csr_matrix | None = None
        self.example_vectors_: np.ndarray | None = None
        if y is None:
            return
        labels = list(y)
        if len(labels) != n:
            raise ValueError(f"y needs one example label (or None) per row of X ({n}), got {len(labels)}")
        index = {str(c): j for j, c in enumerate(self.classes_)}
        for i, label in enumerate(labels):
            if label is None or label == "":
                continue
            if str(label) == NONE:
                self.example_labels_[i] = -1
            elif str(label) in index:
                self.example_labels_[i] = index[str(label)]
            else:
                raise ValueError(f"example label {label!r} is neither a commitment nor 'none'")
        labelled = np.flatnonzero(self.example_labels_ >= 0)
        if labelled.size == 0:
            return
        # m examples of a commitment weigh m / (m + 1) of its own text together: one atypical comment
        # does not outweigh a written description, three outweigh a bare title.
        per_class = np.bincount(self.example_labels_[labelled], minlength=k)
        share = (1.0 / (per_class + 1.0))[self.example_labels_[labelled]].astype(np.float32)
        membership = sp.csr_matrix((share, (self.example_labels_[labelled], labelled)), shape=(k, n))
        self.example_rows_ = sp.csr_matrix(membership @ normalize(sp.csr_matrix(X, dtype=np.float32)))
        if embeddings is not None:
            vectors = normalize(np.asarray(embeddings, dtype=np.float64))
            self.example_vectors_ = np.asarray(membership @ vectors, dtype=np.float64)

    def fit(
        self,
        X: sp.spmatrix | ArrayLike,
        y: Sequence[str | None] | None = None,
        sample_weight: ArrayLike | None = None,
        embeddings: ArrayLike | None = None,
    ) -> CommitmentAssigner:
        """Transductive fit on the corpus ``X`` itself.

        ``y``: optional, a facilitator's examples: per row a commitment code, ``"none"`` or ``None``
        (most rows). Examples join their commitment's definition and keep their label in the output.
        ``sample_weight``: counts of identical rows, so that a corpus's distinct texts can be given
        once each; every share and quantile counts the copies, as if the rows were repeated.
        ``embeddings``: the rows' sentence vectors (needs ``prototype_embeddings``).
        """
        self._fit(X, y, sample_weight, embeddings)
        return self

    def fit_decide(
        self,
        X: sp.spmatrix | ArrayLike,
        y: Sequence[str | None] | None = None,
        sample_weight: ArrayLike | None = None,
        embeddings: ArrayLike | None = None,
    ) -> list[Decision]:
        """``fit`` then :meth:`decide` on the same rows, reusing what fitting already computed; the
        examples (``y``) keep their label."""
        X, proba, strength = self._fit(X, y, sample_weight, embeddings)
        fits = self.gate_.fits(strength, self.gate_.clusters_)
        return self._decisions(proba, fits, strength, self.example_labels_)

    def _fit(
        self,
        X: sp.spmatrix | ArrayLike,
        y: Sequence[str | None] | None,
        sample_weight: ArrayLike | None,
        embeddings: ArrayLike | None,
    ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """Fit; return the normalised rows, their class probabilities and their evidence strength."""
        X = normalize(sp.csr_matrix(X, dtype=np.float32))
        weight = sample_counts(sample_weight, X.shape[0])
        if self.prototypes is None:
            raise ValueError("CommitmentAssigner needs prototypes (one row per commitment)")
        k = sp.csr_matrix(self.prototypes).shape[0]
        codes = list(self.codes) if self.codes is not None else [str(i) for i in range(k)]
        if len(codes) != k:
            raise ValueError("codes and prototypes differ in length")
        self.classes_ = np.array(codes, dtype=object)
        self._examples(X, y, embeddings)
        proto = self._prototype_matrix(X.shape[1])
        self.n_features_in_ = X.shape[1]
        rng = np.random.default_rng(self.random_state)

        gate = EvidenceGate(random_state=self.random_state)
        # Comments are grouped by topic: in the sentence-vector space when there is one (lexical rows of
        # short texts group by their wording, 「何謂…」 with 「何謂…」). The clustering depends on the rows
        # alone: on a large corpus a forked child computes it while this process scores the rows.
        rows = X if embeddings is None else np.asarray(embeddings, dtype=np.float32)
        fork = X.shape[0] >= PARALLEL_CLUSTERING_MIN_ROWS
        with in_background(lambda: _clustered(gate, rows, k, weight), fork=fork) as pending_clustering:
            proba, _ = self._score(X, proto, weight, rng, embeddings)
            clustering = pending_clustering.result()
        strength = self._fit_evidence(X, embeddings, weight)
        self.gate_ = gate.fit(strength, clustering, sample_weight=weight).heed_examples(self.example_labels_)
        fits = self.gate_.fits(strength, self.gate_.clusters_)
        self.none_share_ = float(weight[~fits].sum() / max(1, weight.sum()))
        return X, proba, strength

    def _absolute_views(self, X: sp.csr_matrix, embeddings: ArrayLike | None) -> list[np.ndarray]:
        """Each view's scores against the catalogue's *own* text (no feedback: feedback prototypes
        drift towards the themes that match them, and would lend their evidence to off-topic items)."""
        views = [np.asarray((X @ self.catalogue_rows_.T).todense(), dtype=np.float64)]
        if embeddings is not None:
            items = normalize(np.asarray(embeddings, dtype=np.float64))
            views.append(np.asarray(items @ self.catalogue_vectors_.T, dtype=np.float64))
        return views

    def _fit_evidence(self, X: sp.csr_matrix, embeddings: ArrayLike | None, weight: np.ndarray) -> np.ndarray:
        """Fit each view's null (siblings excluded) and the signal curve; return the rows' strengths.

        Each view is asked whether the row matches *any* entry better than unrelated text does (its own
        best entry): which entry it is, is the ranking's business.
        """
        self.catalogue_rows_ = self._prototype_matrix(X.shape[1], examples=False)
        similarities = [np.asarray((self.catalogue_rows_ @ self.catalogue_rows_.T).todense())]
        if embeddings is not None:
            self.catalogue_vectors_ = normalize(
                self._checked_commitments(embeddings, examples=False).astype(np.float64)
            )
            similarities.append(self.catalogue_vectors_ @ self.catalogue_vectors_.T)
        self.siblings_ = sibling_mask(*similarities)
        views = self._absolute_views(X, embeddings)
        # Lexical scores are mostly exact zeros and need no best-of-k correction; sentence vectors do.
        self.nulls_ = [
            NullModel(self.siblings_, best_of_k=i > 0).fit(view, view.argmax(axis=1), weight)
            for i, view in enumerate(views)
        ]
        strength = self._strength(X, embeddings)
        self.signal_curve_ = signal_curve(strength, weight)
        return strength

    def _strength(self, X: sp.csr_matrix, embeddings: ArrayLike | None) -> np.ndarray:
        views = self._absolute_views(X, embeddings)
        return combined_strength(
            [null.strength(view, view.argmax(axis=1)) for null, view in zip(self.nulls_, views, strict=True)]
        )

    def _score(
        self,
        X: sp.csr_matrix,
        proto: sp.csr_matrix,
        weight: np.ndarray,
        rng: np.random.Generator,
        embeddings: ArrayLike | None,
    ) -> tuple[np.ndarray, _Semantic | None]:
        """Lexical feedback (and self-training), then the embedding view when there are embeddings:
        the rows' class probabilities (of the combined ranking, with embeddings) and that view."""
        self.prototypes_, self.lexical_ = self._feedback(X, proto, weight, rng)
        scores = self._self_train(X, self.prototypes_, self.lexical_, weight, rng)
        self.n_pseudo_labels_ = int(
            self._select_seeds(scores, self._null_threshold(scores, weight), rng, weight).sum()
        )
        proba = self.predict_proba(X)
        semantic = None
        self.uses_embeddings_ = embeddings is not None
        if embeddings is not None:
            self.commitment_vectors_ = normalize(self._checked_commitments(embeddings))
            semantic = self._embedding_view(embeddings, proba, weight)
            if self.embedding_prf > 0:
                self.commitment_vectors_ = self._embedding_feedback(
                    embeddings, semantic, weight, self.lexical_
                )
                semantic = self._embedding_view(embeddings, proba, weight)
            proba = semantic.proba
        return proba, semantic

    def _embedding_view(
        self, embeddings: ArrayLike, lexical_proba: np.ndarray, weight: np.ndarray
    ) -> _Semantic:
        """Cosines to the current commitment vectors, their null and cut, and the combined view."""
        similarity = self._similarity(embeddings, lexical_proba.shape[0])
        self.embedding_threshold_, _, self.embedding_null_ = storey_cut(
            similarity, self.null_ceiling, "auto", weight, best_of_k=True
        )
        return self._semantic(lexical_proba, similarity)

    def _checked_commitments(self, embeddings: ArrayLike, examples: bool = True) -> np.ndarray:
        if self.prototype_embeddings is None:
            raise ValueError("embeddings need prototype_embeddings (one vector per commitment)")
        items = np.asarray(embeddings)
        commitments = np.asarray(self.prototype_embeddings, dtype=np.float32)
        if items.ndim != 2 or commitments.shape != (len(self.classes_), items.shape[1]):
            raise ValueError(
                f"prototype_embeddings need shape ({len(self.classes_)}, {items.shape[-1]}), "
                f"got {commitments.shape}"
            )
        if examples and getattr(self, "example_vectors_", None) is not None:
            commitments = normalize(normalize(commitments.astype(np.float64)) + self.example_vectors_)
        return np.asarray(commitments, dtype=np.float32)

    def _similarity(self, embeddings: ArrayLike, n_rows: int) -> np.ndarray:
        """Cosine of each row's sentence vector to each commitment's (items × commitments)."""
        items = np.asarray(embeddings, dtype=np.float32)
        if items.shape[0] != n_rows or items.ndim != 2:
            raise ValueError(f"embeddings need one row per row of X ({n_rows}), got shape {items.shape}")
        if items.shape[1] != self.commitment_vectors_.shape[1]:
            raise ValueError(
                f"embeddings have {items.shape[1]} dimensions, "
                f"the commitments' {self.commitment_vectors_.shape[1]}"
            )
        return np.asarray(normalize(items) @ self.commitment_vectors_.T, dtype=np.float64)

    def _embedding_feedback(
        self, embeddings: ArrayLike, semantic: _Semantic, weight: np.ndarray, lexical: np.ndarray
    ) -> np.ndarray:
        """Rocchio in the embedding space: each commitment's vector moves, by ``embedding_prf``, towards
        the mean vector of the items that clearly match it (copies counted), as the lexical prototypes do
        in :meth:`_feedback`. A commitment's title and description are one sentence; the comments on it
        speak in their own words (抽菸 and 菸捐 under 菸害防制法), and their mean says where those lie."""
        items = normalize(np.asarray(embeddings, dtype=np.float64))
        best = semantic.proba.argmax(axis=1)
        # Seeds carry evidence in both views for the same commitment: a theme that only one view
        # relates to a commitment (an off-topic cluster near its sentence vector) does not pull it.
        seeds = (
            semantic.evident
            & (lexical.argmax(axis=1) == best)
            & (lexical.max(axis=1) > self.null_threshold_)
            & (weight > 0)
        )
        vectors = self.commitment_vectors_.astype(np.float64).copy()
        for j in range(vectors.shape[0]):
            members = np.flatnonzero(seeds & (best == j))
            if members.size:
                centroid = normalize((weight[members, None] * items[members]).sum(axis=0, keepdims=True))[0]
                vectors[j] = (1 - self.embedding_prf) * vectors[j] + self.embedding_prf * centroid
        return np.asarray(normalize(vectors), dtype=np.float32)

    def _semantic(self, lexical_proba: np.ndarray, similarity: np.ndarray) -> _Semantic:
        """The combined ranking (sum of per-row z-scores of both views) and the embedding evidence."""
        combined = _row_z(lexical_proba) + _row_z(similarity)
        exp = np.exp(combined - combined.max(axis=1, keepdims=True))
        best = similarity.max(axis=1)
        evident = (best > self.embedding_threshold_) & (similarity.argmax(axis=1) == combined.argmax(axis=1))
        return _Semantic(exp / exp.sum(axis=1, keepdims=True), evident)

    def _feedback(
        self, X: sp.csr_matrix, proto: sp.csr_matrix, weight: np.ndarray, rng: np.random.Generator
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        """Cosine to the catalogue text, then pseudo-relevance feedback (Rocchio): each prototype moves
        towards the items that match it most clearly. Returns the prototypes and the items' scores."""
        k = proto.shape[0]
        lexical = np.asarray((X @ proto.T).todense(), dtype=np.float64)
        self.null_threshold_ = self._null_threshold(lexical, weight)
        base = proto
        for _prf in range(self.prf_rounds if X.shape[0] > 0 and self.prf_weight > 0 else 0):
            taken = self._select_seeds(lexical, self.null_threshold_, rng, weight)
            best = lexical.argmax(axis=1)
            rows = []
            for j in range(k):
                members = np.flatnonzero((taken > 0) & (best == j))
                if members.size:
                    counts = taken[members].astype(np.float32)
                    centroid = normalize(sp.csr_matrix(sp.csr_matrix(counts / counts.sum()) @ X[members]))
                    rows.append(normalize((1 - self.prf_weight) * base[j] + self.prf_weight * centroid))
                else:
                    rows.append(base[j])
            proto = sp.vstack(rows, format="csr")
            lexical = np.asarray((X @ proto.T).todense(), dtype=np.float64)
            self.null_threshold_ = self._null_threshold(lexical, weight)
        return proto, lexical

    def _self_train(
        self,
        X: sp.csr_matrix,
        proto: sp.csr_matrix,
        lexical: np.ndarray,
        weight: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """``n_iter`` rounds of a classifier trained on pseudo-labels (none by default); final scores."""
        k = proto.shape[0]
        self.classifier_: LogisticRegression | None = None
        scores = lexical
        for _round in range(self.n_iter if k > 1 else 0):
            taken = self._select_seeds(scores, self._null_threshold(scores, weight), rng, weight)
            labelled = np.flatnonzero(taken > 0)
            train_x = sp.vstack([X[labelled], proto], format="csr")
            train_y = np.concatenate([scores[labelled].argmax(axis=1), np.arange(k)])
            if len(np.unique(train_y)) < 2:
                break
            classifier = LogisticRegression(
                C=self.C, class_weight="balanced", max_iter=300, random_state=self.random_state
            )
            classifier.fit(train_x, train_y, sample_weight=np.concatenate([taken[labelled], np.ones(k)]))
            self.classifier_ = classifier
            scores = self._classifier_scores(X)
        return scores

    def _null_threshold(self, scores: np.ndarray, weight: np.ndarray) -> float:
        """A low quantile of runner-up scores: below it, a match is weaker than a typical unrelated one."""
        if scores.shape[1] < 2 or scores.shape[0] == 0:
            return 0.0
        runner_up = np.partition(scores, -2, axis=1)[:, -2]
        return float(np.quantile(np.repeat(runner_up, weight), self.seed_quantile))

    def _select_seeds(
        self, scores: np.ndarray, threshold: float, rng: np.random.Generator, weight: np.ndarray
    ) -> np.ndarray:
        """Pseudo-labels: per commitment, the clearest share of the items whose best match it is.

        Returns how many copies of each row are taken (0 = not a seed); a row's label is its best
        commitment. Rows are taken by margin (ties by position), copies counting as items.
        """
        n, k = scores.shape
        taken = np.zeros(n, dtype=np.int64)
        if n == 0:
            return taken
        best = scores.argmax(axis=1)
        top2 = np.sort(scores, axis=1)[:, -2:] if k > 1 else np.hstack([np.zeros((n, 1)), scores])
        margin = top2[:, 1] - top2[:, 0]
        eligible = (top2[:, 1] > threshold) & (weight > 0)
        for j in range(k):
            members = np.flatnonzero((best == j) & eligible)
            if members.size == 0:
                continue
            order = members[np.lexsort((members, -margin[members]))]
            copies = weight[order]
            take = max(1, int(np.ceil(int(copies.sum()) * self.seed_fraction)))
            before = np.cumsum(copies) - copies
            counts = np.clip(take - before, 0, copies)
            if take > self.max_per_class:
                # A random subset of the chosen copies, drawn from the copies as if repeated.
                position = np.repeat(np.arange(order.size), counts)
                chosen = rng.choice(position.size, self.max_per_class, replace=False)
                counts = np.bincount(position[chosen], minlength=order.size)
            taken[order] = counts
        return taken

    def _classifier_scores(self, X: sp.csr_matrix) -> np.ndarray:
        assert self.classifier_ is not None
        proba = np.zeros((X.shape[0], len(self.classes_)))
        proba[:, self.classifier_.classes_] = self.classifier_.predict_proba(X)
        return proba

    # -- prediction --------------------------------------------------------------------------------

    def _check_X(self, X: sp.spmatrix | ArrayLike) -> sp.csr_matrix:
        check_is_fitted(self, "classes_")
        X = normalize(sp.csr_matrix(X, dtype=np.float32))
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, the assigner was fitted with {self.n_features_in_}"
            )
        return X

    def predict_proba(self, X: sp.spmatrix | ArrayLike) -> np.ndarray:
        """Probability of each commitment given that the item fits one (rows sum to 1)."""
        X = self._check_X(X)
        if self.classifier_ is not None:
            return self._classifier_scores(X)
        lexical = np.asarray((X @ self.prototypes_.T).todense(), dtype=np.float64)
        total = lexical.sum(axis=1, keepdims=True)
        uniform = np.full_like(lexical, 1.0 / lexical.shape[1])
        return np.where(total > 0, lexical / np.where(total > 0, total, 1.0), uniform)

    def decide(self, X: sp.spmatrix | ArrayLike, embeddings: ArrayLike | None = None) -> list[Decision]:
        """Status, best commitment, confidence in [0, 1] and the ranked candidates for each row.

        Confidence is the probability that the row's evidence is real (``analysis.assignment.evidence``)
        times the best candidate's probability. ``embeddings`` is required exactly when fitting had them.
        """
        X = self._check_X(X)
        if (embeddings is not None) != self.uses_embeddings_:
            raise ValueError("decide needs embeddings exactly when the assigner was fitted with them")
        proba = self.predict_proba(X)
        if embeddings is not None:
            proba = self._semantic(proba, self._similarity(embeddings, X.shape[0])).proba
        strength = self._strength(X, embeddings)
        clusters = self.gate_.predict_clusters(X if embeddings is None else np.asarray(embeddings))
        return self._decisions(proba, self.gate_.fits(strength, clusters), strength)

    def _decisions(
        self, proba: np.ndarray, fits: np.ndarray, strength: np.ndarray, examples: np.ndarray | None = None
    ) -> list[Decision]:
        """Decisions from class probabilities, the gate's verdicts and the evidence strength (vectorised:
        a Python loop over 100 K rows cost more than the scoring itself)."""
        n, k = proba.shape
        if n == 0:
            return []
        rows = np.arange(n)
        order = np.argsort(-proba, axis=1, kind="stable")
        p1 = proba[rows, order[:, 0]]
        p2 = proba[rows, order[:, 1]] if k > 1 else np.zeros(n)
        closeness = np.divide(p2, p1, out=np.ones(n), where=p1 > 0)
        top = order[:, :3]
        names = [str(c) for c in self.classes_]
        top_codes = [[names[j] for j in row] for row in top.tolist()]
        top_scores = np.round(proba[rows[:, None], top], 4).tolist()
        # P(correct) ≈ P(the evidence is real) · the best candidate's probability; a none is as sure as
        # its evidence is likely null. (The best's share of the two best instead of its probability
        # was less well calibrated on 3 of 4 devsets, equal on the fourth: benchmarks/generalisation.py.)
        real = signal_probability(self.signal_curve_, strength)
        confidence = np.round(np.where(fits, real * p1, 1.0 - real), 4)
        confidence = confidence.tolist()
        uncertain = ((closeness >= self.uncertain_ratio) & (k > 1)).tolist()
        best = order[:, 0].tolist()
        decisions: list[Decision] = []
        labelled = [-2] * n if examples is None else examples.tolist()
        for i, fit in enumerate(fits.tolist()):
            candidates = tuple(zip(top_codes[i], top_scores[i], strict=True))
            if labelled[i] != -2:  # a facilitator's example keeps its label
                code = names[labelled[i]] if labelled[i] >= 0 else None
                decisions.append(Decision(NONE if code is None else "assigned", code, 1.0, candidates))
            elif not fit:
                decisions.append(Decision(NONE, None, confidence[i], candidates))
            else:
                status = "uncertain" if uncertain[i] else "assigned"
                decisions.append(Decision(status, names[best[i]], confidence[i], candidates))
        return decisions

    def predict(self, X: sp.spmatrix | ArrayLike, embeddings: ArrayLike | None = None) -> np.ndarray:
        """The assigned commitment per row, or ``"none"`` (uncertain rows keep their best candidate)."""
        decisions = self.decide(X, embeddings)
        return np.array([d.code if d.code is not None else NONE for d in decisions], dtype=object)


__all__ = ["NONE", "CommitmentAssigner", "Decision"]
