"""Did the agency answer what people asked? Each of a commitment's main themes against each agency response
to its proposals: matched, partly, or not addressed, with the response's sentence that matches best.

Lexical and deliberately simple: a theme is its label phrase and its distinctive terms (rank-weighted);
a sentence matches a theme by the weighted share of those terms it contains (or by holding the label
phrase). Placeholder responses (「將於…前發布正式回應」) are flagged and never count as an answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

MATCHED, PARTLY, NOT_ADDRESSED = "matched", "partly", "not_addressed"
MATCHED_COVERAGE = 0.45  # weighted share of the theme's terms in one sentence
PARTLY_COVERAGE = 0.2
TERMS_USED = 6
PLACEHOLDER = re.compile(r"將於.{0,30}?前.{0,10}?(?:發布|提出|公布).{0,6}?(?:正式)?回應")
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_TAG = re.compile(r"<[^>]+>")
# A sentence about "the proposal" without naming its subject (「提案所述事項…」「本案…」「所提…」).
REFERS_TO_PROPOSAL = re.compile(r"提案|本案|所提|所述事項|建議事項|提議")


@dataclass(frozen=True, slots=True)
class Alignment:
    verdict: str  # matched | partly | not_addressed
    coverage: float
    sentence: str  # the response's best-matching sentence ("" when nothing matched)


def response_text(parts: Sequence[str]) -> str:
    """The readable text of a response's HTML blocks (分析 / 建議 / 規劃 / 參考)."""
    text = "\n".join(_TAG.sub("", p or "").replace("&nbsp;", " ") for p in parts)
    return re.sub(r"[ \t]+", " ", text).strip()


def is_placeholder(text: str) -> bool:
    """A first answer that only promises the formal one by a date."""
    return bool(PLACEHOLDER.search(text)) and len(PLACEHOLDER.sub("", text).strip(" （）()\n")) < 400


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def align(label: str, terms: Sequence[str], text: str, *, proposal: str = "") -> Alignment:
    """How well ``text`` addresses the theme (``label``: a phrase from the comments; ``terms``: its
    distinctive words, best first). When the theme is the subject of the ``proposal`` answered (its
    title), a sentence that speaks of "the proposal" without naming it counts as ``partly``."""
    found = _align(label, terms, text)
    if found.verdict != NOT_ADDRESSED or not proposal:
        return found
    if _align(label, terms, proposal).verdict == NOT_ADDRESSED:
        return found
    for sentence in sentences(text):
        if REFERS_TO_PROPOSAL.search(sentence):
            return Alignment(PARTLY, 0.0, sentence)
    return found


def _align(label: str, terms: Sequence[str], text: str) -> Alignment:
    weights = {term.lower(): 1.0 / (1 + rank) for rank, term in enumerate(terms[:TERMS_USED]) if term}
    total = sum(weights.values())
    best = Alignment(NOT_ADDRESSED, 0.0, "")
    for sentence in sentences(text):
        lowered = sentence.lower()
        if label and len(label) >= 4 and label.lower() in lowered:
            return Alignment(MATCHED, 1.0, sentence)
        coverage = sum(w for term, w in weights.items() if term in lowered) / total if total else 0.0
        if coverage > best.coverage:
            verdict = (
                MATCHED
                if coverage >= MATCHED_COVERAGE
                else PARTLY
                if coverage >= PARTLY_COVERAGE
                else NOT_ADDRESSED
            )
            best = Alignment(verdict, round(coverage, 3), sentence if verdict != NOT_ADDRESSED else "")
    return best


__all__ = [
    "MATCHED",
    "NOT_ADDRESSED",
    "PARTLY",
    "Alignment",
    "align",
    "is_placeholder",
    "response_text",
    "sentences",
]
