"""Does an item fit any commitment at all? Its own evidence, and that of the comments around it.

``none`` is a claim that an item is about something the catalogue does not hold. One weak match is no
evidence of that: with a terse catalogue (a title per entry) most comments on a topic share no word
with its title and sit barely above the null. A *group* of similar comments whose matches are, taken
together, no better than unrelated text is: that is a theme the catalogue leaves out.

1. **Strength** (``analysis.assignment.evidence``): each item's best match, in each view, placed in
   the corpus's own null of unrelated matches (runner-ups, siblings excluded), combined over the views.
2. **Clusters**: the corpus is clustered (sentence vectors when there are any, else an SVD of the
   lexical rows; about ``clusters_per_commitment`` clusters per commitment). A cluster where fewer than
   ``offtopic_share`` of the members (copies counted) match better than the median unrelated match
   (strength > ½) is off-topic; its members are ``none`` unless their own strength is ``strong``.
3. Every other item fits its best commitment, however weak its evidence: its confidence says how weak.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
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
    """Decide per item whether it fits its best commitment (``True``) or is ``none``.

    ``cluster(rows, k)`` clusters the corpus (dense rows: sentence vectors; sparse rows: lexical, reduced
    by SVD); ``fit(strength, clustering)`` marks the off-topic clusters; ``fits`` decides rows.

    Parameters
    ----------
    clusters_per_commitment: k-means uses ``clusters_per_commitment · k + 1`` clusters (one spare for
        what fits nothing), fewer on small corpora.
    offtopic_share: a cluster where fewer than this share of members match better than the median
        unrelated match is off-topic. Chosen leave-one-set-out among ¼, ⅓, 0.4 and ½ on the devsets
        (``benchmarks/generalisation.py``): ½ (the null's own share) also takes weak but genuine
        clusters of terse catalogues for off-topic (19 % of Taipei questions, all of which belong).
    strong: a member of an off-topic cluster still fits when its own strength is above this (1 − α).
    n_components: SVD dimensions for clustering lexical rows.
    random_state: seed for the SVD, the sample and k-means.
    """

    def __init__(
        self,
        clusters_per_commitment: int = 2,
        offtopic_share: float = 1 / 3,
        strong: float = 0.95,
        n_components: int = 100,
        random_state: int = 0,
    ) -> None:
        self.clusters_per_commitment = clusters_per_commitment
        self.offtopic_share = offtopic_share
        self.strong = strong
        self.n_components = n_components
        self.random_state = random_state

    def fit(
        self, strength: ArrayLike, clustering: Clustering, sample_weight: ArrayLike | None = None
    ) -> EvidenceGate:
        """``strength``: each row's combined strength (``analysis.assignment.evidence``); ``clustering``: what
        :meth:`cluster` returned for these rows; ``sample_weight``: counts of identical rows."""
        strength = np.asarray(strength, dtype=np.float64)
        weight = sample_counts(sample_weight, strength.shape[0])
        self.clusters_, self.svd_, self.kmeans_ = clustering
        if self.clusters_.shape != strength.shape:
            raise ValueError("the clustering needs one label per row")
        n_clusters = int(self.clusters_.max()) + 1 if self.clusters_.size else 0
        above = np.bincount(self.clusters_, weights=weight * (strength > 0.5), minlength=n_clusters)
        size = np.bincount(self.clusters_, weights=weight, minlength=n_clusters)
        self.cluster_evidence_ = above / np.maximum(size, 1)
        self.offtopic_ = (self.cluster_evidence_ < self.offtopic_share) & (size > 0)
        if self.kmeans_ is None:  # too small to cluster: one group, never off-topic as a whole
            self.offtopic_[:] = False
        return self

    def heed_examples(self, labels: ArrayLike) -> EvidenceGate:
        """A facilitator's examples (per fitted row: a commitment index, -1 for ``none``, -2 for none
        given) overrule the evidence: a cluster holding an example of a commitment is not off-topic;
        one holding only ``none`` examples is."""
        check_is_fitted(self, "offtopic_")
        labels = np.asarray(labels, dtype=np.int64)
        if self.kmeans_ is None or not (labels > -2).any():
            return self
        placed = np.unique(self.clusters_[labels >= 0])
        self.offtopic_[np.unique(self.clusters_[labels == -1])] = True
        self.offtopic_[placed] = False
        return self

    def fits(self, strength: ArrayLike, clusters: ArrayLike) -> np.ndarray:
        """``True`` where a row fits its best commitment; ``clusters`` are the rows' cluster labels
        (``clusters_`` for the fitted rows, :meth:`predict_clusters` for others)."""
        check_is_fitted(self, "offtopic_")
        strength = np.asarray(strength, dtype=np.float64)
        offtopic = self.offtopic_[np.asarray(clusters, dtype=np.int64)]
        return np.asarray(~offtopic | (strength > self.strong))

    def predict_clusters(self, rows: sp.spmatrix | np.ndarray) -> np.ndarray:
        """Cluster labels of new rows (of the kind :meth:`cluster` was given)."""
        check_is_fitted(self, "offtopic_")
        n = rows.shape[0]
        if self.kmeans_ is None or n == 0:
            return np.zeros(n, dtype=np.int64)
        return np.asarray(self.kmeans_.predict(self._reduce(rows)), dtype=np.int64)

    def _reduce(self, rows: sp.spmatrix | np.ndarray) -> np.ndarray:
        assert self.svd_ is not None
        if isinstance(rows, np.ndarray):
            return np.asarray(normalize(self.svd_.transform(normalize(np.asarray(rows, dtype=np.float64)))))
        return np.asarray(normalize(self.svd_.transform(normalize(sp.csr_matrix(rows, dtype=np.float32)))))

    def cluster(
        self, rows: sp.spmatrix | np.ndarray, k: int, sample_weight: ArrayLike | None = None
    ) -> Clustering:
        """The clustering of ``rows`` for ``k`` commitments: the cluster index per row (all 0 when the
        corpus is too small to cluster meaningfully), the SVD (``None`` for dense rows) and k-means."""
        dense = isinstance(rows, np.ndarray)
        if dense:
            rows = normalize(np.asarray(rows, dtype=np.float64))
        else:
            rows = normalize(sp.csr_matrix(rows, dtype=np.float32))
        weight = sample_counts(sample_weight, rows.shape[0])
        n, distinct = int(weight.sum()), rows.shape[0]
        # Sizes count copies (the corpus), but k-means and the SVD cannot use more clusters or
        # components than there are distinct rows.
        n_clusters = min(self.clusters_per_commitment * k + 1, n // 5, distinct)
        components = min(self.n_components, rows.shape[1] - 1, n - 1, distinct - 1)
        self.svd_, self.kmeans_ = None, None
        if n_clusters < 2 or components < 2:
            return Clustering(np.zeros(distinct, dtype=np.int64), None, None)
        # Sentence vectors are reduced too: k-means over 512 dimensions and hundreds of clusters takes
        # many times longer than over the leading axes, which hold the topics.
        reduced = self._fit_svd(rows, weight, components)
        if distinct > _BATCH_ABOVE:
            self.kmeans_ = MiniBatchKMeans(
                n_clusters, n_init=3, batch_size=4096, random_state=self.random_state
            ).fit(reduced, sample_weight=weight)
        else:
            self.kmeans_ = KMeans(n_clusters, n_init=3, random_state=self.random_state).fit(
                reduced, sample_weight=weight
            )
        return Clustering(np.asarray(self.kmeans_.labels_, dtype=np.int64), self.svd_, self.kmeans_)

    def _fit_svd(self, X: sp.spmatrix | np.ndarray, weight: np.ndarray, components: int) -> np.ndarray:
        """Fit the SVD on the corpus with its copies (a sample of them on large corpora) and reduce."""
        n, rows = int(weight.sum()), X.shape[0]
        # A row scaled by √copies adds to XᵀX what that many copies add, so the SVD sees the same matrix.
        copies = weight
        if n > _SVD_SAMPLE:
            rng = np.random.default_rng(self.random_state)
            position = np.repeat(np.arange(rows), weight)
            copies = np.bincount(position[rng.choice(n, _SVD_SAMPLE, replace=False)], minlength=rows)
        sampled = np.flatnonzero(copies)
        scaled = sp.diags(np.sqrt(copies[sampled]).astype(np.float32)) @ sp.csr_matrix(X[sampled])
        # Fewer power iterations on a large sample: the axes keep nearly as much variance in half the time.
        n_iter = 2 if n > _SVD_SAMPLE else 5
        self.svd_ = TruncatedSVD(components, n_iter=n_iter, random_state=self.random_state).fit(scaled)
        return np.asarray(normalize(self.svd_.transform(X)))


def sample_counts(sample_weight: ArrayLike | None, n: int) -> np.ndarray:
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
