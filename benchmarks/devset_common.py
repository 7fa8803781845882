"""Shared helpers for the development-set scripts: load the devset, score predictions, the naive baseline."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "benchmarks" / "devset" / "polis" / "comments.csv"
CATALOGUES = {
    "main": ROOT / "benchmarks" / "devset" / "topics.csv",
    "alt": ROOT / "benchmarks" / "devset" / "topics_alt.csv",
    "join": ROOT / "benchmarks" / "devset" / "join_topics.csv",
}
# Real join.gov.tw comments (see benchmarks/devset/README.md): id, text, label (label = consultation).
JOIN_DEVSET = ROOT / "benchmarks" / "devset" / "join_comments.csv"


def load_devset(path: Path = DEVSET) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_rows(catalogue: str) -> list[dict[str, str]]:
    """The comments a catalogue is evaluated on: the join.gov.tw set for ``join``, else polis."""
    if catalogue != "join":
        return load_devset()
    return [{"id": r["id"], "text": r["text"], "conversation": r["label"]} for r in load_devset(JOIN_DEVSET)]


def gold_labels(rows: list[dict[str, str]], codes: set[str]) -> list[str]:
    """The conversation is the topic; conversations left out of the catalogue are ``none``."""
    return [r["conversation"] if r["conversation"] in codes else "none" for r in rows]


def scores(gold: list[str], predicted: list[str], groups: list[str] | None = None) -> dict[str, float]:
    g, p = np.array(gold, dtype=object), np.array(predicted, dtype=object)
    labels = sorted(set(gold))
    out = {
        "accuracy": float((g == p).mean()),
        "macro_f1": float(f1_score(g, p, labels=labels, average="macro", zero_division=0)),
    }
    tp = float(((g == "none") & (p == "none")).sum())
    out["none_precision"] = tp / max(1.0, float((p == "none").sum()))
    out["none_recall"] = tp / max(1.0, float((g == "none").sum()))
    out["nmi"] = float(
        normalized_mutual_info_score(g, np.array(groups if groups else predicted, dtype=object))
    )
    return out


def naive_assign(texts: list[str], catalogue_rows: list[tuple[str, str]]) -> tuple[list[str], Any]:
    """jieba (default dictionary, HMM on) + TfidfVectorizer + cosine to each commitment's text."""
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [" ".join(jieba.lcut(t)) for t in texts]
    cat_docs = [" ".join(jieba.lcut(text)) for _, text in catalogue_rows]
    vec = TfidfVectorizer(token_pattern=r"(?u)\S+")  # noqa: S106 (a regex, not a password)
    m = vec.fit_transform(docs + cat_docs)
    X, C = m[: len(docs)], m[len(docs) :]
    sims = (X @ C.T).toarray()
    codes = [code for code, _ in catalogue_rows]
    predicted = [
        codes[int(i)] if s.max() > 0 else "none" for i, s in zip(sims.argmax(axis=1), sims, strict=True)
    ]
    return predicted, X


def naive_clusters(X: Any, n_clusters: int) -> list[int]:
    from sklearn.cluster import KMeans

    return [int(c) for c in KMeans(n_clusters=n_clusters, n_init=3, random_state=0).fit_predict(X)]


def naive_baseline(
    texts: list[str], catalogue_rows: list[tuple[str, str]], n_clusters: int
) -> tuple[list[str], list[int]]:
    """The naive assignment plus KMeans(k) for clustering."""
    predicted, X = naive_assign(texts, catalogue_rows)
    return predicted, naive_clusters(X, n_clusters)


def label_counts(labels: list[str]) -> Counter[str]:
    return Counter(labels)
