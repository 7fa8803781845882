"""Exact and near-duplicate submissions, grouped into form-letter campaigns.

Character 3-gram shingles of the normalised text (punctuation and spaces dropped), MinHash signatures
computed for all distinct texts at once with numpy, candidate pairs from LSH banding,
kept when their estimated Jaccard similarity reaches the threshold, then joined transitively.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

_NOT_CONTENT = re.compile(r"[\W_]+", re.UNICODE)
_PRIME = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Indices (into the corpus) of submissions that say the same thing; ``members[0]`` is the first."""

    members: tuple[int, ...]
    exact: bool


def compact(text: str) -> str:
    """The content of a normalised text: letters, digits and CJK only."""
    return _NOT_CONTENT.sub("", text)


def shingle_hashes(text: str, size: int) -> np.ndarray:
    grams = {text[i : i + size] for i in range(max(1, len(text) - size + 1))} if text else set()
    return np.fromiter(
        (zlib.crc32(g.encode("utf-8")) for g in sorted(grams)), dtype=np.uint64, count=len(grams)
    )


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller index stays root so that the group's first item leads it.
            self.parent[max(ra, rb)] = min(ra, rb)


class DuplicateFinder(BaseEstimator):  # type: ignore[misc]
    """Find groups of (near-)identical texts.

    Parameters: ``threshold`` (estimated Jaccard similarity of 3-gram shingles), ``num_perm``
    (MinHash permutations), ``shingle_size``, ``min_chars`` (shorter texts only match exactly:
    "同意" twice is agreement, not a campaign), ``random_state`` (permutation seed).
    """

    def __init__(
        self,
        threshold: float = 0.8,
        num_perm: int = 64,
        shingle_size: int = 3,
        min_chars: int = 12,
        band_rows: int = 4,
        random_state: int = 0,
    ) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.min_chars = min_chars
        self.band_rows = band_rows
        self.random_state = random_state

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """MinHash signatures (n × num_perm, uint64) of compacted texts, vectorised over all shingles."""
        rng = np.random.default_rng(self.random_state)
        a = rng.integers(1, int(_PRIME), size=self.num_perm, dtype=np.uint64)
        b = rng.integers(0, int(_PRIME), size=self.num_perm, dtype=np.uint64)
        hashed = [shingle_hashes(t, self.shingle_size) for t in texts]
        lengths = np.array([h.size for h in hashed], dtype=np.int64)
        signatures = np.full((len(texts), self.num_perm), np.iinfo(np.uint64).max, dtype=np.uint64)
        nonempty = np.flatnonzero(lengths > 0)
        if nonempty.size == 0:
            return signatures
        flat = np.concatenate([hashed[i] for i in nonempty])
        starts = np.concatenate([[0], np.cumsum(lengths[nonempty])[:-1]])
        for p in range(self.num_perm):
            # 32-bit affine hashing: (a·x + b) mod 2^61−1 stays exact in uint64 for 32-bit x and a < 2^29.
            values = ((a[p] & _MASK32 >> np.uint64(3)) * flat + b[p]) % _PRIME
            signatures[nonempty, p] = np.minimum.reduceat(values, starts)
        return signatures

    def _candidate_pairs(self, signatures: np.ndarray) -> list[tuple[int, int]]:
        """LSH banding (bands of ``band_rows`` rows), vectorised: rows sharing a band bucket are candidates;
        each is checked against its bucket's first row and kept when the estimated Jaccard similarity
        reaches the threshold (datasketch's ``MinHashLSH`` does the same banding one item at a time,
        ~3 K items/s here, too slow for 100 K comments).
        """
        n, num_perm = signatures.shape
        rows = self.band_rows
        multipliers = np.random.default_rng(self.random_state + 1).integers(
            1, 1 << 62, size=rows, dtype=np.uint64
        ) | np.uint64(1)
        pairs: set[tuple[int, int]] = set()
        for band in range(num_perm // rows):
            block = signatures[:, band * rows : (band + 1) * rows]
            bucket = (block * multipliers).sum(axis=1, dtype=np.uint64)  # wraps: a hash, not a sum
            order = np.argsort(bucket, kind="stable")
            sorted_bucket = bucket[order]
            starts = np.flatnonzero(np.r_[True, sorted_bucket[1:] != sorted_bucket[:-1]])
            first = order[np.repeat(starts, np.diff(np.r_[starts, n]))]
            others = first != order
            a, b = first[others], order[others]
            if a.size == 0:
                continue
            similarity = (signatures[a] == signatures[b]).mean(axis=1)
            keep = similarity >= self.threshold
            pairs.update(zip(a[keep].tolist(), b[keep].tolist(), strict=True))
        return sorted(pairs)

    def fit(self, texts: Sequence[str], y: Any = None) -> DuplicateFinder:
        """``texts`` are normalised texts; sets ``groups_`` (only groups of two or more) and ``n_unique_``."""
        keys = [compact(t) for t in texts]
        first_of: dict[str, int] = {}
        union = _UnionFind(len(keys))
        for i, key in enumerate(keys):
            if key in first_of:
                union.union(first_of[key], i)
            else:
                first_of[key] = i
        distinct = np.array([i for i in first_of.values() if len(keys[i]) >= self.min_chars], dtype=np.int64)
        if distinct.size > 1:
            signatures = self.signatures([keys[i] for i in distinct])
            for a, b in self._candidate_pairs(signatures):
                union.union(int(distinct[a]), int(distinct[b]))
        members: dict[int, list[int]] = {}
        for i in range(len(keys)):
            members.setdefault(union.find(i), []).append(i)
        groups = []
        for root in sorted(members):
            group = members[root]
            if len(group) > 1:
                groups.append(DuplicateGroup(tuple(group), len({keys[i] for i in group}) == 1))
        self.groups_ = groups
        self.n_unique_ = len(members)
        return self


def is_burst(times: Sequence[datetime | None], *, window: timedelta = timedelta(hours=1)) -> bool:
    """Near-identical submissions arriving together: at least half of them (and three) within one window."""
    stamps = sorted(t for t in times if t is not None)
    if len(stamps) < 3:
        return False
    need = max(3, math.ceil(len(times) / 2))
    lo = 0
    for hi in range(len(stamps)):
        while stamps[hi] - stamps[lo] > window:
            lo += 1
        if hi - lo + 1 >= need:
            return True
    return False


__all__ = ["DuplicateFinder", "DuplicateGroup", "compact", "is_burst"]
