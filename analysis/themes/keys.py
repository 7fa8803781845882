"""Stable theme keys: match this run's themes to the previous complete run's by centroid similarity.

Centroids are kept as (word, weight) lists so that runs with different vocabularies stay comparable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

MATCH_MIN_SIMILARITY = 0.3  # below this two themes share too little vocabulary to be "the same"
_KEY = re.compile(r"^(?P<scope>.*)#(?P<n>\d+)$")


def term_cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    dot = sum(w * b.get(t, 0.0) for t, w in a.items())
    na = math.sqrt(sum(w * w for w in a.values()))
    nb = math.sqrt(sum(w * w for w in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def make_key(scope: str, number: int) -> str:
    return f"{scope[:40]}#{number}"


def assign_keys(
    scope: str, centroids: Sequence[Mapping[str, float]], previous: Sequence[tuple[str, Mapping[str, float]]]
) -> list[str]:
    """One key per new theme: the matched previous key (best one-to-one match), else the next free number."""
    keys: list[str | None] = [None] * len(centroids)
    if centroids and previous:
        sims = np.array([[term_cosine(c, p) for _, p in previous] for c in centroids])
        rows, cols = linear_sum_assignment(-sims)
        for r, c in zip(rows, cols, strict=True):
            if sims[r, c] >= MATCH_MIN_SIMILARITY:
                keys[r] = previous[c][0]
    used = []
    for key, _ in previous:
        match = _KEY.match(key)
        if match:
            used.append(int(match.group("n")))
    for k in keys:
        if k and (m := _KEY.match(k)):
            used.append(int(m.group("n")))
    next_number = max(used, default=0) + 1
    out: list[str] = []
    for k in keys:
        if k is None:
            k = make_key(scope, next_number)
            next_number += 1
        out.append(k)
    return out


SUPPORT_SUFFIX = "#support"


def support_key(scope: str) -> str:
    """The key of a scope's support / no-argument theme: one per scope, the same in every run."""
    return f"{scope[:40]}{SUPPORT_SUFFIX}"


def is_support_key(key: str) -> bool:
    return key.endswith(SUPPORT_SUFFIX)


def theme_keys(
    scope: str,
    centroids: Sequence[Mapping[str, float]],
    supports: Sequence[bool],
    previous: Sequence[tuple[str, Mapping[str, float]]],
) -> list[str]:
    """:func:`assign_keys` for the argument themes; the support theme gets :func:`support_key`."""
    argued = [c for c, s in zip(centroids, supports, strict=True) if not s]
    keys = iter(assign_keys(scope, argued, [p for p in previous if not is_support_key(p[0])]))
    return [support_key(scope) if s else next(keys) for s in supports]


__all__ = [
    "MATCH_MIN_SIMILARITY",
    "SUPPORT_SUFFIX",
    "assign_keys",
    "is_support_key",
    "make_key",
    "support_key",
    "term_cosine",
    "theme_keys",
]
