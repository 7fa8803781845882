"""Crawler pieces that need no network: settings profiles, Retry-After, re-fetch decisions, batch storing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from base.errors import UserError
from crawler.account import RunAccount
from crawler.dbretry import StoreError, is_disk_full, is_transient, with_retries
from crawler.items import IdeaListEntry, PolicyListEntry
from crawler.middlewares import retry_after_seconds
from crawler.pages.common import http_date
from crawler.run import crawl_settings
from crawler.settings import USER_AGENT, profile_settings
from crawler.spiders.base import site_of
from crawler.spiders.ideas import live_years, needs_detail, parse_years
from crawler.spiders.policies import is_current, pages_to_fetch, site_clock_of
from storage.crawlstate import (
    CrawlBatch,
    IdeaState,
    PolicyState,
    record_crawl_progress,
    start_crawl_run,
    store_batch,
)
from storage.db import open_database
from storage.models import Comment, CrawlRun, RawPayload


def test_polite_profile_is_polite() -> None:
    settings = crawl_settings("https://join.gov.tw", "sqlite://", profile="polite")
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1
    assert 45 <= settings.getint("DOWNLOAD_TIMEOUT") <= 120
    assert (
        settings.get("USER_AGENT")
        == USER_AGENT
        == "joinfeedback/0.1 (+https://github.com/joinfeedback/joinfeedback)"
    )
    assert 429 in settings.getlist("RETRY_HTTP_CODES")
    assert 503 in settings.getlist("RETRY_HTTP_CODES")


def test_local_profile_is_fast() -> None:
    settings = crawl_settings("http://127.0.0.1:8800", "sqlite://", profile="local")
    assert settings.getfloat("DOWNLOAD_DELAY") == 0
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") >= 16


def test_unknown_profile_is_a_user_error() -> None:
    with pytest.raises(UserError, match="'turbo'"):
        profile_settings("turbo")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"120", 120.0),
        ("7", 7.0),
        (None, None),
        (b"soon", None),
        (b"Wed, 21 Oct 2026 07:28:30 GMT", 30.0),
    ],
)
def test_retry_after(header: bytes | str | None, expected: float | None) -> None:
    now = datetime(2026, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert retry_after_seconds(header, now=now) == expected


def test_site_is_host_without_port() -> None:
    assert site_of("http://127.0.0.1:8800/") == "127.0.0.1"
    assert site_of("https://cy.join.gov.tw") == "cy.join.gov.tw"


def test_policy_refetched_only_when_counts_disagree() -> None:
    entry = PolicyListEntry("u", "t", "https://join.gov.tw/policies/detail/u", declared_comment_count=5)
    assert is_current(PolicyState(5, 5), entry)
    assert not is_current(PolicyState(4, 4), entry)  # new comments on the site
    assert not is_current(PolicyState(5, 3), entry)  # an interrupted crawl stored only part of the board
    assert not is_current(None, entry)


def test_idea_refetched_when_changed_or_still_awaiting_an_answer() -> None:
    entry = IdeaListEntry("u", "t", status="FirstSigned", endorse_count=10, comment_count=0)
    assert not needs_detail(IdeaState("FirstSigned", 10, 0, False), entry)
    assert needs_detail(IdeaState("FirstSigned", 9, 0, False), entry)
    assert needs_detail(IdeaState("Ready", 10, 0, False), entry)
    assert needs_detail(IdeaState("FirstSigned", 10, 0, True), entry)
    assert needs_detail(None, entry)


def test_store_batch_counts_and_dedups_payloads(sqlite_url: str) -> None:
    engine = open_database(sqlite_url)
    run_id = start_crawl_run(engine, base_url="http://127.0.0.1:1", spiders=["policies"])

    def batch(text: str) -> CrawlBatch:
        b = CrawlBatch()
        sha = b.add_payload("http://127.0.0.1:1/board", b'{"result": []}', "application/json")
        b.add_row(
            Comment,
            {
                "site": "127.0.0.1",
                "msg_uid": "1",
                "policy_uuid": "p",
                "parent_msg_uid": None,
                "text": text,
                "html": text,
                "url": "u",
                "author": "a",
                "created_at": datetime(2020, 1, 1, tzinfo=UTC),
                "like_count": 0,
                "unlike_count": 0,
                "is_deleted": False,
                "payload_sha256": sha,
            },
        )
        return b

    assert store_batch(engine, batch("一"), crawl_run_id=run_id).new == 1
    assert store_batch(engine, batch("一"), crawl_run_id=run_id).unchanged == 1
    assert store_batch(engine, batch("二"), crawl_run_id=run_id).updated == 1
    with engine.connect() as conn:
        assert conn.execute(select(Comment.text, Comment.raw_payload_id)).one()[0] == "二"
        assert len(conn.execute(select(RawPayload.id)).all()) == 1
        run = conn.execute(select(CrawlRun.items_new, CrawlRun.items_updated, CrawlRun.items_unchanged)).one()
        assert tuple(run) == (1, 1, 1)
    engine.dispose()


def test_policy_pages_fetched_again_while_open_or_when_followers_move() -> None:
    closes = datetime(2020, 3, 6, 15, 59, 59, tzinfo=UTC)
    entry = PolicyListEntry(
        "u",
        "t",
        "https://join.gov.tw/policies/detail/u",
        closes_at=closes,
        follower_count=7,
        declared_comment_count=5,
    )
    before, after = closes - timedelta(days=1), closes + timedelta(days=1)
    assert pages_to_fetch(PolicyState(5, 5, 7, closes), entry, after) == (False, False)  # closed, unchanged
    assert pages_to_fetch(PolicyState(5, 5, 7, closes), entry, before) == (False, True)  # open: the board
    assert pages_to_fetch(PolicyState(5, 5, 6, closes), entry, after) == (True, False)  # followers: the page
    assert pages_to_fetch(PolicyState(4, 4, 7, closes), entry, after) == (True, True)  # new comments: both
    assert pages_to_fetch(None, entry, after) == (True, True)
    assert pages_to_fetch(PolicyState(5, 5, 7, closes), entry, None) == (
        False,
        False,
    )  # no clock: counts decide


def test_site_clock_is_the_date_header_only_when_plausible() -> None:
    newest = datetime(2020, 2, 21, 2, 0, tzinfo=UTC)
    assert site_clock_of([newest, None], b"Sun, 01 Mar 2020 04:00:00 GMT") == datetime(
        2020, 3, 1, 4, tzinfo=UTC
    )
    # a frozen mirror serves today's date over data from 2020: the newest publication counts
    assert site_clock_of([newest], b"Wed, 21 Oct 2026 07:28:30 GMT") == newest
    assert site_clock_of([newest], None) == newest
    assert site_clock_of([], b"garbage") is None


def test_the_run_account_keeps_the_latest_date_the_site_answered_with() -> None:
    account = RunAccount(get_crawler(settings_dict={"JOINFEEDBACK_DB": "sqlite://"}))
    assert account.site_clock() is None

    def answer(date: str | None) -> None:
        headers = {"Date": date} if date is not None else {}
        account.response_received(HtmlResponse("http://127.0.0.1/", headers=headers, body=b""))

    answer("Sun, 01 Mar 2020 04:00:00 GMT")
    answer("Mon, 02 Mar 2020 04:00:00 GMT")
    answer("Sat, 29 Feb 2020 04:00:00 GMT")  # answered out of order: the latest stays
    for unreadable in ("garbage", "", None):
        answer(unreadable)
    assert account.site_clock() == datetime(2020, 3, 2, 4, tzinfo=UTC)
    assert http_date(b"Mon, 02 Mar 2020 04:00:00 -0000") == datetime(2020, 3, 2, 4, tzinfo=UTC)
    assert http_date("Mon, 02 Mar 2020 12:00:00 +0800") == datetime(2020, 3, 2, 4, tzinfo=UTC)


def test_a_run_s_site_time_moves_forward_only(sqlite_url: str) -> None:
    engine = open_database(sqlite_url)
    run_id = start_crawl_run(engine, base_url="http://127.0.0.1:8000", spiders=["policies", "ideas"])
    later, earlier = datetime(2020, 3, 2, 4, tzinfo=UTC), datetime(2020, 3, 1, 4, tzinfo=UTC)
    for site_time in (later, earlier, None):  # spiders sharing the run close in any order
        record_crawl_progress(engine, run_id, pages=1, site_time=site_time)
    with engine.connect() as conn:
        assert conn.execute(select(CrawlRun.site_time, CrawlRun.pages)).one() == (later, 3)
    engine.dispose()


def test_idea_refetched_when_followers_move() -> None:
    entry = IdeaListEntry("u", "t", status="FirstSigned", endorse_count=10, comment_count=0, follower_count=3)
    assert not needs_detail(IdeaState("FirstSigned", 10, 0, False, 3), entry)
    assert needs_detail(IdeaState("FirstSigned", 10, 0, False, 2), entry)


@pytest.mark.parametrize(
    ("text", "years"), [("", []), ("2019", [2019]), ("2015-2017, 2020", [2015, 2016, 2017, 2020])]
)
def test_idea_years_setting(text: str, years: list[int]) -> None:
    assert parse_years(text) == years


def test_bad_idea_years_setting_is_a_user_error() -> None:
    with pytest.raises(UserError, match="'20x9'"):
        parse_years("20x9")


def test_live_years_are_those_of_proposals_still_moving() -> None:
    published = datetime(2019, 12, 31, 17, 0, tzinfo=UTC)  # 2020-01-01 01:00 in Taipei
    states = [
        IdeaState("FirstSigned", 1, 0, False, None, published),
        IdeaState("Completed", 1, 0, False, None, datetime(2016, 5, 1, tzinfo=UTC)),
        IdeaState("Completed", 1, 0, True, None, datetime(2018, 5, 1, tzinfo=UTC)),
    ]
    assert live_years(states) == {2020, 2018}


def test_store_error_messages_say_what_went_wrong() -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    full = OperationalError("INSERT …", {}, sqlite3.OperationalError("database or disk is full"))
    gone = OperationalError("SELECT 1", {}, Exception("terminating connection due to administrator command"))
    assert is_disk_full(full)
    assert not is_transient(full)
    assert is_transient(gone)
    assert not is_disk_full(gone)
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 2:
            raise gone
        return "stored"

    assert with_retries(flaky, what="storing", wait_total=5) == "stored"
    assert len(calls) == 2

    def always_full() -> None:
        raise full

    with pytest.raises(StoreError, match="storing 3 rows: the database's disk is full"):
        with_retries(always_full, what="storing 3 rows")


def test_crawl_options_come_from_the_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    from crawler.options import CrawlOptions
    from joinfeedback.config import load_config

    monkeypatch.setenv("JOINFEEDBACK_CRAWL_FLUSH_SECONDS", "0.2")
    monkeypatch.setenv("JOINFEEDBACK_DOWNLOAD_TIMEOUT", "7")
    monkeypatch.setenv("JOINFEEDBACK_IDEA_YEARS", "2019,2020")
    options = CrawlOptions.from_config(load_config())
    settings = crawl_settings("http://127.0.0.1:8800", "sqlite://", profile="local", options=options)
    assert settings.getfloat("JOINFEEDBACK_FLUSH_SECONDS") == 0.2
    assert settings.getfloat("DOWNLOAD_TIMEOUT") == 7.0
    assert settings.get("JOINFEEDBACK_IDEA_YEARS") == "2019,2020"
    assert settings.getfloat("JOINFEEDBACK_STORE_RETRY_SECONDS") == 30.0  # the default


def test_cross_check_names_disagreements_and_what_to_fetch() -> None:
    from crawler.idea_crosscheck import cross_check
    from crawler.items import Idea

    published = datetime(2020, 5, 1, tzinfo=UTC)
    open_data = {
        "a": Idea("a", "A", "u", endorse_count=5, published_at=published),
        "b": Idea("b", "B", "u", endorse_count=9, published_at=published),
    }
    listed = {
        "a": IdeaListEntry("a", "A", endorse_count=6, published_at=published),
        "c": IdeaListEntry("c", "C", published_at=published),
    }
    found = cross_check(
        open_data, listed, {}, years_requested={2019, 2020}, years_read={2020}, list_failed=False
    )
    assert found.to_fetch == ["b"]
    assert found.mismatches == [
        "open-data ideas of 2019 unavailable: no cross-check for those years",
        "idea a: endorsements 6 in the list, 5 in open data",
        "idea b: in open data, in no list state",
        "idea c: listed, absent from open data",
    ]
