"""Remaining endorsement days and overdue answers count from the site's own clock: a crawl of the replica,
whose data lives in 2020, reads as a visit on the replica's date would, not as one years later.

The crawl runs in a subprocess (Twisted's reactor cannot be restarted inside one process).
"""

from __future__ import annotations

from datetime import UTC, datetime

from replica.server import ReplicaServer
from reports.i18n import Translator
from reports.proposals import build_proposal_stats
from storage.db import open_database, session_factory
from storage.models import CrawlRun
from tests.test_crawl_replica import crawl


def test_a_crawl_of_the_replica_counts_days_from_the_replica_s_clock(sqlite_url: str) -> None:
    with ReplicaServer(seed=1, size="small") as server:
        summary = crawl(server.base_url, sqlite_url)
        clock = datetime.fromtimestamp(server.data.now_ms / 1000, UTC)
    assert summary["status"] == "finished"
    assert clock.year == 2020
    engine = open_database(sqlite_url)
    with session_factory(engine)() as session:
        run = session.get(CrawlRun, summary["id"])
        assert run is not None
        assert run.site_time == clock
        assert run.finished_at is not None
        assert run.finished_at > clock  # the wall clock of the crawl
        stats = build_proposal_stats(session, Translator("zh-TW"), fallback_as_of=None, with_charts=False)
    engine.dispose()

    assert stats.as_of == clock
    rows = stats.tables["proposals"].rows
    collecting = [row for row in rows if row["status_code"] == "FirstSigned"]
    failed = [row for row in rows if row["status_code"] == "FirstFailed"]
    assert collecting
    assert failed
    # still collecting endorsements at the replica's clock: days left, as the replica's pages say
    assert all(row["days_left_words"] == f"剩 {row['days_left']} 天" for row in collecting)
    # the endorsement period ended before the clock without reaching the goal
    assert all(row["days_left_words"] == "已結束" for row in failed)
    # the replica answers every passed proposal within its two months: at its clock, none is overdue yet
    states = [row["state_key"] for row in stats.tables["responses"].rows]
    assert "pending" in states
    assert "overdue" not in states
