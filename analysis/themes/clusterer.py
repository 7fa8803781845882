"""k-means themes with k chosen by silhouette, on rows reduced to the leading axes of their Gram matrix."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from analysis.assignment.fit import sample_counts


class ThemeClusterer(ClusterMixin, BaseEstimator):  # type: ignore[misc]
    """k-means on SVD-reduced rows with k chosen by silhouette over ``k_min..k_max``.

    ``fit(X, sample_weight=None)`` sets ``labels_``, ``n_clusters_``, ``cluster_centers_`` (in the reduced
    space) and ``silhouette_``. Fewer than ``2 * k_min`` rows form a single cluster. ``sample_weight``
    counts the copies of each row (distinct texts given once): k-means weighs them, while the axes and
    the choice of k look at distinct rows, so a form letter's copies do not crowd out other arguments.

    ``init_centroids`` (rows in the space of ``X``, e.g. the previous run's themes) make the clustering
    stable on growing data: k-means started from them is kept unless the best k found from scratch
    beats it by more than ``stability_tolerance`` in silhouette.
    """

    def __init__(
        self,
        k_min: int = 2,
        k_max: int = 12,
        n_components: int = 50,
        sample_size: int = 700,
        gram_limit: int = 400,
        init_centroids: sp.spmatrix | ArrayLike | None = None,
        stability_tolerance: float = 0.05,
        random_state: int = 0,
    ) -> None:
        self.k_min = k_min
        self.k_max = k_max
        self.n_components = n_components
        self.sample_size = sample_size
        self.gram_limit = gram_limit
        self.init_centroids = init_centroids
        self.stability_tolerance = stability_tolerance
        self.random_state = random_state

    def _reduce(self, X: sp.spmatrix | NDArray[np.floating]) -> np.ndarray:
        """Rows in an ``n_components``-dimensional space that keeps their cosine geometry.

        The eigenvectors of an (at most ``gram_limit``-row) Gram matrix are far cheaper than randomized
        SVD of a very wide sparse matrix, and exact.
        """
        X = sp.csr_matrix(X, dtype=np.float64)
        self.axes_: np.ndarray | None = None
        n = X.shape[0]
        components = max(1, min(self.n_components, n - 1))
        # Exact top eigenvectors of the Gram matrix of (a sample of) the rows; the other rows are
        # projected on the same axes (Nyström): V = Xsᵀ·U·Λ^-½, reduced = X·V.
        if n > self.gram_limit:
            rng = np.random.default_rng(self.random_state)
            sample = np.sort(rng.choice(n, self.gram_limit, replace=False))
        else:
            sample = np.arange(n)
        Xs = X[sample]
        gram = (Xs @ Xs.T).toarray()
        values, vectors = np.linalg.eigh(gram)
        order = np.argsort(-values, kind="stable")[:components]
        values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
        # eigh's sign is arbitrary: fix it so that equal input gives equal output.
        signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])])
        vectors = vectors * np.where(signs == 0, 1.0, signs)
        keep = values > 1e-10
        if not keep.any():
            return np.zeros((n, 1))
        axes = Xs.T @ (vectors[:, keep] / np.sqrt(values[keep]))
        self.axes_ = axes
        reduced: np.ndarray = normalize(np.asarray(X @ axes))
        return reduced

    def _kmeans(self, k: int, n: int) -> KMeans | MiniBatchKMeans:
        if n > 20000:
            return MiniBatchKMeans(k, random_state=self.random_state, n_init=3, batch_size=4096)
        return KMeans(k, random_state=self.random_state, n_init=2)

    def fit(
        self, X: sp.spmatrix | NDArray[np.floating], y: object = None, sample_weight: ArrayLike | None = None
    ) -> ThemeClusterer:
        # k-means on many small inputs spends its time in OpenMP spin-waits on a busy machine: one thread
        # is faster at these sizes (docs/benchmarks.md).
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return self._fit(X, sample_counts(sample_weight, X.shape[0]))

    def _warm_start(
        self, reduced: np.ndarray, sample: np.ndarray, distances: np.ndarray, weight: np.ndarray
    ) -> tuple[float, KMeans] | None:
        """k-means from the given centroids (projected on this run's axes), with its sample silhouette."""
        if self.init_centroids is None or getattr(self, "axes_", None) is None:
            return None
        init = normalize(np.asarray(sp.csr_matrix(self.init_centroids, dtype=np.float64) @ self.axes_))
        init = init[np.linalg.norm(init, axis=1) > 0]
        if not 2 <= init.shape[0] < reduced.shape[0]:
            return None
        model = KMeans(init.shape[0], init=init, n_init=1, random_state=self.random_state).fit(
            reduced, sample_weight=weight
        )
        labels = model.labels_[sample]
        if len(np.unique(labels)) < 2:
            return None
        return float(silhouette_score(distances, labels, metric="precomputed")), model

    def _fit(self, X: sp.spmatrix | NDArray[np.floating], weight: np.ndarray) -> ThemeClusterer:
        n = X.shape[0]
        self.n_features_in_ = X.shape[1]
        if n < max(2 * self.k_min, 4):
            self.labels_ = np.zeros(n, dtype=np.int64)
            self.n_clusters_ = 1 if n else 0
            reduced = self._reduce(X) if n > 1 else _dense(X)
            self.cluster_centers_ = reduced.mean(axis=0, keepdims=True) if n else np.zeros((0, X.shape[1]))
            self.silhouette_ = 0.0
            self.reduced_ = reduced
            return self
        reduced = self._reduce(X)
        rng = np.random.default_rng(self.random_state)
        # k is chosen on a sample (silhouette is quadratic); the final model is fitted on every row.
        sample = np.sort(rng.choice(n, min(n, self.sample_size), replace=False))
        best: tuple[float, int] | None = None
        k_max = min(self.k_max, int(np.sqrt(n)) + 1, n - 1)
        # Rows are unit vectors: one cosine-distance matrix serves every k.
        sampled = reduced[sample]
        distances = np.clip(1.0 - sampled @ sampled.T, 0.0, 2.0)
        np.fill_diagonal(distances, 0.0)
        for k in range(self.k_min, k_max + 1):
            labels = self._kmeans(k, sample.size).fit_predict(sampled)
            if len(np.unique(labels)) < 2:
                continue
            score = float(silhouette_score(distances, labels, metric="precomputed"))
            if best is None or score > best[0] + 1e-9:
                best = (score, k)
        warm = self._warm_start(reduced, sample, distances, weight)
        if warm is not None and (best is None or warm[0] >= best[0] - self.stability_tolerance):
            score, model = warm
            self.labels_ = np.asarray(model.labels_, dtype=np.int64)
            self.n_clusters_ = int(model.n_clusters)
            self.cluster_centers_ = model.cluster_centers_
            self.silhouette_ = score
            self.warm_started_ = True
            self.reduced_ = reduced
            return self
        self.warm_started_ = False
        if best is None:
            self.labels_ = np.zeros(n, dtype=np.int64)
            self.n_clusters_ = 1
            self.cluster_centers_ = reduced.mean(axis=0, keepdims=True)
            self.silhouette_ = 0.0
        else:
            score, k = best
            model = self._kmeans(k, n).fit(reduced, sample_weight=weight)
            self.labels_ = np.asarray(model.labels_, dtype=np.int64)
            self.n_clusters_ = k
            self.cluster_centers_ = model.cluster_centers_
            self.silhouette_ = score
        self.reduced_ = reduced
        return self


def _dense(X: sp.spmatrix | NDArray[np.floating]) -> np.ndarray:
    return sp.csr_matrix(X).toarray() if sp.issparse(X) else np.asarray(X)


__all__ = ["ThemeClusterer"]
