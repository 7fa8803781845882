"""The CrawlRun record of a Scrapy run: opened with the spider, closed with its figures and errors."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsT
from sqlalchemy.engine import Engine

from crawler.dbretry import StoreError, with_retries
from crawler.spiders.base import join_spider
from storage.crawlstate import finish_crawl_run, record_crawl_progress, start_crawl_run
from storage.db import open_database
from storage.models import CrawlFailure, CrawlStatus

logger = logging.getLogger(__name__)


class CrawlRunRecorder:
    """Creates the CrawlRun (unless ``JOINFEEDBACK_RUN_ID`` names a shared one), and at the end adds the
    spider's pages, requests and errors; it closes the run only when it opened it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db_url = crawler.settings.get("JOINFEEDBACK_DB")
        shared = crawler.settings.get("JOINFEEDBACK_RUN_ID")
        self.shared_run_id = int(shared) if shared else None
        self.engine: Engine | None = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        ours = join_spider(spider)
        self.engine = open_database(self.db_url)
        if self.shared_run_id is not None:
            self.run_id = self.shared_run_id
        else:
            self.run_id = start_crawl_run(self.engine, base_url=ours.base_url, spiders=[ours.name])
        ours.crawl_run_id = self.run_id

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.engine is None or self.run_id is None:
            return
        ours = join_spider(spider)
        stats = self.crawler.stats
        pages = int(stats.get_value("response_received_count", 0)) if stats else 0
        requests = int(stats.get_value("downloader/request_count", 0)) if stats else 0
        errors = list(ours.failures)
        warnings = ours.warnings.as_list()
        message = "\n".join(
            filter(None, [fault_account(ours.name, stats.get_stats() if stats else {}), ours.report])
        )
        store_error = ours.store_error
        if store_error:
            message = f"stopped: {store_error}\n{message}".strip()
        run_id, engine = self.run_id, self.engine
        try:
            with_retries(
                lambda: record_crawl_progress(
                    engine,
                    run_id,
                    pages=pages,
                    requests=requests,
                    errors=errors,
                    message=message,
                    warnings=warnings,
                ),
                what=f"recording crawl run {run_id}",
                wait_total=10.0,
            )
            ours.run_recorded = True
            if self.shared_run_id is None:
                with_retries(
                    lambda: finish_crawl_run(engine, run_id, status=run_status(reason, errors)),
                    what=f"closing crawl run {run_id}",
                    wait_total=10.0,
                )
        except StoreError as error:  # the log is the account now; crawler.run says it once more at the end
            logger.error("%s (%d URLs given up on were not recorded)", error, len(errors))
        finally:
            engine.dispose()


def fault_account(spider: str, stats: StatsT) -> str:
    """One line on what went wrong on the way and was survived: retries by reason, Retry-After waits."""
    reasons: dict[str, int] = {}
    for prefix in ("retry/reason_count/", "joinfeedback/refetch/"):  # HTTP-level retries, bad-body re-fetches
        for key, value in stats.items():
            if key.startswith(prefix):
                reason = key[len(prefix) :].rsplit(".", 1)[-1]
                reasons[reason] = reasons.get(reason, 0) + int(value)
    parts = []
    if reasons:
        listed = ", ".join(f"{reason}: {n}" for reason, n in sorted(reasons.items()))
        parts.append(f"{sum(reasons.values())} retries ({listed})")
    if stats.get("retry/max_reached"):
        parts.append(f"{int(stats['retry/max_reached'])} given up after the last retry")
    if stats.get("joinfeedback/retry_after_waits"):
        parts.append(
            f"waited for Retry-After {int(stats['joinfeedback/retry_after_waits'])} times, "
            f"{float(stats.get('joinfeedback/retry_after_seconds', 0)):.0f} s"
        )
    return f"{spider}: {'; '.join(parts)}" if parts else ""


def run_status(reason: str, errors: Sequence[CrawlFailure]) -> CrawlStatus:
    """finished: everything fetched and stored; partial: some URLs given up on (listed in the run's errors);
    interrupted: stopped by a signal; failed: stopped by an error (e.g. the database could not be written)."""
    if reason == "finished":
        return "partial" if any(e.get("kind") == "failed" for e in errors) else "finished"
    return "interrupted" if reason == "shutdown" else "failed"
