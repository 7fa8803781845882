"""Does an item fit any commitment at all? Absolute evidence, then cluster-level consistency.

The assigner's scores are relative (which commitment fits best) and its feedback prototypes drift: a
commitment whose clearest matches include an off-topic theme sharing one word with it (air pollution
and «國際») absorbs that theme's vocabulary, and then the whole theme matches it. So the ``none``
decision is taken here on two other grounds:

1. **Absolute evidence.** Each item's cosine to the catalogue's *own* text (no feedback) is compared
   with a null read from the corpus: the runner-up scores, i.e. how well an unrelated commitment
   typically matches. Storey's π0 (share of items whose best score looks like the null) sets the cut,
   never above the null's ``null_ceiling`` quantile.
2. **Cluster consistency.** The corpus is clustered (SVD + k-means, about ``clusters_per_commitment``
   clusters per commitment). A cluster where few members carry evidence is a coherent theme of its
   own: its members are ``none`` even when one of them shares a word with a commitment. A cluster
   where most members carry evidence and most of those agree on one commitment supports its weaker
   members that lean to that same commitment; so does a cluster where fewer (but not few) members
   carry evidence and nearly all of those agree. The second rule matters for lean catalogues (a
   title and no keywords): most comments on a topic then share no word with its title, and the
   clear minority that does is what says which topic the cluster is about. A supported member must
   carry some evidence of its own for that commitment, but the assigner may measure it against its
   feedback prototypes (the words the corpus uses for the commitment), not only the catalogue text.

Both rules use shares, not tuned scores, and the cluster rules are kept per cluster so rows given to
:meth:`EvidenceGate.fits` later are judged by the cluster they fall in.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

_SVD_SAMPLE = 20000  # SVD fitted on a sample of this many rows keeps 100 K-item runs fast
_BATCH_ABOVE = 20000  # mini-batch k-means above this many rows


def storey_cut(
    scores: np.ndarray,
    null_ceiling: float,
    none_share: float | str = "auto",
    sample_weight: np.ndarray | None = None,
    best_of_k: bool = False,
) -> tuple[float, float, np.ndarray]:
    """(cut, estimated share of items that fit nothing, sorted null) from an items × commitments matrix.

    The null is each item's runner-up score. An item's p-value is the share of the null at or above its
    best score (mid-ranks, because many scores tie at 0); π0 = #{p > ½} / (n · ½). A number as
    ``none_share`` fixes the share instead. ``sample_weight`` (counts of identical rows) gives the same
    result as repeating each row that many times.

    ``best_of_k``: for scores where every item has some similarity to every commitment (sentence
    vectors: unrelated texts still score ~0.5), an unrelated item's best score is the largest of k
    unrelated scores while a runner-up is (about) the largest of k − 1, so the runner-ups understate
    it; the null CDF F of the runner-ups is then raised to k / (k − 1) for the best (F² for two
    commitments, F^1.09 for twelve). Lexical scores, mostly exact zeros, do not need it.
    """
    if sample_weight is not None:
        scores = np.repeat(scores, sample_weight, axis=0)
    n, k = scores.shape
    if n == 0 or k < 2:
        return 0.0, 0.0, np.zeros(1)
    best = scores.max(axis=1)
    null = np.sort(np.partition(scores, -2, axis=1)[:, -2])
    below = np.searchsorted(null, best, side="left")
    ties = np.searchsorted(null, best, side="right") - below
    exponent = best_null_exponent(k) if best_of_k else 1.0
    p_values = 1.0 - ((below + 0.5 * ties) / null.size) ** exponent
    share = (
        min(1.0, float((p_values > 0.5).mean()) / 0.5) if isinstance(none_share, str) else float(none_share)
    )
    cut = float(np.quantile(best, share)) if share > 0 else 0.0
    cut = min(cut, float(np.quantile(null, null_ceiling ** (1.0 / exponent))))
    return max(cut, 0.0), share, null


def best_null_exponent(k: int) -> float:
    """k / (k − 1): the power that turns the runner-up null CDF into the best score's (``storey_cut``)."""
    return k / (k - 1) if k > 1 else 1.0


class Clustering(NamedTuple):
    """The gate's clustering of a corpus (:meth:`EvidenceGate.cluster`)."""

    labels: np.ndarray
    svd: TruncatedSVD | None
    kmeans: KMeans | MiniBatchKMeans | None


class EvidenceGate(BaseEstimator):  # type: ignore[misc]
    """Decide per item whether it fits its best commitment at all (``True``) or is ``none``.

    ``fit(X, prototypes, best)``: ``X`` the corpus rows, ``prototypes`` the catalogue's own rows in the
    same space (one per commitment), ``best`` each row's best commitment index by the assigner.

    Parameters
    ----------
    none_share: ``"auto"`` estimates the share of items that fit nothing (π0) and applies the cluster
        rules; a number in [0, 1] fixes that share and turns the cluster rules off.
    null_ceiling: the cut never exceeds this quantile of the runner-up scores.
    clusters_per_commitment: k-means uses ``clusters_per_commitment · k + 1`` clusters (one spare for
        what fits nothing), fewer on small corpora.
    offtopic_share: a cluster where fewer than this share of members carry evidence is ``none`` as a whole.
    support_share, support_purity: a cluster where at least ``support_share`` of members carry evidence,
        and at least ``support_purity`` of those lean to one commitment, supports that commitment for its
        weaker members leaning the same way.
    agreement_purity: a cluster where at least ``offtopic_share`` (but less than ``support_share``) of
        members carry evidence supports a commitment when at least this share of them (and at least
        ``min_agreeing`` rows' worth of copies) lean to it — provided the corpus as a whole shows
        evidence beyond the null: its estimated none share (π0) is at most ``agreement_max_none``.
        When nearly every item looks like the null (a catalogue that fits nothing; measured π0 ≥ 0.98
        on the devsets then, ≤ 0.76 for every real catalogue), a pure cluster of scattered matches is
        a shared generic word, not a topic.
    n_components: SVD dimensions for clustering.
    random_state: seed for the SVD, the sample and k-means.
    """

    def __init__(
        self,
        none_share: float | str = "auto",
        null_ceiling: float = 0.9,
        clusters_per_commitment: int = 2,
        offtopic_share: float = 0.25,
        support_share: float = 0.5,
        support_purity: float = 0.5,
        agreement_purity: float = 0.8,
        min_agreeing: int = 3,
        agreement_max_none: float = 0.9,
        n_components: int = 100,
        random_state: int = 0,
    ) -> None:
        self.none_share = none_share
        self.null_ceiling = null_ceiling
        self.clusters_per_commitment = clusters_per_commitment
        self.offtopic_share = offtopic_share
        self.support_share = support_share
        self.support_purity = support_purity
        self.agreement_purity = agreement_purity
        self.min_agreeing = min_agreeing
        self.agreement_max_none = agreement_max_none
        self.n_components = n_components
        self.random_state = random_state

    def fit(
        self,
        X: Any,
        prototypes: Any,
        best: Any,
        sample_weight: Any = None,
        extra_evidence: Any = None,
        clustering: Clustering | None = None,
    ) -> EvidenceGate:
        """``sample_weight``: counts of identical rows (the corpus's distinct texts given once each);
        the result is that of fitting on the rows repeated, up to k-means's random sampling.
        ``extra_evidence``: rows that carry evidence by another view (sentence embeddings) for their
        ``best`` commitment; they count as evident in the cluster rules. π0 stays the lexical one.
        ``clustering``: what :meth:`cluster` returns for these rows (it depends on the rows alone, so
        a caller may compute it elsewhere, e.g. in a forked child while it scores the rows)."""
        X = normalize(sp.csr_matrix(X, dtype=np.float32))
        weight = sample_counts(sample_weight, X.shape[0])
        proto = normalize(sp.csr_matrix(prototypes, dtype=np.float32))
        if proto.shape[1] != X.shape[1]:
            raise ValueError(f"prototypes have {proto.shape[1]} features, X has {X.shape[1]}")
        best = np.asarray(best, dtype=np.int64)
        if best.shape != (X.shape[0],):
            raise ValueError("best needs one commitment index per row of X")
        self.prototypes_ = proto
        self.n_features_in_ = X.shape[1]
        k = proto.shape[0]
        scores = self.absolute_scores(X)
        self.threshold_, self.none_share_, self.null_scores_ = storey_cut(
            scores, self.null_ceiling, self.none_share, weight
        )
        evident = scores.max(axis=1) > self.threshold_ if X.shape[0] else np.zeros(0, dtype=bool)
        if extra_evidence is not None:
            evident = evident | _flags(extra_evidence, X.shape[0])

        if clustering is None:
            clustering = self.cluster(X, k, weight)
        self.clusters_, self.svd_, self.kmeans_ = clustering
        n_clusters = int(self.clusters_.max()) + 1 if self.clusters_.size else 0
        # Per cluster: -1 = no rule, -2 = off-topic theme, j >= 0 = supports commitment j.
        self.cluster_rule_ = np.full(n_clusters, -1, dtype=np.int64)
        lean_support = self.none_share_ <= self.agreement_max_none
        for c in range(n_clusters):
            members = np.flatnonzero(self.clusters_ == c)
            with_evidence = members[evident[members]]
            evidence_weight = int(weight[with_evidence].sum())
            share = evidence_weight / max(1, int(weight[members].sum()))
            if share < self.offtopic_share:
                self.cluster_rule_[c] = -2
                continue
            counts = np.bincount(best[with_evidence], weights=weight[with_evidence], minlength=k)
            dominant = int(counts.argmax())
            agreeing = counts[dominant]
            most_agree = share >= self.support_share and agreeing >= self.support_purity * evidence_weight
            nearly_all_agree = lean_support and agreeing >= max(
                self.agreement_purity * evidence_weight, self.min_agreeing
            )
            if most_agree or nearly_all_agree:
                self.cluster_rule_[c] = dominant
        return self

    def cluster(self, X: Any, k: int, sample_weight: Any = None) -> Clustering:
        """The clustering :meth:`fit` uses for rows ``X`` and ``k`` commitments: the cluster index per row
        (all 0 when the corpus is too small to cluster meaningfully), the SVD and the k-means model."""
        X = normalize(sp.csr_matrix(X, dtype=np.float32))
        weight = sample_counts(sample_weight, X.shape[0])
        labels = self._cluster(X, k, weight)
        return Clustering(labels, self.svd_, self.kmeans_)

    def _cluster(self, X: sp.csr_matrix, k: int, weight: np.ndarray) -> np.ndarray:
        """Cluster index per row (all 0 when the corpus is too small to cluster meaningfully)."""
        n, rows = int(weight.sum()), X.shape[0]
        # Sizes count copies (the corpus), but k-means and the SVD cannot use more clusters or
        # components than there are distinct rows.
        n_clusters = min(self.clusters_per_commitment * k + 1, n // 5, rows)
        components = min(self.n_components, X.shape[1] - 1, n - 1, rows - 1)
        if n_clusters < 2 or components < 2 or not isinstance(self.none_share, str):
            self.svd_, self.kmeans_ = None, None
            return np.zeros(rows, dtype=np.int64)
        # The axes are those of the corpus with its copies (a sample of them on large corpora): a row
        # scaled by √copies adds to XᵀX what that many copies add, so the SVD sees the same matrix.
        copies = weight
        if n > _SVD_SAMPLE:
            rng = np.random.default_rng(self.random_state)
            position = np.repeat(np.arange(rows), weight)
            copies = np.bincount(position[rng.choice(n, _SVD_SAMPLE, replace=False)], minlength=rows)
        sampled = np.flatnonzero(copies)
        scaled = sp.diags(np.sqrt(copies[sampled]).astype(np.float32)) @ X[sampled]
        # Two power iterations instead of five on a full sample: at 100 K items the axes keep 0.200
        # instead of 0.215 of the variance and the fit takes 0.45 s instead of 0.9 s. Small corpora,
        # where a few rows can tip a cluster, keep the default.
        n_iter = 2 if n > _SVD_SAMPLE else 5
        self.svd_ = TruncatedSVD(components, n_iter=n_iter, random_state=self.random_state).fit(scaled)
        reduced = normalize(self.svd_.transform(X))
        if rows > _BATCH_ABOVE:
            self.kmeans_ = MiniBatchKMeans(
                n_clusters, n_init=3, batch_size=4096, random_state=self.random_state
            ).fit(reduced, sample_weight=weight)
        else:
            self.kmeans_ = KMeans(n_clusters, n_init=3, random_state=self.random_state).fit(
                reduced, sample_weight=weight
            )
        return np.asarray(self.kmeans_.labels_, dtype=np.int64)

    def absolute_scores(self, X: Any) -> np.ndarray:
        """Cosine of each row to each commitment's own text (items × commitments)."""
        check_is_fitted(self, "prototypes_")
        X = normalize(sp.csr_matrix(X, dtype=np.float32))
        return np.asarray((X @ self.prototypes_.T).todense(), dtype=np.float64)

    def strength(self, X: Any) -> np.ndarray:
        """How far each row's absolute evidence stands above the null: its null CDF in [0, 1]."""
        best = self.absolute_scores(X).max(axis=1)
        ranks = np.searchsorted(self.null_scores_, best, side="right")
        return np.asarray(ranks / max(1, self.null_scores_.size), dtype=np.float64)

    def fits(
        self, X: Any, best: Any, clusters: Any = None, own: Any = None, extra_evidence: Any = None
    ) -> np.ndarray:
        """``True`` where the row fits its best commitment ``best[i]``; ``False`` means ``none``.

        ``clusters``: the rows' cluster indices when already known (``clusters_`` for the fitted rows),
        which saves projecting and predicting them again. ``own``: per row, whether it carries any
        evidence of its own for ``best[i]`` (the assigner passes its feedback-prototype scores > 0);
        by default, a score > 0 against the catalogue text. A cluster lends its commitment only to
        such rows, never to one that shares nothing with that commitment. ``extra_evidence``: as in
        :meth:`fit`, for these rows.
        """
        check_is_fitted(self, "cluster_rule_")
        X = normalize(sp.csr_matrix(X, dtype=np.float32))
        best = np.asarray(best, dtype=np.int64)
        scores = self.absolute_scores(X)
        evident: np.ndarray = np.asarray(scores.max(axis=1) > self.threshold_)
        if extra_evidence is not None:
            evident = evident | _flags(extra_evidence, X.shape[0])
        if self.kmeans_ is None or self.svd_ is None or X.shape[0] == 0:
            return evident
        if clusters is None:
            clusters = self.kmeans_.predict(normalize(self.svd_.transform(X)))
        rules = self.cluster_rule_[np.asarray(clusters, dtype=np.int64)]
        if own is None:
            own = scores[np.arange(X.shape[0]), np.clip(best, 0, scores.shape[1] - 1)] > 0
        supported = (rules >= 0) & (rules == best) & np.asarray(own, dtype=bool)
        return np.where(rules == -2, False, evident | supported)


def _flags(values: Any, n: int) -> np.ndarray:
    flags = np.asarray(values, dtype=bool)
    if flags.shape != (n,):
        raise ValueError(f"extra_evidence needs one flag per row of X ({n}), got shape {flags.shape}")
    return flags


def sample_counts(sample_weight: Any, n: int) -> np.ndarray:
    """Sample weights as non-negative integer counts (identical rows given once), ones by default."""
    if sample_weight is None:
        return np.ones(n, dtype=np.int64)
    weight = np.asarray(sample_weight)
    if weight.shape != (n,):
        raise ValueError(f"sample_weight needs one count per row of X ({n}), got shape {weight.shape}")
    counts = weight.astype(np.int64)
    if (counts != weight).any() or (counts < 0).any():
        raise ValueError("sample_weight must hold non-negative whole counts (copies of a row)")
    return counts


__all__ = ["Clustering", "EvidenceGate", "best_null_exponent", "sample_counts", "storey_cut"]
