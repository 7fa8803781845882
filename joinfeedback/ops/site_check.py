"""The scheduled chain's daily site check: ``crawl --check`` before the crawl, its outcome kept for status.

A check that fails means a crawl would give up on pages holding required data (the site changed shape, or
cannot be read): the chain stops before the crawl, and the check is stored as a crawl run of kind ``check``
(status ``failed``, the page types that lack data as its errors), so that ``joinfeedback status`` names it
and exits 1. A check that passed earlier the same day (in the schedule's time zone) is not repeated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Engine

from storage.crawlstate import finish_crawl_run, record_crawl_progress, start_crawl_run
from storage.models import CrawlFailure, CrawlRun
from storage.run_status import latest_crawl_runs

KIND: Final = "check"


def passed_today(engine: Engine, now: datetime) -> bool:
    """Whether the latest site check passed on ``now``'s day (``now`` carries the schedule's time zone)."""
    runs = latest_crawl_runs(engine, kind=KIND)
    if not runs or runs[0].status != "finished":
        return False
    return started_at(runs[0]).astimezone(now.tzinfo).date() == now.date()


def start_check(engine: Engine, base_url: str) -> int:
    return start_crawl_run(engine, base_url=base_url, spiders=(), kind=KIND)


def finish_check(engine: Engine, run_id: int, exit_code: int, output: str) -> str:
    """Store what the check found (``output``: its ``--json`` report) and return it in one line."""
    report = _report(output)
    if report is None:
        summary = f"crawl --check exited with code {exit_code} without a report (see the scheduler's log)"
        finish_crawl_run(engine, run_id, status="failed", message=summary)
        return summary
    listed = report.get("pages")
    pages = [page for page in listed if isinstance(page, Mapping)] if isinstance(listed, list) else []
    failed = [page for page in pages if page.get("problem")]
    errors: list[CrawlFailure] = [
        {
            "url": str(page.get("url", "")),
            "error": f"{page.get('page_type')}: {page.get('problem')}",
            "kind": "failed",
        }
        for page in failed
    ]
    if errors:
        record_crawl_progress(engine, run_id, errors=errors)
    if exit_code == 0 and not failed:
        summary = f"check ok: {len(pages)} page types give their required data"
        finish_crawl_run(engine, run_id, status="finished", message=summary)
    else:
        names = ", ".join(str(page.get("page_type")) for page in failed) or f"exit code {exit_code}"
        summary = f"check FAILED: {len(failed)} page types lack required data ({names})"
        finish_crawl_run(engine, run_id, status="failed", message=summary)
    return summary


def _report(output: str) -> Mapping[str, object] | None:
    try:
        report = json.loads(output)
    except ValueError:
        return None
    return report if isinstance(report, Mapping) else None


def started_at(run: CrawlRun) -> datetime:
    moment = run.started_at
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC


__all__ = ["KIND", "finish_check", "passed_today", "start_check"]
