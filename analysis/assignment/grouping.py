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
        space = _lexical_axes(lexical, sample_weight, components, random_state)
        if embeddings is not None:
            space = normalize(np.hstack([space, normalize(np.asarray(embeddings, dtype=np.float64))]))
        model: KMeans | MiniBatchKMeans
        if distinct > BATCH_ABOVE:
            model = MiniBatchKMeans(n_groups, n_init=3, batch_size=4096, random_state=random_state)
        else:
            model = KMeans(n_groups, n_init=3, random_state=random_state)
        return np.asarray(model.fit(space, sample_weight=sample_weight).labels_, dtype=np.int64)


def _lexical_axes(X: sp.csr_matrix, weight: np.ndarray, components: int, random_state: int) -> np.ndarray:
    """The rows on the leading axes of the corpus with its copies (a sample of them on large corpora)."""
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
    svd = TruncatedSVD(components, n_iter=n_iter, random_state=random_state).fit(scaled)
    return np.asarray(normalize(svd.transform(normalize(sp.csr_matrix(X, dtype=np.float32)))))


__all__ = ["corpus_groups"]
