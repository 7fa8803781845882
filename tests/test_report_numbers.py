"""Numbers people ask for (likes, endorsements, trends, history, momentum, statuses and days in
words, links to the comment) and the report in English."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from reports.briefs import weekly_counts
from reports.i18n import EN, ZH_TW, Translator
from reports.proposals import STATUSES, days_left_words, gained_within, status_name
from reports.quotes import comment_link
from reports.site import build_report
from storage.db import open_database
from tests.report_fixtures import FixtureSummary, populate


def test_both_languages_have_every_string() -> None:
    assert set(EN) == set(ZH_TW)
    for key, zh in ZH_TW.items():  # the same placeholders in both languages
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", EN[key])), key


def test_status_codes_and_remaining_days_in_words() -> None:
    zh, en = Translator("zh-TW"), Translator("en")
    for code in STATUSES:
        assert status_name(code, zh) != code
        assert status_name(code, en) != code
    assert status_name("FirstFailed", zh) == "附議未達門檻"
    assert status_name("SomethingNew", zh) == "SomethingNew"
    assert days_left_words(-3284, zh) == "已結束"
    assert days_left_words(-1, en) == "ended"
    assert days_left_words(12, zh) == "剩 12 天"
    assert days_left_words(None, zh) == ""


def test_momentum_over_7_and_30_days() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    history = [(start + timedelta(days=d), n) for d, n in [(0, 100), (20, 400), (25, 450), (31, 600)]]
    assert gained_within(history, 7) == 600 - 400  # the last snapshot at least 7 days before the latest
    assert gained_within(history, 30) == 600 - 100
    assert gained_within(history[:1], 7) is None
    young = [(start, 10), (start + timedelta(days=2), 30)]
    assert gained_within(young, 7) == 20  # since first observed


def test_weekly_counts_fill_quiet_weeks() -> None:
    moments = [datetime(2020, 2, 21, 10, tzinfo=UTC), datetime(2020, 3, 6, 10, tzinfo=UTC), None]
    weeks = weekly_counts(moments)
    assert list(weeks) == [date(2020, 2, 17), date(2020, 2, 24), date(2020, 3, 2)]
    assert list(weeks.values()) == [1, 0, 1]


def test_comment_links_point_at_the_comment() -> None:
    page = "https://join.gov.tw/policies/detail/031e9918-59d5-4a1a-b105-96af228f3147"
    assert comment_link(page, "1583999") == page + "#mcb_1583999"
    assert comment_link(page + "#x", "1") == page + "#x"
    assert comment_link("https://example.org/file.csv", "7") == "https://example.org/file.csv"


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, FixtureSummary]:
    folder = tmp_path_factory.mktemp("numbers")
    engine = open_database(f"sqlite:///{folder / 'jf.db'}")
    summary = populate(engine)
    build_report(engine, folder / "zh", quiet=True, pdf=False)
    build_report(engine, folder / "en", quiet=True, pdf=False, language="en")
    engine.dispose()
    return folder / "zh", folder / "en", summary


def test_proposal_tables_never_show_negative_days_or_raw_codes(
    sites: tuple[Path, Path, FixtureSummary],
) -> None:
    zh, _en, _ = sites
    rows = json.loads((zh / "data" / "proposals.json").read_text(encoding="utf-8"))["rows"]
    assert all(r["days_left"] is None or r["days_left"] >= 0 for r in rows)
    assert all("gained_7d" in r and "gained_30d" in r for r in rows)
    html = (zh / "proposals.html").read_text(encoding="utf-8")
    assert not re.search(r">\s*-\d", html)  # no negative number in a cell
    history = json.loads((zh / "data" / "endorsement_history.json").read_text(encoding="utf-8"))["rows"]
    assert history
    assert "<svg" in html


def test_commitment_pages_show_likes_endorsements_and_a_weekly_trend(
    sites: tuple[Path, Path, FixtureSummary],
) -> None:
    zh, _, _summary = sites
    page = (zh / "commitments").glob("*.html")
    texts = [p.read_text(encoding="utf-8") for p in page]
    assert all('data-kpi="likes"' in t and 'data-kpi="endorsements"' in t for t in texts)
    assert any("<svg" in t and "每週意見數" in t for t in texts)


def test_english_report_has_no_chinese_interface_strings(sites: tuple[Path, Path, FixtureSummary]) -> None:
    _, en, _ = sites
    index = (en / "index.html").read_text(encoding="utf-8")
    assert 'lang="en"' in index
    assert "Overview" in index
    for key, value in ZH_TW.items():
        if len(value) >= 4 and not value.startswith("{") and value != EN[key]:  # JSON, CSV, …
            for page in [en / "index.html", en / "proposals.html", en / "gaps.html", en / "methods.html"]:
                assert value not in page.read_text(encoding="utf-8"), (page.name, value)
    brief = next((en / "briefs").glob("*.md")).read_text(encoding="utf-8")
    assert "Key numbers" in brief
    assert "關鍵數字" not in brief
