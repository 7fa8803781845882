"""Exact and near-duplicate submissions, grouped into form-letter campaigns.

Character 3-gram shingles of the normalised text (punctuation and spaces dropped), MinHash signatures
computed for all distinct texts at once with numpy, candidate pairs from LSH banding,
kept when their estimated Jaccard similarity reaches the threshold, then joined transitively.

Duplicates and campaigns are different things. Any two equal texts are duplicates (raw vs unique
counts), however short. A *campaign* is a form letter: at least ``CAMPAIGN_MIN_SIZE`` copies of a text
with at least ``CAMPAIGN_MIN_CHARS`` characters of content. Twenty characters is one full sentence
with a demand in it (the replica's and real form letters run 40-150); the generic agreements that
recur by chance ("+1", "加油", "沒意見，支持。", "這個方案很好，支持政府推動。") stay at or below about
15, and real join.gov.tw boards show the same split (see benchmarks/devset/README.md).

Why MinHash is computed here and not with datasketch (the project prefers well-kept libraries):
datasketch 2.0 hashes shingles and applies permutations per document in Python, and ``MinHashLSH``
inserts and queries one key at a time, where the vectorised numpy code below is a few array operations
and sorts, about 30 times faster (figures in docs/benchmarks.md). datasketch is therefore not a
dependency. The hashing is the textbook multiply-shift family; the
tests check its one property that matters (edited copies group, distinct texts do not).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator

_NOT_CONTENT = re.compile(r"[\W_]+", re.UNICODE)
CAMPAIGN_MIN_SIZE = 3  # two identical comments are a coincidence or a double post; three are a pattern
CAMPAIGN_MIN_CHARS = 20  # content characters of a form letter (see the module docstring)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier (Fibonacci hashing)


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Indices (into the corpus) of submissions that say the same thing; ``members[0]`` is the first."""

    members: tuple[int, ...]
    exact: bool


def compact(text: str) -> str:
    """The content of a normalised text: letters, digits and CJK only."""
    return _NOT_CONTENT.sub("", text)


def shingle_hashes(texts: Sequence[str], size: int) -> tuple[np.ndarray, np.ndarray]:
    """32-bit hashes of every character ``size``-gram of every text, all texts at once.

    Returns the hashes (texts one after another) and each text's first position; texts need at least
    ``size`` characters. Code points fit in 21 bits, so three of them are packed exactly into one
    64-bit integer before a multiply-shift hash (repeated grams do not change a minimum).
    """
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    if (lengths < size).any():
        raise ValueError(f"every text needs at least {size} characters for {size}-gram shingles")
    points = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n_grams = lengths - size + 1
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    # Position of each gram in the concatenation: each text's start, then 0..n_grams-1.
    offsets = np.arange(int(n_grams.sum()), dtype=np.int64) - np.repeat(
        np.concatenate([[0], np.cumsum(n_grams)[:-1]]) - starts, n_grams
    )
    packed = np.zeros(offsets.size, dtype=np.uint64)
    for k in range(size):
        packed = (packed << np.uint64(21)) | points[offsets + k]
    hashed = (packed * _GOLDEN) >> np.uint64(32)
    gram_starts = np.concatenate([[0], np.cumsum(n_grams)[:-1]])
    return hashed, gram_starts


class DuplicateFinder(BaseEstimator):  # type: ignore[misc]
    """Find groups of (near-)identical texts.

    Parameters: ``threshold`` (estimated Jaccard similarity of 3-gram shingles; 0.5 because edited
    copies of one letter — a sentence dropped, a synonym, a greeting or signature added — fall to
    0.3-0.6 pairwise and are joined through their neighbours), ``num_perm`` (MinHash permutations),
    ``shingle_size``, ``min_chars`` (shorter texts only match exactly: "同意" twice is agreement, not
    a campaign), ``band_rows`` (LSH rows per band), ``random_state`` (permutation seed).
    """

    def __init__(
        self,
        threshold: float = 0.5,
        num_perm: int = 63,
        shingle_size: int = 3,
        min_chars: int = CAMPAIGN_MIN_CHARS,
        band_rows: int = 3,
        random_state: int = 0,
    ) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.min_chars = min_chars
        self.band_rows = band_rows
        self.random_state = random_state

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """MinHash signatures (n × num_perm, uint32) of compacted texts (each ≥ ``shingle_size`` chars).

        Permutation p hashes a gram hash h as the high 32 bits of ((h ⊕ r_p) · m_p) mod 2^64 with random
        r_p and odd m_p: one pass of four numpy operations per permutation over all grams of all texts.
        """
        rng = np.random.default_rng(self.random_state)
        xors = rng.integers(0, 1 << 63, size=self.num_perm, dtype=np.uint64)
        mults = rng.integers(0, 1 << 63, size=self.num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        signatures = np.empty((len(texts), self.num_perm), dtype=np.uint32)
        if not texts:
            return signatures
        hashed, starts = shingle_hashes(texts, self.shingle_size)
        buffer = np.empty_like(hashed)
        shift = np.uint64(32)
        for p in range(self.num_perm):
            np.bitwise_xor(hashed, xors[p], out=buffer)
            np.multiply(buffer, mults[p], out=buffer)
            np.right_shift(buffer, shift, out=buffer)
            signatures[:, p] = np.minimum.reduceat(buffer, starts)
        return signatures

    def _candidate_pairs(self, signatures: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """LSH banding (bands of ``band_rows`` rows), vectorised: rows sharing a band bucket are candidates;
        each is checked against its bucket's first row and kept when the estimated Jaccard similarity
        reaches the threshold (datasketch's ``MinHashLSH`` does the same banding one item at a time,
        ~3 K items/s here, too slow for 100 K comments). Returns the pairs as two index arrays (a pair
        may repeat across bands).
        """
        n, num_perm = signatures.shape
        rows = self.band_rows
        multipliers = np.random.default_rng(self.random_state + 1).integers(
            1, 1 << 62, size=rows, dtype=np.uint64
        ) | np.uint64(1)
        firsts, seconds = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
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
            keep = (signatures[a] == signatures[b]).mean(axis=1) >= self.threshold
            firsts.append(a[keep])
            seconds.append(b[keep])
        return np.concatenate(firsts), np.concatenate(seconds)

    def fit(self, texts: Sequence[str], y: object = None) -> DuplicateFinder:
        """``texts`` are normalised texts; sets ``groups_`` (only groups of two or more), ``n_unique_`` and
        ``contents_`` (each text compacted: what :func:`is_campaign` measures).

        Equal contents (compacted texts) are one node each; near-duplicate pairs among the distinct
        contents long enough to shingle join nodes; the groups are the connected components, listed by
        their first member, each with its members in order.
        """
        compacted = {t: compact(t) for t in dict.fromkeys(texts)}  # each distinct text once
        key_index: dict[str, int] = {}
        node = np.fromiter(
            (key_index.setdefault(compacted[t], len(key_index)) for t in texts),
            dtype=np.int64,
            count=len(texts),
        )
        keys = list(key_index)
        lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
        long_enough = np.flatnonzero(lengths >= max(self.min_chars, self.shingle_size))
        a = b = np.zeros(0, dtype=np.int64)
        if long_enough.size > 1:
            a, b = self._candidate_pairs(self.signatures([keys[i] for i in long_enough]))
            a, b = long_enough[a], long_enough[b]
        graph = sp.coo_matrix((np.ones(a.size, dtype=np.int8), (a, b)), shape=(len(keys), len(keys)))
        _, component = connected_components(graph, directed=False)
        group = component[node]
        # Items by group, each group's members in order; groups listed by their first member.
        order = np.lexsort((np.arange(group.size), group))
        bounds = np.flatnonzero(np.r_[True, group[order][1:] != group[order][:-1], True])
        starts, ends = bounds[:-1], bounds[1:]
        shared = np.flatnonzero(ends - starts > 1)
        shared = shared[np.argsort(order[starts[shared]], kind="stable")]
        groups = []
        for g in shared.tolist():
            members = order[starts[g] : ends[g]]
            groups.append(
                DuplicateGroup(tuple(members.tolist()), bool((node[members] == node[members[0]]).all()))
            )
        self.groups_ = groups
        self.n_unique_ = int(starts.size)
        self.contents_ = [keys[i] for i in node.tolist()]
        return self


def is_campaign(group: DuplicateGroup, keys: Sequence[str]) -> bool:
    """A form letter: enough copies of a text with enough content (``keys`` are compacted texts)."""
    if len(group.members) < CAMPAIGN_MIN_SIZE:
        return False
    lengths = sorted(len(keys[i]) for i in group.members)
    return lengths[len(lengths) // 2] >= CAMPAIGN_MIN_CHARS


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


__all__ = [
    "CAMPAIGN_MIN_CHARS",
    "CAMPAIGN_MIN_SIZE",
    "DuplicateFinder",
    "DuplicateGroup",
    "compact",
    "is_burst",
    "is_campaign",
    "shingle_hashes",
]
