"""k-means themes with k chosen by silhouette, on rows reduced to the leading axes of their Gram matrix."""

from __future__ import annotations

from typing import cast

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize
from sklearn.utils import Tags
from sklearn.utils.validation import validate_data

from analysis.counts import sample_counts


class ThemeClusterer(ClusterMixin, BaseEstimator):  # type: ignore[misc]
    """k-means on SVD-reduced rows with k chosen by silhouette over ``k_min..k_max``.

    ``fit(X, sample_weight=None, dense=None)`` sets ``labels_``, ``n_clusters_``, ``cluster_centers_``
    (in the reduced space) and ``silhouette_``. Fewer than ``2 * k_min`` rows form a single cluster.
    ``sample_weight`` counts the copies of each row (distinct texts given once): k-means weighs them,
    while the axes and the choice of k look at distinct rows, so a form letter's copies do not crowd out
    other arguments.
    ``dense`` gives more columns of the same rows (sentence vectors), clustered as ``[X | dense]``.

    :func:`theme_range` gives the range of k for a number of rows.
    """

    def __init__(
        self,
        k_min: int = 2,
        k_max: int = 12,
        n_components: int = 50,
        sample_size: int = 700,
        gram_limit: int = 400,
        random_state: int = 0,
    ) -> None:
        self.k_min = k_min
        self.k_max = k_max
        self.n_components = n_components
        self.sample_size = sample_size
        self.gram_limit = gram_limit
        self.random_state = random_state

    def _reduce(self, X: sp.spmatrix | NDArray[np.floating], dense: np.ndarray | None = None) -> np.ndarray:
        """Rows in an ``n_components``-dimensional space that keeps their cosine geometry.

        ``dense``: more columns of the same rows (sentence vectors), kept apart from the sparse ones: a
        dense block costs a sparse product one stored value per cell. The eigenvectors of an (at most
        ``gram_limit``-row) Gram matrix are far cheaper than randomized SVD of a very wide sparse matrix,
        and exact.
        """
        X = sp.csr_matrix(X, dtype=np.float64)
        blocks: list[sp.csr_matrix | np.ndarray] = [X]
        if dense is not None:
            blocks.append(np.asarray(dense, dtype=np.float64))
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
        sampled = [block[sample] for block in blocks]
        gram = sum((_dense(part @ part.T) for part in sampled), np.zeros((sample.size, sample.size)))
        values, vectors = np.linalg.eigh(gram)
        order = np.argsort(-values, kind="stable")[:components]
        values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
        # eigh's sign is arbitrary: fix it so that equal input gives equal output.
        signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])])
        vectors = vectors * np.where(signs == 0, 1.0, signs)
        keep = values > 1e-10
        if not keep.any():
            return np.zeros((n, 1))
        scaled = vectors[:, keep] / np.sqrt(values[keep])
        axes = [np.asarray(part.T @ scaled) for part in sampled]
        self.axes_ = np.vstack(axes)
        projected = sum((np.asarray(block @ part) for block, part in zip(blocks, axes, strict=True)))
        reduced: np.ndarray = normalize(projected)
        return reduced

    def _kmeans(self, k: int, n: int) -> KMeans | MiniBatchKMeans:
        if n > 20000:
            return MiniBatchKMeans(k, random_state=self.random_state, n_init=3, batch_size=4096)
        return KMeans(k, random_state=self.random_state, n_init=2)

    def fit(
        self,
        X: sp.spmatrix | NDArray[np.floating],
        y: object = None,
        sample_weight: ArrayLike | None = None,
        dense: ArrayLike | None = None,
    ) -> ThemeClusterer:
        """Cluster the rows of ``X``; ``dense``: more columns of the same rows, dense (the rows clustered
        are ``[X | dense]``, without building that matrix)."""
        # k-means on many small inputs spends its time in OpenMP spin-waits on a busy machine: one thread
        # is faster at these sizes (docs/benchmarks.md).
        from threadpoolctl import threadpool_limits

        checked = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32])
        rows = cast("sp.csr_matrix | NDArray[np.floating]", checked)
        extra = None
        if dense is not None:
            extra = np.asarray(dense)
            if extra.ndim != 2 or extra.shape[0] != rows.shape[0]:
                raise ValueError(f"dense needs one row per row of X ({rows.shape[0]}), got {extra.shape}")
        with threadpool_limits(limits=1):
            return self._fit(rows, sample_counts(sample_weight, rows.shape[0]), extra)

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _fit(
        self, X: sp.spmatrix | NDArray[np.floating], weight: np.ndarray, dense: np.ndarray | None
    ) -> ThemeClusterer:
        n = X.shape[0]
        if n < max(2 * self.k_min, 4):
            self.labels_ = np.zeros(n, dtype=np.int64)
            self.n_clusters_ = 1 if n else 0
            reduced = self._reduce(X, dense) if n > 1 else _joined(X, dense)
            self.cluster_centers_ = reduced.mean(axis=0, keepdims=True) if n else np.zeros((0, X.shape[1]))
            self.silhouette_ = 0.0
            self.reduced_ = reduced
            return self
        reduced = self._reduce(X, dense)
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


def theme_range(n_rows: int) -> tuple[int, int]:
    """The range of k searched for ``n_rows`` rows: around √(n/2) themes (half to twice that, at most
    ``MAX_THEMES``), the usual rule of thumb for the number of groups in n items; silhouette picks k."""
    r = float(np.sqrt(n_rows / 2))
    k_max = max(3, min(MAX_THEMES, int(2 * r)))
    # Above about 7 200 rows half of √(n/2) passes the cap too: the range closes at MAX_THEMES, never
    # empty (an empty range gave a scope of 20 000 comments one theme).
    return min(max(2, int(r / 2)), k_max), k_max


MAX_THEMES = 30  # themes a scope is split into at most, before similar ones are merged


def _dense(X: sp.spmatrix | NDArray[np.floating]) -> np.ndarray:
    return sp.csr_matrix(X).toarray() if sp.issparse(X) else np.asarray(X)


def _joined(X: sp.spmatrix | NDArray[np.floating], dense: np.ndarray | None) -> np.ndarray:
    """``[X | dense]`` as one dense array (for the few rows too small to reduce)."""
    return _dense(X) if dense is None else np.hstack([_dense(X), np.asarray(dense, dtype=np.float64)])


__all__ = ["MAX_THEMES", "ThemeClusterer", "theme_range"]
