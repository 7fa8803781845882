"""Unit tests for link filtering, inert text, redaction, excerpts and CSV cells."""

from __future__ import annotations

from datetime import datetime

import pytest

from reports.exports import csv_cell
from reports.overview import slug
from reports.printing import md_text
from reports.proposals import add_months
from reports.textsafety import ProvenanceError, excerpt, make_inert, redact, safe_url, verify_quote


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://join.gov.tw/idea/detail/abc", "https://join.gov.tw/idea/detail/abc"),
        ("http://127.0.0.1:8800/policies/detail/x#c1", "http://127.0.0.1:8800/policies/detail/x#c1"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        (" javascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox", None),
        ("//evil.example/x", None),
        ("https://evil.example/\u202egnp.exe", None),
        ("https://a.example/x y", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_url_only_lets_http_links_through(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_make_inert_shows_bidi_and_control_characters() -> None:
    assert make_inert("a\u202eb\u2066c\x07d") == "a[U+202E]b[U+2066]c[U+0007]d"
    assert make_inert("第一行\n第二行\t結束") == "第一行\n第二行\t結束"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("請寄信到 someone@example.org 謝謝", "someone@example.org"),
        ("手機0912-345-678聯絡", "0912-345-678"),
        ("手機 0912345678", "0912345678"),
        ("電話 (02)2345-6789", "(02)2345-6789"),
        ("電話 02-2345-6789", "02-2345-6789"),
        ("國際 +886 912 345 678", "+886 912 345 678"),
        ("身分證A123456789請保密", "A123456789"),
        ("居留證 F812345678", "F812345678"),
    ],
)
def test_redact_masks_personal_data(text: str, secret: str) -> None:
    masked = redact(text, "＊")
    assert secret not in masked
    assert "＊" in masked


def test_redact_keeps_ordinary_numbers() -> None:
    text = "2020年有5000人附議，第3.1項承諾，AB12345678不是身分證"
    assert redact(text, "＊") == text


def test_excerpt_is_a_verbatim_slice_ending_at_a_sentence() -> None:
    first = "第一句話" * 6 + "。"
    text = first + "第二句話比較長" * 30 + "。第三句。"
    quote, cut = excerpt(text, 60)
    assert cut
    assert quote == first
    assert quote in text
    short_first = "短。" + "長" * 100
    quote, cut = excerpt(short_first, 60)  # a sentence end too early to be useful: cut at the limit
    assert cut
    assert quote == short_first[:60]
    whole, cut = excerpt("  短短一句  ", 60)
    assert (whole, cut) == ("短短一句", False)
    long_no_stop = "字" * 500
    quote, cut = excerpt(long_no_stop, 60)
    assert cut
    assert len(quote) == 60


def test_verify_quote_refuses_anything_not_verbatim() -> None:
    verify_quote("開放資料", "支持開放資料", kind="comment", item_id="1")
    with pytest.raises(ProvenanceError, match="'c9'"):
        verify_quote("開放 資料", "支持開放資料", kind="comment", item_id="c9")
    with pytest.raises(ProvenanceError):
        verify_quote("", "支持", kind="comment", item_id="c9")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+886", "'+886"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("一般文字", "一般文字"),
        (-3, -3),
        (0.5, 0.5),
        (None, ""),
    ],
)
def test_csv_cells_cannot_become_formulas(value: object, expected: object) -> None:
    assert csv_cell(value) == expected


def test_markdown_escaping_keeps_text_literal() -> None:
    assert md_text("<script>x</script>") == "\\<script\\>x\\</script\\>"
    assert md_text("[點我](javascript:alert(1))") == "\\[點我\\](javascript:alert(1))"
    assert md_text("- 不是清單\n# 不是標題") == "\\- 不是清單\n\\# 不是標題"


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(datetime(2019, 12, 31), 2) == datetime(2020, 2, 29)
    assert add_months(datetime(2020, 11, 15), 2) == datetime(2021, 1, 15)


def test_slug_is_a_plain_file_name() -> None:
    assert slug("1.1") == "c-1-1"
    assert slug("../../etc") == "c-etc--" + slug("../../etc").split("-")[-1]
    assert "/" not in slug("../x")
    assert slug("承諾一") != slug("承諾二")
