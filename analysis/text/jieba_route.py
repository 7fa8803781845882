"""jieba's best route through a block of CJK/alphanumeric characters, computed in one loop.

jieba builds a dict of word ends per position (``get_DAG``), then takes the best route with ``max``
over a generator of tuples (``calc``): Python overhead, not arithmetic, is its cost. :func:`best_route`
does both in one loop over the same floats, in the same order, so every score and tie comes out the
same (a test checks the tokens against ``jieba.Tokenizer.cut(text, HMM=False)``).
"""

from __future__ import annotations

import re
from math import log

# jieba's own block and Latin patterns (``re_han_default``, ``re_eng``), which the fast route relies on
RE_HAN = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)", re.U)
RE_ENG = re.compile("[a-zA-Z0-9]", re.U)


def best_route(sentence: str, freq: dict[str, int], log_total: float, log_p: dict[str, float]) -> list[str]:
    """jieba's ``__cut_DAG_NO_HMM`` of one block of CJK/alphanumeric characters (a match of ``RE_HAN``).

    From the last position back, each position's best route is the word starting there (a dictionary
    word with a non-zero count, else the lone character) that maximises log P(word) + the best route
    after it; on equal scores the later end wins, as with jieba's ``max`` over ``(score, end)`` tuples.
    ``log_p`` caches ``log(count) - log_total`` per word (jieba computes the same difference each time).
    """
    return _tokens(sentence, _route_ends(sentence, freq, log_total, log_p))


def _route_ends(sentence: str, freq: dict[str, int], log_total: float, log_p: dict[str, float]) -> list[int]:
    """For each position, the last position of the word the best route takes from there."""
    n = len(sentence)
    score = [0.0] * (n + 1)
    end = list(range(n + 1))
    for start in range(n - 1, -1, -1):
        best: float | None = None
        i, fragment = start, sentence[start]
        while fragment in freq:
            count = freq[fragment]
            if count:
                p = log_p.get(fragment)
                if p is None:
                    p = log_p[fragment] = log(count) - log_total
                candidate = p + score[i + 1]
                if best is None or candidate >= best:
                    best, end[start] = candidate, i
            i += 1
            if i >= n:
                break
            fragment = sentence[start : i + 1]
        if best is None:  # no word starts here: the character alone, counted once if unknown
            best = log(freq.get(sentence[start]) or 1) - log_total + score[start + 1]
        score[start] = best
    return end


def _tokens(sentence: str, end: list[int]) -> list[str]:
    """The route's words; runs of single Latin letters and digits are joined into one token, as jieba does."""
    n = len(sentence)
    tokens: list[str] = []
    latin = ""
    x = 0
    while x < n:
        y = end[x] + 1
        word = sentence[x:y]
        if y - x == 1 and RE_ENG.match(word):
            latin += word
        else:
            if latin:
                tokens.append(latin)
                latin = ""
            tokens.append(word)
        x = y
    if latin:
        tokens.append(latin)
    return tokens


__all__ = ["RE_ENG", "RE_HAN", "best_route"]
