"""Themes: cluster a set of items (those that fit no commitment, or those of one commitment).

SVD-reduced TF-IDF, k-means for each k in a range, k chosen by the silhouette score; clusters about one
subject merged; each labelled with a short phrase taken from its comments, its most distinctive words beside
it; items alone in their cluster are kept as minority ideas. Comments with no argument (agreement, thanks,
推, +1, greetings) are not clustered: they form one support / no-argument theme, counted, never a subject.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from analysis.fit import sample_counts


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
        init_centroids: Any = None,
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

    def _reduce(self, X: Any) -> np.ndarray:
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

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> ThemeClusterer:
        # k-means on many small inputs spends its time in OpenMP spin-waits (10-20x slower on a busy
        # 2-core machine): one thread is faster at these sizes.
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

    def _fit(self, X: Any, weight: np.ndarray) -> ThemeClusterer:
        n = X.shape[0]
        self.n_features_in_ = X.shape[1]
        if n < max(2 * self.k_min, 4):
            self.labels_ = np.zeros(n, dtype=np.int64)
            self.n_clusters_ = 1 if n else 0
            reduced = self._reduce(X) if n > 1 else (X.toarray() if sp.issparse(X) else np.asarray(X))
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
    sample_weight: Any = None,
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
    from analysis.text import segmenter

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
    merged = np.array([root(int(np.searchsorted(clusters, c))) for c in labels], dtype=np.int64)
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
    X: Any,
    word_matrix: sp.csr_matrix,
    vocabulary: np.ndarray,
    texts: Sequence[str],
    *,
    sample_weight: Any = None,
    init_centroids: Any = None,
    random_state: int = 0,
    merge_min_similarity: float = MERGE_MIN_SIMILARITY,
) -> tuple[list[Theme], np.ndarray]:
    """The themes of one scope's rows (``texts``: each row's normalised text) and each row's theme.

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
        words = word_matrix[rest]
        clusterer = ThemeClusterer(init_centroids=init_centroids, random_state=random_state).fit(
            X[rest], sample_weight=weight[rest]
        )
        labels = merge_similar(clusterer.labels_, words, weight[rest], merge_min_similarity)
        rest_texts = [texts[int(i)] for i in rest]

        def describe(labels: np.ndarray) -> list[Theme]:
            return describe_themes(
                labels, clusterer.reduced_, words, vocabulary, sample_weight=weight[rest], texts=rest_texts
            )

        described = describe(labels)
        merged = _merge_same_phrase(labels, described)
        if merged is not None:
            described = describe(merged)
        for theme in described:
            themes.append(
                Theme(
                    tuple(int(rest[i]) for i in theme.members),
                    theme.terms,
                    tuple(int(rest[i]) for i in theme.representatives),
                    theme.is_minority,
                    theme.size,
                    theme.phrase,
                )
            )
    if support.any():
        rows = np.flatnonzero(support)
        mean = weighted_mean(word_matrix[rows], weight[rows])
        order = np.lexsort((np.arange(mean.size), -mean))[:8]
        terms = tuple((str(vocabulary[j]), round(float(mean[j]), 5)) for j in order if mean[j] > 0)
        reps = rows[np.lexsort((rows, -weight[rows]))][:3]
        size = int(weight[rows].sum())
        themes.append(
            Theme(tuple(int(i) for i in rows), terms, tuple(int(i) for i in reps), False, size, "", True)
        )
    theme_of = np.empty(n, dtype=np.int64)
    for index, theme in enumerate(themes):
        theme_of[list(theme.members)] = index
    return themes, theme_of


def weighted_mean(matrix: sp.csr_matrix, weight: np.ndarray) -> np.ndarray:
    """The mean row of ``matrix`` with each row counted ``weight`` times."""
    total = float(weight.sum())
    if total == 0:
        return np.zeros(matrix.shape[1])
    return np.asarray(weight @ matrix, dtype=np.float64).ravel() / total


# --- Support / no argument -------------------------------------------------------------------------
# What a comment says when it agrees, thanks, cheers or greets without giving a reason. Removed from a
# (normalised) text, together with punctuation, emoji and filler, these leave (almost) nothing of a
# comment that has no argument; a comment with one keeps its subject ("反對核四" keeps 核四).
_CHATTER_WORDS = [
    "說得很好",
    "說得好",
    "說的好",
    "講得好",
    "同意你的看法",
    "我也這麼認為",
    "我也是",
    "我也",
    "完全同意",
    "非常同意",
    "非常支持",
    "大力支持",
    "全力支持",
    "強力支持",
    "超支持",
    "支持",
    "贊成",
    "贊同",
    "同意",
    "認同",
    "附議",
    "不支持",
    "反對",
    "不同意",
    "不贊成",
    "沒意見",
    "無意見",
    "樓上",
    "樓主",
    "原po",
    "推推",
    "推",
    "頂",
    "讚讚",
    "讚",
    "好棒",
    "很棒",
    "很好",
    "太好了",
    "真好",
    "不錯",
    "好",
    "加油",
    "繼續努力",
    "辛苦了",
    "辛苦",
    "感謝",
    "謝謝",
    "感恩",
    "多謝",
    "謝",
    "加快腳步",
    "腳步",
    "加快",
    "快一點",
    "大家好",
    "各位好",
    "您好",
    "你好",
    "哈囉",
    "嗨",
    "早安",
    "午安",
    "晚安",
    "路過",
    "留言",
    "分享",
    "一下",
    "期待",
    "正式版本",
    "正式",
    "版本",
    "期待回應",
    "這個方案",
    "這份方案",
    "這個草案",
    "這份草案",
    "方案",
    "草案",
    "方向正確",
    "立意良好",
    "值得肯定",
    "整體來說",
    "大致上",
    "大方向",
    "這個",
    "這份",
    "這樣",
    "願意",
    "開放",
    "國發會",
    "政府",
    "主辦機關",
    "承辦人員",
    "承辦",
    "推動",
    "開放討論",
    "討論",
    "議題",
    "本案",
    "此案",
    "提案",
    "決定",
    "我",
    "本人",
    "大家",
    "的",
    "了",
    "啦",
    "喔",
    "哦",
    "呀",
    "啊",
    "吧",
    "嗎",
    "呢",
    "耶",
    "唷",
    "囉",
    "也",
    "很",
    "都",
    "真的",
    "非常",
    "超",
    "太",
    "就",
    "是",
    "有",
    "要",
    "請",
    "更",
    "再",
    "多",
    "xd",
    "哈哈",
    "哈",
    "lol",
    "+1",
    "1",
]
_CHATTER = re.compile("|".join(re.escape(w) for w in sorted(_CHATTER_WORDS, key=len, reverse=True)))
_NOT_WORDLIKE = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
NO_ARGUMENT_MAX_CHARS = 60  # a longer comment carries something, even when it opens with 推


def is_no_argument(text: str) -> bool:
    """Agreement, thanks, cheering or a greeting and nothing else (``text`` normalised: lower case,
    half-width). Such comments are counted as support, never read as a theme or a new commitment."""
    if len(text) > NO_ARGUMENT_MAX_CHARS:
        return False
    rest = _NOT_WORDLIKE.sub("", _CHATTER.sub("", text.lower()))
    return len(rest) <= 1


# --- Labels: a short phrase from the comments ---------------------------------------------------------
LABEL_MIN_CHARS, LABEL_MAX_CHARS = 4, 12
LABEL_MAX_WORDS = 4
LABEL_SAMPLE = 300  # distinct texts read per theme for its label: the most central ones
_SPACE_OR_PUNCT = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _clauses(tokens: Sequence[str]) -> list[list[str]]:
    """Runs of word tokens between punctuation and spaces."""
    out: list[list[str]] = [[]]
    for token in tokens:
        if not token.strip() or _SPACE_OR_PUNCT.search(token):
            if out[-1]:
                out.append([])
        else:
            out[-1].append(token)
    return [c for c in out if c]


# Words a label should not open or close on, beyond the stopwords: hedges, modal verbs, connectives.
_EDGE_WORDS = frozenset(
    [
        "越來越",
        "比較",
        "更加",
        "一種",
        "一個",
        "這種",
        "那種",
        "這些",
        "那些",
        "才能",
        "不能",
        "能夠",
        "可以",
        "應該",
        "需要",
        "希望",
        "覺得",
        "認為",
        "變成",
        "成為",
        "號稱",
        "根本",
        "提供",
        "使用",
        "進行",
        "透過",
        "根據",
        "依據",
        "如果",
        "因為",
        "所以",
        "雖然",
        "但是",
        "而且",
        "還是",
        "或是",
        "或者",
        "就是",
        "只是",
        "真的",
        "非常",
        "已經",
        "一直",
        "目前",
        "現在",
        "其實",
        "相關",
        "有關",
        "關於",
        "對於",
        "針對",
        "建議",
        "表示",
        "前提",
        "怕",
        "擔心",
    ]
)


def _edge_ok(word: str, stop: frozenset[str]) -> bool:
    return len(word) >= 2 and word not in stop and word not in _EDGE_WORDS


def candidate_phrases(tokens: Sequence[str], stop: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Spans of one to four words inside a clause, 4-12 characters, opening and closing on a word of
    two or more characters that is no function word or hedge: the phrases a label may be."""
    found: dict[str, tuple[str, ...]] = {}
    for clause in _clauses(tokens):
        for start in range(len(clause)):
            if not _edge_ok(clause[start], stop):
                continue
            for end in range(start + 1, min(start + LABEL_MAX_WORDS, len(clause)) + 1):
                phrase = "".join(clause[start:end])
                if len(phrase) > LABEL_MAX_CHARS:
                    break
                if len(phrase) >= LABEL_MIN_CHARS and _edge_ok(clause[end - 1], stop):
                    found.setdefault(phrase, tuple(clause[start:end]))
    return found


def phrase_label(
    member_tokens: Sequence[Sequence[str]],
    member_weight: Sequence[float],
    word_score: Callable[[str], float],
) -> str:
    """The phrase of 4-12 characters (one to four words) that best says what the comments are about.

    A phrase scores the share of the comments that use it times the distinctiveness of its words
    (``word_score(word)``: a word's mean weight in the theme above its mean in the scope), so a phrase every
    theme repeats (a form letter's opening, the consultation's title) scores nothing; each word that adds
    nothing costs a third. A phrase two texts use is preferred to one only one text uses. Empty when no
    phrase has a distinctive word.
    """
    from analysis.text import stopwords

    stop = stopwords()
    used: dict[str, float] = {}
    texts_with: dict[str, int] = {}
    words_of: dict[str, tuple[str, ...]] = {}
    total = float(sum(member_weight)) or 1.0
    for tokens, weight in zip(member_tokens, member_weight, strict=True):
        for phrase, words in candidate_phrases(tokens, stop).items():
            used[phrase] = used.get(phrase, 0.0) + float(weight)
            texts_with[phrase] = texts_with.get(phrase, 0) + 1
            words_of.setdefault(phrase, words)
    scores: dict[str, float] = {}
    for phrase, weight in used.items():
        values = [max(word_score(w), 0.0) for w in dict.fromkeys(words_of[phrase])]
        content = sum(values)
        if content > 0:
            filler = sum(1 for v in values if v <= 0)
            scores[phrase] = weight / total * content / (1.0 + filler / 3.0)
    for needed in (2, 1):
        ranked = [(-score, len(p), p) for p, score in scores.items() if texts_with[p] >= needed]
        if ranked:
            return min(ranked)[2]
    return ""


__all__ = [
    "SUPPORT_LABEL",
    "Theme",
    "ThemeClusterer",
    "describe_themes",
    "find_themes",
    "is_no_argument",
    "merge_similar",
    "phrase_label",
    "weighted_mean",
]
