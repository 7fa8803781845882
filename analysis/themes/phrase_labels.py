"""Theme labels: the short phrase (4-12 characters, one to four words) that best says what a theme holds."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from analysis.text.lexicon import stopwords

LABEL_MIN_CHARS, LABEL_MAX_CHARS = 4, 12
LABEL_MAX_WORDS = 4
LABEL_SAMPLE = 300  # distinct texts read per theme for its label: the most central ones
_SPACE_OR_PUNCT = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


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


_BREAK, _INNER, _EDGE = 0, 1, 2  # what a token is to a phrase: a clause break, a word inside, an edge word


def _kind(token: str, stop: frozenset[str]) -> int:
    if not token.strip() or _SPACE_OR_PUNCT.search(token):
        return _BREAK
    return _EDGE if _edge_ok(token, stop) else _INNER


def candidate_phrases(
    tokens: Sequence[str], stop: frozenset[str], kinds: dict[str, int] | None = None
) -> dict[str, tuple[str, ...]]:
    """Spans of one to four words inside a clause (a run of word tokens between punctuation and spaces),
    4-12 characters, opening and closing on a word of two or more characters that is no function word or
    hedge: the phrases a label may be. ``kinds`` remembers what each token is, across calls with one
    ``stop``."""
    kinds = {} if kinds is None else kinds
    found: dict[str, tuple[str, ...]] = {}
    clause: list[str] = []
    edge: list[bool] = []
    for token in (*tokens, ""):  # the empty token closes the last clause
        kind = kinds.get(token)
        if kind is None:
            kind = kinds[token] = _kind(token, stop)
        if kind != _BREAK:
            clause.append(token)
            edge.append(kind == _EDGE)
        elif clause:
            _add_spans(clause, edge, found)
            clause, edge = [], []
    return found


def _add_spans(clause: list[str], edge: list[bool], found: dict[str, tuple[str, ...]]) -> None:
    for start in range(len(clause)):
        if not edge[start]:
            continue
        phrase = ""
        for end in range(start, min(start + LABEL_MAX_WORDS, len(clause))):
            phrase += clause[end]
            if len(phrase) > LABEL_MAX_CHARS:
                break
            if len(phrase) >= LABEL_MIN_CHARS and edge[end] and phrase not in found:
                found[phrase] = tuple(clause[start : end + 1])


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
    kinds: dict[str, int] = {}
    for tokens, weight in zip(member_tokens, member_weight, strict=True):
        for phrase, words in candidate_phrases(tokens, stop, kinds).items():
            used[phrase] = used.get(phrase, 0.0) + float(weight)
            texts_with[phrase] = texts_with.get(phrase, 0) + 1
            words_of.setdefault(phrase, words)
    scores: dict[str, float] = {}
    score_of: dict[str, float] = {}  # each word scored once: phrases share their words
    for phrase, weight in used.items():
        values = []
        for word in dict.fromkeys(words_of[phrase]):
            value = score_of.get(word)
            if value is None:
                value = score_of[word] = max(word_score(word), 0.0)
            values.append(value)
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
