"""Did the agency answer what people asked (the response-alignment audit)."""

from __future__ import annotations

import json

from reports.alignment import (
    MATCHED,
    NOT_ADDRESSED,
    PARTLY,
    align,
    alignment_table,
    is_placeholder,
    response_text,
)
from reports.briefs import _questions_and_prompts
from reports.i18n import Translator
from reports.model import Theme
from tests.conftest import ROOT

RESPONSE = (
    "<p>本署已於今年完成燃煤電廠排放標準修正，並加嚴空氣污染物排放限值。</p>"
    "<p>有關居民健康風險，將委託學術單位進行流行病學調查。</p><p>其餘事項將持續研議。</p>"
)


def _theme(key: str, label: str, terms: tuple[str, ...], size: int = 10) -> Theme:
    return Theme(key, label, terms, size, 0.1, None, False, ())


def test_a_sentence_with_the_themes_phrase_or_most_terms_matches() -> None:
    text = response_text([RESPONSE])
    by_phrase = align("燃煤電廠排放", ("燃煤", "電廠", "排放"), text)
    assert by_phrase.verdict == MATCHED
    assert "燃煤電廠排放標準" in by_phrase.sentence
    by_terms = align("居民吸廢氣", ("居民", "健康", "風險", "調查"), text)
    assert by_terms.verdict == MATCHED
    assert by_terms.sentence.startswith("有關居民健康風險")
    partly = align("空品與出門", ("出門", "空氣", "紫爆"), text)
    assert partly.verdict == PARTLY
    assert align("社會住宅", ("住宅", "租金", "房價"), text).verdict == NOT_ADDRESSED


def test_placeholder_responses_are_recognised_including_the_real_2017_one() -> None:
    assert is_placeholder("（將於107年10月17日前發布正式回應時說明）")
    assert not is_placeholder(response_text([RESPONSE]))
    sample = json.loads(
        (ROOT / "tests/fixtures/join-samples/idea-detail-completed-2017.json").read_text(encoding="utf-8")
    )
    idea = sample.get("idea", sample)
    for response in idea["govResponses"]:
        text = response_text([response.get(k) or "" for k in ("analysis", "suggest", "plan", "reference")])
        assert is_placeholder(text)


def test_questions_start_from_the_themes_no_response_addressed() -> None:
    t = Translator("zh-TW")
    themes = [
        _theme("1#1", "燃煤電廠排放", ("燃煤", "電廠", "排放"), 30),
        _theme("1#2", "社會住宅", ("住宅", "租金", "房價"), 20),
    ]
    related = [{"uuid": "idea-1", "proposal": "燃煤電廠降載", "url": None}]
    answers = {
        "idea-1": [
            {
                "agency": "環保署",
                "is_placeholder": False,
                "analysis": RESPONSE,
                "suggest": "",
                "plan": "",
                "reference": "",
            },
            {
                "agency": "環保署",
                "is_placeholder": True,
                "analysis": "",
                "suggest": "",
                "plan": "",
                "reference": "",
            },
        ]
    }
    table, unaddressed = alignment_table("x", themes, related, answers, t)
    keys = [row["verdict_key"] for row in table.rows]
    assert keys == [MATCHED, NOT_ADDRESSED, "placeholder"]
    assert [th.key for th in unaddressed] == ["1#2"]
    questions, _ = _questions_and_prompts(t, themes, [], [], related, 50, 0, unaddressed)
    assert questions[0].startswith("民眾關心的「社會住宅」")
    assert not any("社會住宅" in q for q in questions[1:])
