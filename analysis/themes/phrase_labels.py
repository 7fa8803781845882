"""Theme labels: the short phrase (4-12 characters, one to four words) that best says what a theme holds."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from analysis.text.lexicon import stopwords

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
        edge = [_edge_ok(word, stop) for word in clause]
        for start in range(len(clause)):
            if not edge[start]:
                continue
            length = 0
            for end in range(start, min(start + LABEL_MAX_WORDS, len(clause))):
                length += len(clause[end])
                if length > LABEL_MAX_CHARS:
                    break
                if length >= LABEL_MIN_CHARS and edge[end]:
                    words = clause[start : end + 1]
                    found.setdefault("".join(words), tuple(words))
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


__all__ = ["LABEL_MAX_CHARS", "LABEL_MIN_CHARS", "LABEL_SAMPLE", "candidate_phrases", "phrase_label"]
