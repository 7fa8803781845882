"""The corpus in groups of similar comments, the unit that ``none`` is decided for.

Comments are grouped in a space that joins their words (the leading axes of the lexical rows) and their
sentence vectors when there are any: two comments on one subject in other words share a sentence
vector's direction, two comments of one consultation share its vocabulary. k-means, with about two
groups per commitment and one more, fewer on small corpora.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

SVD_SAMPLE = 20000  # the lexical axes are fitted on a sample of this many copies on large corpora
BATCH_ABOVE = 20000  # mini-batch k-means above this many distinct rows
AXES = 100  # leading lexical axes kept
GROUPS_PER_COMMITMENT = 2
# Distinct rows above which k-means is fitted on a sample of them and every row then labelled block by
# block: the joint space of 1 M comments' words and sentence vectors is 2 GB at once.
FIT_ROWS = 100_000
NORM_BLOCK = 4096  # rows whose norms are taken at once: a temporary copy of every row costs fresh pages


def corpus_groups(
    lexical: sp.csr_matrix,
    embeddings: np.ndarray | None,
    n_commitments: int,
    sample_weight: np.ndarray,
    random_state: int = 0,
) -> np.ndarray:
    """A group index per distinct row (all 0 when the corpus is too small to group meaningfully)."""
    distinct, n = lexical.shape[0], int(sample_weight.sum())
    n_groups = min(GROUPS_PER_COMMITMENT * n_commitments + 1, n // 5, distinct)
    components = min(AXES, lexical.shape[1] - 1, n - 1, distinct - 1)
    if n_groups < 2 or components < 2:
        return np.zeros(distinct, dtype=np.int64)
    with threadpool_limits(limits=1):
        svd = _lexical_axes(lexical, sample_weight, components, random_state)
        # Mini-batch k-means on a large corpus in float32: 2.5 times less CPU on 65 K texts with sentence
        # vectors, groups all but equal (adjusted Rand index 0.999 against float64; docs/benchmarks.md).
        precision = np.float32 if distinct > BATCH_ABOVE else np.float64

        def space(rows: slice | np.ndarray) -> np.ndarray:
            """The rows' coordinates: their lexical axes, and their sentence vectors beside them."""
            part = np.asarray(
                normalize(svd.transform(normalize(sp.csr_matrix(lexical[rows], dtype=np.float32))))
            )
            if embeddings is None:
                return part
            # Written into one array and scaled in place: on this kind of machine each fresh page of
            # memory costs, and copies of 65 K rows of 484 columns were a third of the grouping's time.
            joined = np.empty((part.shape[0], part.shape[1] + embeddings.shape[1]), dtype=precision)
            joined[:, : part.shape[1]] = part
            vectors = joined[:, part.shape[1] :]
            vectors[:] = embeddings[rows]
            for start in range(0, vectors.shape[0], NORM_BLOCK):  # a small square of rows at a time
                block = vectors[start : start + NORM_BLOCK]
                block /= np.maximum(np.linalg.norm(block, axis=1, keepdims=True), np.finfo(precision).tiny)
            return np.asarray(normalize(joined, copy=False))

        model: KMeans | MiniBatchKMeans
        if distinct > BATCH_ABOVE:
            # One k-means++ start, scikit-learn's default ("auto") for it: the two more were a fifth to a
            # third of the grouping's CPU on 65 K texts with sentence vectors, and the groups they pick
            # differ from a single start's less than two seeds' do (docs/benchmarks.md).
            model = MiniBatchKMeans(n_groups, n_init=1, batch_size=4096, random_state=random_state)
        else:
            model = KMeans(n_groups, n_init=3, random_state=random_state)
        if distinct <= FIT_ROWS:
            return np.asarray(
                model.fit(space(slice(None)), sample_weight=sample_weight).labels_, dtype=np.int64
            )
        rows, weight = _fit_sample(sample_weight, np.random.default_rng(random_state))
        model.fit(space(rows), sample_weight=weight)
        blocks = [model.predict(space(slice(i, i + FIT_ROWS))) for i in range(0, distinct, FIT_ROWS)]
        return np.concatenate(blocks).astype(np.int64)


def _fit_sample(weight: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The ``FIT_ROWS`` distinct rows k-means is fitted on in a larger corpus, and their weights: the
    most copied texts (up to half the sample: a form letter must find its group), and a uniform sample
    of the others, each standing for as many copies as the ones it replaces."""
    order = np.argsort(-weight, kind="stable")[: FIT_ROWS // 2]
    heavy = order[weight[order] > 1]
    rest = np.setdiff1d(np.arange(weight.size), heavy)
    picked = rng.choice(rest, FIT_ROWS - heavy.size, replace=False)
    scale = float(weight[rest].sum()) / max(1.0, float(weight[picked].sum()))
    rows = np.concatenate([heavy, picked])
    weights = np.concatenate([weight[heavy], weight[picked] * scale]).astype(np.float64)
    order = np.argsort(rows)
    return rows[order], weights[order]


def _lexical_axes(X: sp.csr_matrix, weight: np.ndarray, components: int, random_state: int) -> TruncatedSVD:
    """The leading axes of the corpus with its copies (a sample of them on large corpora)."""
    n, rows = int(weight.sum()), X.shape[0]
    copies = weight
    if n > SVD_SAMPLE:
        rng = np.random.default_rng(random_state)
        position = np.repeat(np.arange(rows), weight)
        copies = np.bincount(position[rng.choice(n, SVD_SAMPLE, replace=False)], minlength=rows)
    sampled = np.flatnonzero(copies)
    # A row scaled by √copies adds to XᵀX what that many copies add, so the SVD sees the same matrix.
    scaled = sp.diags(np.sqrt(copies[sampled]).astype(np.float32)) @ sp.csr_matrix(X[sampled])
    n_iter = 2 if n > SVD_SAMPLE else 5
    return TruncatedSVD(components, n_iter=n_iter, random_state=random_state).fit(scaled)


__all__ = ["corpus_groups"]
