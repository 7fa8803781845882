"""Themes: cluster a set of items (those that fit no commitment, or those of one commitment).

SVD-reduced TF-IDF, k-means for each k in a range, k chosen by the silhouette score; clusters about one
subject merged; each labelled with a short phrase taken from its comments, its most distinctive words beside
it; items alone in their cluster are kept as minority ideas. Comments with no argument (agreement, thanks,
推, +1, greetings) are not clustered: they form one support / no-argument theme, counted, never a subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from sklearn.preprocessing import normalize

from analysis.counts import sample_counts
from analysis.text.segment import segmenter
from analysis.themes.clusterer import ThemeClusterer, theme_range
from analysis.themes.no_argument import is_no_argument
from analysis.themes.phrase_labels import LABEL_SAMPLE, phrase_label


@dataclass(frozen=True, slots=True)
class Theme:
    """One cluster: ``members`` index the rows given to ``fit``; ``terms`` are (word, weight), best first.

    ``size`` counts items: each member row with its copies when rows were weighted.
    """

    members: tuple[int, ...]
    terms: tuple[tuple[str, float], ...]
    representatives: tuple[int, ...]
    is_minority: bool
    size: int
    phrase: str = ""  # a short phrase from the comments; empty when none qualified
    is_support: bool = False  # the support / no-argument group of its scope

    @property
    def label(self) -> str:
        if self.is_support:
            return SUPPORT_LABEL
        return self.phrase or "、".join(t for t, _ in self.terms[:3]) or "（無明顯詞彙）"


SUPPORT_LABEL = "支持／無具體論點"  # stored; reports show their own language's words for it
REPRESENTATIVE_MAX_SIMILARITY = 0.9  # above this cosine two quotes say the same (copies of one form letter)


def _distinct_representatives(ranked: np.ndarray, reduced: np.ndarray, n: int) -> np.ndarray:
    """The most central members that do not repeat each other: a facilitator reading three quotes should
    get three arguments, not three copies of a form letter."""
    chosen: list[int] = []
    kept: list[np.ndarray] = []
    for index in ranked:
        vector = reduced[index]
        norm = float(np.linalg.norm(vector))
        unit = vector / norm if norm else vector
        if all(float(unit @ other) < REPRESENTATIVE_MAX_SIMILARITY for other in kept):
            chosen.append(int(index))
            kept.append(unit)
            if len(chosen) == n:
                break
    return np.asarray(chosen, dtype=ranked.dtype)


def describe_themes(
    labels: np.ndarray,
    reduced: np.ndarray,
    word_matrix: sp.csr_matrix,
    vocabulary: np.ndarray,
    *,
    n_terms: int = 8,
    n_representatives: int = 3,
    sample_weight: ArrayLike | None = None,
    texts: Sequence[str] | None = None,
) -> list[Theme]:
    """Themes in a stable order (largest first, ties by first member) with distinctive words.

    A word is distinctive for a cluster when its mean weight there exceeds its mean weight overall.
    ``sample_weight`` counts the copies of each row: means and sizes count them, representatives
    are distinct rows. With ``texts`` (the normalised text of each row) each theme gets a phrase label
    read from its most central texts.
    """
    weight = sample_counts(sample_weight, labels.shape[0]).astype(np.float64)
    column = {str(w): j for j, w in enumerate(vocabulary)} if texts is not None else {}
    themes: list[Theme] = []
    overall = weighted_mean(word_matrix, weight) if word_matrix.shape[0] else np.zeros(0)
    clusters = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    clusters.sort(key=lambda m: (-weight[m].sum(), int(m[0])))
    for members in clusters:
        inside = weighted_mean(word_matrix[members], weight[members])
        distinct = inside - overall if len(clusters) > 1 else inside
        order = np.lexsort((np.arange(distinct.size), -distinct))[:n_terms]
        terms = tuple((str(vocabulary[j]), round(float(distinct[j]), 5)) for j in order if inside[j] > 0)
        centre = weight[members] @ reduced[members] / weight[members].sum()
        closeness = reduced[members] @ centre
        ranked = members[np.lexsort((members, -closeness))]
        reps = _distinct_representatives(ranked, reduced, n_representatives)
        size = int(weight[members].sum())
        phrase = ""
        if texts is not None:
            read = ranked[:LABEL_SAMPLE]
            tokens = [_tokens(texts[int(i)]) for i in read]

            def score(word: str, distinct: np.ndarray = distinct) -> float:
                j = column.get(word)
                return float(distinct[j]) if j is not None else 0.0

            phrase = phrase_label(tokens, weight[read].tolist(), score)
        themes.append(
            Theme(tuple(int(i) for i in members), terms, tuple(int(i) for i in reps), size == 1, size, phrase)
        )
    return themes


def _tokens(text: str) -> list[str]:
    return list(segmenter().words(text))


MERGE_MIN_SIMILARITY = 0.3  # word-centroid cosine above which two clusters speak of one subject


def merge_similar(
    labels: np.ndarray, word_matrix: sp.csr_matrix, weight: np.ndarray, min_similarity: float
) -> np.ndarray:
    """Cluster labels with every pair of clusters whose word centroids have a cosine of at least
    ``min_similarity`` merged (transitively), renumbered 0.. in order of first row."""
    clusters = np.unique(labels)
    if clusters.size < 2:
        return labels
    centroids = np.vstack([weighted_mean(word_matrix[labels == c], weight[labels == c]) for c in clusters])
    centroids = normalize(centroids)
    similar = centroids @ centroids.T
    parent = list(range(clusters.size))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(*np.nonzero(np.triu(similar, 1) >= min_similarity), strict=True):
        parent[root(int(b))] = root(int(a))
    roots = np.array([root(j) for j in range(clusters.size)], dtype=np.int64)
    merged = roots[np.searchsorted(clusters, labels)]
    _, renumbered = np.unique(merged, return_inverse=True)
    return np.asarray(renumbered, dtype=np.int64)


def _merge_same_phrase(labels: np.ndarray, themes: Sequence[Theme]) -> np.ndarray | None:
    """Labels with themes that came out with the same phrase merged; None when all phrases differ."""
    first: dict[str, int] = {}
    target = {}
    for theme in themes:
        if theme.phrase:
            target[theme.members[0]] = first.setdefault(theme.phrase, theme.members[0])
    if all(a == b for a, b in target.items()):
        return None
    out = labels.copy()
    for member, into in target.items():
        if member != into:
            out[labels == labels[member]] = labels[into]
    _, renumbered = np.unique(out, return_inverse=True)
    return np.asarray(renumbered, dtype=np.int64)


def find_themes(
    X: sp.spmatrix | NDArray[np.floating],
    word_matrix: sp.csr_matrix,
    vocabulary: np.ndarray,
    texts: Sequence[str],
    *,
    sample_weight: ArrayLike | None = None,
    dense: np.ndarray | None = None,
    random_state: int = 0,
    merge_min_similarity: float = MERGE_MIN_SIMILARITY,
) -> tuple[list[Theme], np.ndarray]:
    """The themes of one scope's rows (``texts``: each row's normalised text) and each row's theme.

    The rows clustered are ``X``'s, with ``dense``'s columns beside them when given (sentence vectors).

    Rows with no argument form one support theme (last); the others are clustered, clusters about one
    subject merged, and each labelled with a phrase. ``members`` and ``representatives`` index the rows
    given here.
    """
    n = X.shape[0]
    weight = sample_counts(sample_weight, n).astype(np.float64)
    support = np.fromiter((is_no_argument(t) for t in texts), dtype=bool, count=n)
    rest = np.flatnonzero(~support)
    themes: list[Theme] = []
    if rest.size:
        k_min, k_max = theme_range(rest.size)
        clusterer = ThemeClusterer(k_min=k_min, k_max=k_max, random_state=random_state).fit(
            X[rest], sample_weight=weight[rest], dense=None if dense is None else dense[rest]
        )
        argued = _argued_themes(
            clusterer,
            word_matrix[rest],
            vocabulary,
            [texts[int(i)] for i in rest],
            weight[rest],
            merge_min_similarity,
        )
        themes.extend(_reindexed(theme, rest) for theme in argued)
    if support.any():
        themes.append(_support_theme(np.flatnonzero(support), word_matrix, vocabulary, weight))
    theme_of = np.empty(n, dtype=np.int64)
    for index, theme in enumerate(themes):
        theme_of[list(theme.members)] = index
    return themes, theme_of


def _argued_themes(
    clusterer: ThemeClusterer,
    words: sp.csr_matrix,
    vocabulary: np.ndarray,
    texts: Sequence[str],
    weight: NDArray[np.float64],
    merge_min_similarity: float,
) -> list[Theme]:
    """The clusters of the rows with an argument, those about one subject or with one phrase merged."""
    labels = merge_similar(clusterer.labels_, words, weight, merge_min_similarity)

    def describe(labels: np.ndarray) -> list[Theme]:
        return describe_themes(
            labels, clusterer.reduced_, words, vocabulary, sample_weight=weight, texts=texts
        )

    described = describe(labels)
    merged = _merge_same_phrase(labels, described)
    return described if merged is None else describe(merged)


def _reindexed(theme: Theme, rows: NDArray[np.intp]) -> Theme:
    """``theme`` with its members and representatives taken from indices into ``rows`` to ``rows``' values."""
    return Theme(
        tuple(int(rows[i]) for i in theme.members),
        theme.terms,
        tuple(int(rows[i]) for i in theme.representatives),
        theme.is_minority,
        theme.size,
        theme.phrase,
    )


def _support_theme(
    rows: NDArray[np.intp], word_matrix: sp.csr_matrix, vocabulary: np.ndarray, weight: NDArray[np.float64]
) -> Theme:
    """The one support / no-argument theme of ``rows``: its common words, its most copied texts."""
    mean = weighted_mean(word_matrix[rows], weight[rows])
    order = np.lexsort((np.arange(mean.size), -mean))[:8]
    terms = tuple((str(vocabulary[j]), round(float(mean[j]), 5)) for j in order if mean[j] > 0)
    reps = rows[np.lexsort((rows, -weight[rows]))][:3]
    size = int(weight[rows].sum())
    return Theme(tuple(int(i) for i in rows), terms, tuple(int(i) for i in reps), False, size, "", True)


def weighted_mean(matrix: sp.csr_matrix, weight: np.ndarray) -> np.ndarray:
    """The mean row of ``matrix`` with each row counted ``weight`` times."""
    total = float(weight.sum())
    if total == 0:
        return np.zeros(matrix.shape[1])
    return np.asarray(weight @ matrix, dtype=np.float64).ravel() / total


__all__ = [
    "SUPPORT_LABEL",
    "Theme",
    "describe_themes",
    "find_themes",
    "merge_similar",
    "weighted_mean",
]
