"""``joinfeedback status``: last runs, failures, next scheduled run, and the exit code monitors rely on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from joinfeedback.config import load_config
from joinfeedback.ops.lock import run_lock
from joinfeedback.ops.status import status_report
from storage.db import open_database, transaction
from storage.models import AnalysisRun, CrawlRun

T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=ZoneInfo("Asia/Taipei"))


def add(engine, *rows) -> None:
    with transaction(engine) as session:
        session.add_all(rows)


def finished_crawl(**changes) -> CrawlRun:
    values = {
        "base_url": "http://127.0.0.1:8800",
        "spiders": "policies,ideas",
        "started_at": T0,
        "finished_at": T0 + timedelta(minutes=3, seconds=12),
        "status": "finished",
        "pages": 120,
        "requests": 130,
        "items_new": 10,
        "items_updated": 2,
        "items_unchanged": 100,
        "errors": [{"url": "http://127.0.0.1:8800/idea/detail/x", "error": "HTTP 500 after 3 retries"}],
    }
    values.update(changes)
    return CrawlRun(**values)


@pytest.fixture
def config():
    return load_config(overrides={"cron": "0 3 * * *"})


def test_empty_database_is_healthy_and_says_so(db_url: str, config) -> None:
    text, code = status_report(open_database(db_url), config, now=NOW)
    assert code == 0
    assert "last crawl: none yet" in text
    assert "last analysis: none yet" in text
    assert "next scheduled run: 2026-03-02T03:00:00+08:00" in text


def test_successful_runs_report_counts_failures_and_duration(db_url: str, config) -> None:
    engine = open_database(db_url)
    add(
        engine,
        finished_crawl(),
        AnalysisRun(
            started_at=T0 + timedelta(minutes=5),
            finished_at=T0 + timedelta(minutes=5, seconds=42),
            status="complete",
            n_items=1234,
            catalogue="ogp2020",
            seed=0,
        ),
    )
    text, code = status_report(engine, config, now=NOW)
    assert code == 0, text
    assert "last crawl: #1 finished — started 2026-03-01T09:00:00+08:00, took 3 min 12 s" in text
    assert "120 pages from 130 requests; items 10 new, 2 updated, 100 unchanged; 1 failures" in text
    assert "/idea/detail/x: HTTP 500 after 3 retries" in text
    assert "last analysis: #1 complete" in text
    assert "took 42 s" in text
    assert "1234 items" in text
    assert text.endswith("status: ok")


def test_failed_last_crawl_exits_non_zero(db_url: str, config) -> None:
    engine = open_database(db_url)
    add(engine, finished_crawl())
    add(
        engine,
        finished_crawl(
            started_at=T0 + timedelta(hours=3),
            finished_at=T0 + timedelta(hours=3, seconds=5),
            status="failed",
            message="robots.txt unreachable\nmore detail",
        ),
    )
    text, code = status_report(engine, config, now=NOW)
    assert code == 1
    assert "last crawl: #2 failed" in text
    assert "message: robots.txt unreachable" in text
    assert "status: FAILED — crawl #2 failed" in text


def test_failed_last_analysis_exits_non_zero(db_url: str, config) -> None:
    engine = open_database(db_url)
    add(engine, finished_crawl(), AnalysisRun(started_at=T0 + timedelta(hours=1), status="failed"))
    text, code = status_report(engine, config, now=NOW)
    assert code == 1
    assert "analysis #1 failed" in text


def test_running_crawl_is_fine_while_its_holder_lives_and_a_failure_once_it_died(db_url: str, config) -> None:
    engine = open_database(db_url)
    add(engine, finished_crawl(started_at=T0, finished_at=None, status="running"))
    with run_lock(engine, "crawl"):
        text, code = status_report(engine, config, now=NOW)
        assert code == 0, text
        assert "last crawl: #1 running — started 2026-03-01T09:00:00+08:00, running for 3 h 00 min" in text
    text, code = status_report(engine, config, now=NOW)
    assert code == 1
    assert "#1 died (marked running, but no process holds its lock)" in text


def test_status_command_exit_code_follows_the_last_run(sqlite_url: str, cli) -> None:
    engine = open_database(sqlite_url)
    add(engine, finished_crawl())
    done = cli("status", "--db", sqlite_url)
    assert done.returncode == 0, done.stderr
    assert "last crawl: #1 finished" in done.stdout
    add(engine, finished_crawl(started_at=T0 + timedelta(hours=1), status="failed"))
    engine.dispose()
    done = cli("status", "--db", sqlite_url)
    assert done.returncode == 1
    assert "status: FAILED — crawl #2 failed" in done.stdout


def test_warnings_are_counted_per_page_type_with_examples_and_do_not_fail(db_url: str, config) -> None:
    engine = open_database(db_url)
    page = "http://127.0.0.1:8800/policies/detail/031e9918-59d5-4a1a-b105-96af228f3147"
    warnings = [
        {
            "page_type": "policy_detail",
            "field": "agency",
            "tried": "open data 提議機關, #policyDetail li.org",
            "count": 12,
            "examples": [page],
        },
        {
            "page_type": "policy_detail",
            "field": "body",
            "tried": "#policyDetail .policy-content",
            "count": 12,
            "examples": [page],
        },
        {
            "page_type": "idea_list",
            "field": "total_pages",
            "tried": "currentPage, totalPages",
            "count": 4,
            "examples": ["http://127.0.0.1:8800/idea/index/search/CLOSED?page=1&size=100"],
        },
    ]
    add(engine, finished_crawl(errors=[], warnings=warnings))
    text, code = status_report(engine, config, now=NOW)
    assert code == 0, text
    assert "28 warnings" in text
    assert "policy_detail: 24 warnings (agency ×12, body ×12)" in text
    assert "idea_list: 4 warnings (total_pages ×4)" in text
    assert f"e.g. {page}" in text
    assert "tried #policyDetail .policy-content" in text


def test_a_failed_site_check_fails_status_until_a_crawl_runs_after_it(db_url: str, config) -> None:
    engine = open_database(db_url)
    check = finished_crawl(
        kind="check",
        started_at=T0 + timedelta(days=1),
        finished_at=T0 + timedelta(days=1, seconds=40),
        status="failed",
        pages=0,
        requests=0,
        message="check FAILED: 1 page types lack required data (comment_board)",
        errors=[{"url": "http://127.0.0.1:8800/b", "error": "comment_board: no board", "kind": "failed"}],
    )
    add(engine, finished_crawl(), check)
    text, code = status_report(engine, config, now=NOW + timedelta(days=1))
    assert code == 1
    assert "last crawl: #1 finished" in text  # the check is not taken for a crawl
    assert f"last site check: #{check.id} failed — started 2026-03-02T09:00:00+08:00, took 40 s" in text
    assert "  check FAILED: 1 page types lack required data (comment_board)" in text
    assert "    http://127.0.0.1:8800/b: comment_board: no board" in text
    assert text.endswith(
        f"status: FAILED — site check #{check.id} failed: the scheduled crawl waits for a check that passes"
    )
    add(
        engine, finished_crawl(started_at=T0 + timedelta(days=1, hours=1), finished_at=T0 + timedelta(days=2))
    )
    text, code = status_report(engine, config, now=NOW + timedelta(days=2))
    assert code == 0, text
    assert f"last site check: #{check.id} failed" in text
