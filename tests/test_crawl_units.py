"""Crawler pieces that need no network: settings profiles, Retry-After, re-fetch decisions, storage of a batch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from crawler.items import IdeaListEntry, PolicyListEntry
from crawler.middlewares import retry_after_seconds
from crawler.pipelines import site_of
from crawler.run import crawl_settings
from crawler.settings import USER_AGENT, profile_settings
from crawler.spiders.ideas import needs_detail
from crawler.spiders.policies import is_current
from joinfeedback.errors import UserError
from storage.crawlstate import CrawlBatch, IdeaState, PolicyState, start_crawl_run, store_batch
from storage.db import open_database
from storage.models import Comment, CrawlRun, RawPayload


def test_polite_profile_is_polite() -> None:
    settings = crawl_settings("https://join.gov.tw", "sqlite://", profile="polite")
    assert settings.getbool("ROBOTSTXT_OBEY") and settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1
    assert 45 <= settings.getint("DOWNLOAD_TIMEOUT") <= 120
    assert settings.get("USER_AGENT") == USER_AGENT == "joinfeedback/0.1 (+https://github.com/joinfeedback/joinfeedback)"
    assert 429 in settings.getlist("RETRY_HTTP_CODES") and 503 in settings.getlist("RETRY_HTTP_CODES")


def test_local_profile_is_fast() -> None:
    settings = crawl_settings("http://127.0.0.1:8800", "sqlite://", profile="local")
    assert settings.getfloat("DOWNLOAD_DELAY") == 0 and settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") >= 16


def test_unknown_profile_is_a_user_error() -> None:
    with pytest.raises(UserError, match="'turbo'"):
        profile_settings("turbo")


@pytest.mark.parametrize(("header", "expected"), [
    (b"120", 120.0), ("7", 7.0), (None, None), (b"soon", None),
    (b"Wed, 21 Oct 2026 07:28:30 GMT", 30.0),
])
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
        b.add_row(Comment, {"site": "127.0.0.1", "msg_uid": "1", "policy_uuid": "p", "parent_msg_uid": None,
                            "text": text, "html": text, "url": "u", "author": "a",
                            "created_at": datetime(2020, 1, 1, tzinfo=UTC), "like_count": 0, "unlike_count": 0,
                            "is_deleted": False, "payload_sha256": sha})
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
