"""The account of a crawl run: what each spider fetched, gave up on, found missing or contradictory, and why
it stopped; written to the ``CrawlRun`` row when the spider closes.

``RunAccount`` is a Scrapy extension, the one owner of this state. Spiders and pipelines report to it with
the signals of ``crawler.signals``; it reads page and request counts from Scrapy's stats, and publishes the
run's id there (``joinfeedback/crawl_run_id``) for the store pipeline. ``crawler.run`` reads it back with
``crawler.get_extension(RunAccount)`` once the spiders are done.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsT
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.engine import Engine

from crawler import signals as run_signals
from crawler.dbretry import StoreError, with_retries
from crawler.pages.common import Missing, http_date
from crawler.shape_warnings import ShapeWarnings
from crawler.spiders.base import join_spider
from storage.crawlstate import finish_crawl_run, record_crawl_progress, start_crawl_run
from storage.db import open_database
from storage.models import CrawlFailure, CrawlStatus

logger = logging.getLogger(__name__)
RUN_ID_STAT = "joinfeedback/crawl_run_id"
MISMATCHES_SHOWN = 200


class RunAccount:
    """Creates the CrawlRun (unless ``JOINFEEDBACK_RUN_ID`` names a shared one), keeps the spider's account
    while it runs, and at its close adds it to the run; it closes the run only when it opened it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db_url: str = crawler.settings.get("JOINFEEDBACK_DB")
        shared = crawler.settings.get("JOINFEEDBACK_RUN_ID")
        self.shared_run_id = int(shared) if shared else None
        self.engine: Engine | None = None
        self.run_id: int | None = None
        self.failures: list[CrawlFailure] = []
        self.warnings = ShapeWarnings()  # optional fields pages did not give (stored with the crawl run)
        self.mismatches: list[str] = []
        self.store_error = ""  # why the store pipeline stopped the crawl
        self._site_time: datetime | None = None  # the latest Date header the site answered with
        self.recorded = False  # the account is written; crawler.run writes it otherwise

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunAccount:
        account = cls(crawler)
        crawler.signals.connect(account.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(account.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(account.response_received, signal=signals.response_received)
        crawler.signals.connect(account.page_given_up, signal=run_signals.page_given_up)
        crawler.signals.connect(account.fields_missing, signal=run_signals.fields_missing)
        crawler.signals.connect(account.site_mismatch, signal=run_signals.site_mismatch)
        crawler.signals.connect(account.store_failed, signal=run_signals.store_failed)
        return account

    def response_received(self, response: Response) -> None:
        served = http_date(response.headers.get(b"Date"))
        if served is not None and (self._site_time is None or served > self._site_time):
            self._site_time = served

    def site_clock(self) -> datetime | None:
        """The site's own now: the latest ``Date`` it answered with (None before any could be read). On
        join.gov.tw it is the wall clock; a replica or a mirror serves its old data at its own."""
        return self._site_time

    def page_given_up(self, url: str, error: str, cause: str = "") -> None:
        failure: CrawlFailure = {"url": url, "error": error[:500], "kind": "failed"}
        if cause:
            failure["cause"] = cause
        self.failures.append(failure)

    def fields_missing(self, page_type: str, url: str, missing: Iterable[Missing]) -> None:
        self.warnings.add(page_type, url, missing)

    def site_mismatch(self, note: str) -> None:
        self.mismatches.append(note)

    def store_failed(self, error: str) -> None:
        self.store_error = self.store_error or error

    def report(self) -> str:
        """The mismatches, for the run's message (the first few hundred)."""
        extra = len(self.mismatches) - MISMATCHES_SHOWN
        more = [f"… and {extra} more mismatches"] if extra > 0 else []
        return "\n".join(self.mismatches[:MISMATCHES_SHOWN] + more)

    def stopped_line(self) -> str:
        return f"stopped: {self.store_error}" if self.store_error else ""

    def message(self, spider: str, stats: StatsT) -> str:
        return "\n".join(filter(None, [self.stopped_line(), fault_account(spider, stats), self.report()]))

    def spider_opened(self, spider: Spider) -> None:
        self.engine = open_database(self.db_url, migrate=False)  # the command created and migrated it
        if self.shared_run_id is not None:
            self.run_id = self.shared_run_id
        else:
            ours, engine = join_spider(spider), self.engine
            try:
                self.run_id = with_retries(
                    lambda: start_crawl_run(engine, base_url=ours.base_url, spiders=[ours.name]),
                    what="opening a crawl run",
                    wait_total=10.0,
                )
            except StoreError as error:
                logger.error("%s; stopping (is the database created? `joinfeedback crawl` creates it)", error)
                self.store_failed(str(error))
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="store_failed"))
                return
        if self.crawler.stats is not None:
            self.crawler.stats.set_value(RUN_ID_STAT, self.run_id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.engine is None or self.run_id is None:
            return
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        errors, warnings = list(self.failures), self.warnings.as_list()
        message = self.message(spider.name, stats)
        run_id, engine = self.run_id, self.engine
        try:
            with_retries(
                lambda: record_crawl_progress(
                    engine,
                    run_id,
                    pages=int(stats.get("response_received_count", 0)),
                    requests=int(stats.get("downloader/request_count", 0)),
                    errors=errors,
                    message=message,
                    warnings=warnings,
                    site_time=self.site_clock(),
                ),
                what=f"recording crawl run {run_id}",
                wait_total=10.0,
            )
            self.recorded = True
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


__all__ = ["RUN_ID_STAT", "RunAccount", "fault_account", "run_status"]
