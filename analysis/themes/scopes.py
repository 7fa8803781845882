"""The themes of a run: each scope (``none`` and every commitment) clustered on its own, as stored rows.

Each distinct text is clustered once, weighted by its copies in the scope; the copies follow it. Scopes
are independent, so large corpora spread them over the cores with forked workers (each k-means is
single-threaded).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from analysis.assignment.decisions import NONE, Decision
from analysis.parallel import fork_map, fork_workers
from analysis.pipeline import PreparedCorpus
from analysis.result import ClusterRow
from analysis.themes.keys import is_support_key, theme_keys
from analysis.themes.themes import Theme, find_themes, weighted_mean
from storage.corpus import TextItem

JOINT_MAX_ROWS = 50000  # distinct rows above which a scope's themes are clustered on words alone
PARALLEL_THEMES_MIN_ITEMS = 20000  # below this, forking workers costs more than clustering saves
N_CENTROID_TERMS = 30  # words kept of a theme's centroid, to match it with the next run's themes

Centroid = dict[str, float]  # word → mean weight


class ScopeJob(NamedTuple):
    scope: str
    members: NDArray[np.int64]  # corpus indices of the scope's items
    previous: list[tuple[str, Centroid]]  # the previous run's theme keys and centroids in this scope


class ScopeThemes(NamedTuple):
    rows: list[ClusterRow]
    key_of: dict[int, str]  # item index → theme key


def themes_of_scopes(
    prepared: PreparedCorpus,
    items: Sequence[TextItem],
    decisions: Sequence[Decision],
    previous_clusters: dict[str, list[tuple[str, Centroid]]],
    seed: int,
) -> ScopeThemes:
    """Themes of each scope (``none`` and every commitment) and the theme key of each item."""
    scopes: dict[str, list[int]] = {}
    for i, d in enumerate(decisions):
        scopes.setdefault(d.code if d.code is not None else NONE, []).append(i)
    jobs = [
        ScopeJob(scope, np.array(scopes[scope], dtype=np.int64), previous_clusters.get(scope, []))
        for scope in sorted(scopes)
    ]
    found = ScopeThemes([], {})
    # One BLAS thread, as in the assignment: two workers with two threads each spin-wait on two cores
    # (the product of 30 theme centroids of 60 000 words: 28 ms with two threads, 2 ms with one).
    with threadpool_limits(limits=1):
        each = _each_scope(prepared, items, jobs, seed)
    for rows, key_of in each:
        found.rows.extend(rows)
        found.key_of.update(key_of)
    return found


def _each_scope(
    prepared: PreparedCorpus, items: Sequence[TextItem], jobs: list[ScopeJob], seed: int
) -> list[ScopeThemes]:
    """:func:`scope_themes` of every job, in the order of ``jobs``."""

    def one(job: ScopeJob) -> ScopeThemes:
        return scope_themes(prepared, items, job, seed)

    workers = fork_workers()
    if len(items) < PARALLEL_THEMES_MIN_ITEMS or workers < 2:
        return [one(job) for job in jobs]
    # Largest scopes first so that no worker is left with a big one at the end.
    order = sorted(range(len(jobs)), key=lambda j: -jobs[j].members.size)
    results = fork_map(one, [jobs[j] for j in order], workers)
    out = [ScopeThemes([], {})] * len(jobs)
    for j, result in zip(order, results, strict=True):
        out[j] = result
    return out


def scope_themes(
    prepared: PreparedCorpus, items: Sequence[TextItem], job: ScopeJob, seed: int
) -> ScopeThemes:
    """Cluster one scope's items; return its Cluster rows and item index → theme key."""
    members = job.members
    if members.size == 0:
        return ScopeThemes([], {})
    vocabulary = prepared.vectorizer.words_.get_feature_names_out()
    distinct, first, row_of = np.unique(prepared.inverse[members], return_index=True, return_inverse=True)
    X, copies = prepared.unique_X[distinct], np.bincount(row_of)
    exemplar = members[first]  # the first item of each distinct row
    previous = [p for p in job.previous if not is_support_key(p[0])]  # the support theme is kept apart
    words = X[:, : prepared.vectorizer.n_word_features_].tocsr()
    # themes.py sets the support / no-argument rows apart, merges subjects and writes the phrase labels
    texts = [prepared.texts[int(i)] for i in exemplar]
    # Clustered afresh (seeded), never warm-started from the previous run's themes: the same data give
    # the same themes whatever ran before; the previous themes only lend their keys (theme_keys).
    lexical, dense = _theme_space(X, prepared.vectors, distinct)
    themes, theme_of_row = find_themes(
        lexical, words, vocabulary, texts, sample_weight=copies, dense=dense, random_state=seed
    )
    centroids = [
        _centroid(words[np.asarray(t.members)], copies[np.asarray(t.members)], vocabulary) for t in themes
    ]
    keys = theme_keys(job.scope, centroids, [theme.is_support for theme in themes], previous)
    rows = [
        _cluster_row(
            theme, key, job.scope, centroid, [items[int(exemplar[i])].key.text for i in theme.representatives]
        )
        for theme, key, centroid in zip(themes, keys, centroids, strict=True)
    ]
    theme_of_item = theme_of_row[row_of]
    key_of = {int(i): keys[t] for i, t in zip(members.tolist(), theme_of_item.tolist(), strict=True)}
    return ScopeThemes(rows, key_of)


def _theme_space(
    lexical: sp.csr_matrix, vectors: np.ndarray | None, rows: NDArray[np.int64]
) -> tuple[sp.csr_matrix, np.ndarray | None]:
    """The rows a scope's themes are clustered in, as their sparse and dense columns: the words and the
    sentence vectors side by side, each half of a row's length, so two rows' cosine is the mean of their
    lexical and sentence cosines (two comments on one subject in other words, or in the same words with
    another stance, are near). Words alone without vectors, or for scopes too large to hold both
    (``JOINT_MAX_ROWS``)."""
    if vectors is None or rows.size > JOINT_MAX_ROWS:
        return lexical, None
    half = float(np.sqrt(0.5))
    dense = normalize(np.asarray(vectors[rows], dtype=np.float32)) * half
    return normalize(lexical) * half, dense


def _centroid(words: sp.csr_matrix, copies: NDArray[np.int64], vocabulary: NDArray[np.object_]) -> Centroid:
    """A theme's mean word weights (copies counted), its ``N_CENTROID_TERMS`` largest."""
    mean = weighted_mean(words, copies.astype(np.float64))
    top = np.lexsort((np.arange(mean.size), -mean))[:N_CENTROID_TERMS]
    return {str(vocabulary[j]): round(float(mean[j]), 5) for j in top if mean[j] > 0}


def _cluster_row(
    theme: Theme, key: str, scope: str, centroid: Centroid, representative_ids: list[str]
) -> ClusterRow:
    return {
        "cluster_key": key,
        "scope": scope,
        "label": theme.label,
        "terms": [[t, w] for t, w in theme.terms],
        "size": theme.size,
        "representative_ids": representative_ids,
        "is_minority": theme.is_minority,
        "centroid": [[t, w] for t, w in centroid.items()],
    }


__all__ = ["PARALLEL_THEMES_MIN_ITEMS", "ScopeJob", "ScopeThemes", "scope_themes", "themes_of_scopes"]
