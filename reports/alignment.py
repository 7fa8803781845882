"""Did the agency answer what people asked? Each of a commitment's main themes against each agency response
to its proposals: matched, partly, or not addressed, with the response's sentence that matches best.

Lexical and deliberately simple: a theme is its label phrase and its distinctive terms (rank-weighted);
a sentence matches a theme by the weighted share of those terms it contains (or by holding the label
phrase). Placeholder responses (「將於…前發布正式回應」) are flagged and never count as an answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from reports.i18n import Translator
from reports.model import Column, Table, Theme

Verdict = Literal["matched", "partly", "not_addressed"]
# a whole response: a placeholder ("the answer will follow"), or one that addresses none of the themes
ResponseVerdict = Verdict | Literal["placeholder", "none_addressed"]
MATCHED: Final = "matched"
PARTLY: Final = "partly"
NOT_ADDRESSED: Final = "not_addressed"
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
    verdict: Verdict
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
            verdict: Verdict = (
                MATCHED
                if coverage >= MATCHED_COVERAGE
                else PARTLY
                if coverage >= PARTLY_COVERAGE
                else NOT_ADDRESSED
            )
            best = Alignment(verdict, round(coverage, 3), sentence if verdict != NOT_ADDRESSED else "")
    return best


ALIGNED_THEMES = 5  # a commitment's largest themes checked against each response


@dataclass(frozen=True, slots=True)
class AlignmentRow:
    """One response against one theme, or a response flagged as a whole (``theme`` is None)."""

    proposal: object  # the proposal's title, as the responses table shows it
    url: object
    agency: object
    theme: Theme | None
    verdict: ResponseVerdict
    sentence: str = ""
    coverage: float | None = None


def _against_themes(source: AlignmentRow, text: str, themes: Sequence[Theme]) -> list[AlignmentRow]:
    """A formal response against each theme; flagged when it addresses none of them."""
    rows = []
    for theme in themes:
        result = align(theme.label, theme.terms, text, proposal=str(source.proposal))
        rows.append(
            replace(
                source,
                theme=theme,
                verdict=result.verdict,
                sentence=result.sentence,
                coverage=result.coverage,
            )
        )
    if rows and all(row.verdict == NOT_ADDRESSED for row in rows):
        rows.append(replace(source, verdict="none_addressed"))
    return rows


def align_responses(
    themes: Sequence[Theme],
    related: Sequence[Mapping[str, object]],
    answers: Mapping[str, Sequence[Mapping[str, object]]],
) -> tuple[list[AlignmentRow], list[Theme]]:
    """Each response to the commitment's proposals against its largest themes, placeholders flagged;
    with the themes no formal response addressed (none when there was no formal response)."""
    checked = themes[:ALIGNED_THEMES]
    rows: list[AlignmentRow] = []
    formal_seen = False
    for proposal in related:
        for record in answers.get(str(proposal["uuid"]), []):
            text = response_text([str(record[k] or "") for k in ("analysis", "suggest", "plan", "reference")])
            source = AlignmentRow(
                proposal["proposal"], proposal.get("url"), record["agency"], None, "placeholder"
            )
            if record["is_placeholder"] or is_placeholder(text):
                rows.append(source)
                continue
            formal_seen = True
            rows += _against_themes(source, text, checked)
    addressed = {row.theme.key for row in rows if row.theme is not None and row.verdict != NOT_ADDRESSED}
    unaddressed = [th for th in checked if th.key not in addressed] if formal_seen else []
    return rows, unaddressed


def alignment_table(
    name: str,
    themes: Sequence[Theme],
    related: Sequence[Mapping[str, object]],
    answers: Mapping[str, Sequence[Mapping[str, object]]],
    t: Translator,
) -> tuple[Table, list[Theme]]:
    """The alignment of responses and themes as a table, and the themes no formal response addressed."""
    rows, unaddressed = align_responses(themes, related, answers)
    table = Table(
        name,
        t("alignment_heading"),
        (
            Column("proposal", t("col_proposal"), link_key="url"),
            Column("agency", t("col_agency")),
            Column("theme", t("col_theme")),
            Column("verdict", t("col_verdict")),
            Column("sentence", t("col_sentence")),
        ),
        tuple(
            {
                "proposal": row.proposal,
                "url": row.url,
                "agency": row.agency,
                "theme": row.theme.label if row.theme else "—",
                "verdict": t(f"align_{row.verdict}"),
                "sentence": row.sentence,
                "verdict_key": row.verdict,
                "coverage": row.coverage,
            }
            for row in rows
        ),
        export_only=("verdict_key", "coverage"),
    )
    return table, unaddressed


__all__ = [
    "ALIGNED_THEMES",
    "MATCHED",
    "NOT_ADDRESSED",
    "PARTLY",
    "Alignment",
    "AlignmentRow",
    "align",
    "align_responses",
    "alignment_table",
    "is_placeholder",
    "response_text",
    "sentences",
]
