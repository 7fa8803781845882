"""``run_crawl``: run the spiders in this process (Scrapy's reactor starts once per process) as one crawl
run."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.statscollectors import StatsT
from sqlalchemy.engine import Engine

from base.errors import UserError
from crawler.account import RunAccount, run_status
from crawler.dbretry import StoreError, with_retries
from crawler.options import CrawlOptions
from crawler.settings import profile_settings
from crawler.spiders.base import JoinSpider, check_base_url, site_of
from crawler.spiders.ideas import IdeasSpider
from crawler.spiders.policies import UNKNOWN_POLICIES, UNKNOWN_POLICIES_STAT, PoliciesSpider
from storage.crawlstate import discard_crawl_run, finish_crawl_run, record_crawl_progress, start_crawl_run
from storage.db import open_database
from storage.models import CrawlFailure, CrawlRun, CrawlStatus, ShapeWarning
from storage.scope import NothingSelected, policy_ids

SPIDERS: dict[str, type[JoinSpider]] = {"policies": PoliciesSpider, "ideas": IdeasSpider}


@dataclass(frozen=True, slots=True)
class CrawlSummary:
    """What one crawl run did; ``errors`` lists every URL given up on."""

    crawl_run_id: int
    status: CrawlStatus
    pages: int
    requests: int
    items_new: int
    items_updated: int
    items_unchanged: int
    errors: list[CrawlFailure] = field(default_factory=list)
    message: str = ""
    warnings: list[ShapeWarning] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "finished"

    @property
    def failed_urls(self) -> list[str]:
        return [str(e.get("url")) for e in self.errors if e.get("kind") == "failed"]

    @property
    def warning_count(self) -> int:
        return sum(int(w.get("count", 0)) for w in self.warnings)

    @classmethod
    def of_run(cls, run: CrawlRun) -> CrawlSummary:
        return cls(
            run.id,
            run.status,
            run.pages,
            run.requests,
            run.items_new,
            run.items_updated,
            run.items_unchanged,
            list(run.errors or []),
            run.message,
            list(run.warnings or []),
        )

    def failure_lines(self, limit: int = 10) -> list[str]:
        """The pages given up on (required data lost), each with why, for the operator."""
        failed = [e for e in self.errors if e.get("kind") == "failed"]
        lines = [f"  {e.get('url')}: {str(e.get('error', '')).strip()[:300]}" for e in failed[:limit]]
        if len(failed) > limit:
            lines.append(
                f"  … and {len(failed) - limit} more (joinfeedback status, or the crawl run's errors)"
            )
        return lines

    def __str__(self) -> str:
        failed = self.failed_urls
        given_up = (
            f", {len(failed)} URLs given up (see crawl run; the next crawl fetches them again)"
            if failed
            else ""
        )
        if self.warnings:
            fields = sorted({f"{w.get('page_type')}.{w.get('field')}" for w in self.warnings})
            shown = ", ".join(fields[:6]) + (", …" if len(fields) > 6 else "")
            given_up += f"; {self.warning_count} warnings, stored without {shown} (joinfeedback status)"
        stopped = next((line for line in self.message.splitlines() if line.startswith("stopped: ")), "")
        return (
            f"crawl run {self.crawl_run_id} {self.status}: {self.requests} requests, {self.pages} pages, "
            f"items {self.items_new} new / {self.items_updated} updated / {self.items_unchanged} unchanged"
            f"{given_up}{'; ' + stopped if stopped else ''}"
        )


def crawl_settings(
    base_url: str,
    db_url: str,
    *,
    profile: str,
    run_id: int | None = None,
    jobdir: str | None = None,
    quiet: bool = False,
    redis_url: str | None = None,
    options: CrawlOptions | None = None,
) -> Settings:
    options = options or CrawlOptions()
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.update(profile_settings(profile), priority="project")
    settings.update(
        {
            "JOINFEEDBACK_DB": db_url,
            "JOINFEEDBACK_BASE_URL": base_url,
            "JOINFEEDBACK_CRAWL_PROFILE": profile,
            "JOINFEEDBACK_RUN_ID": run_id,
            **options.as_settings(),
        },
        priority="cmdline",
    )
    if options.download_timeout > 0:
        settings.set("DOWNLOAD_TIMEOUT", options.download_timeout, priority="cmdline")
    if jobdir:
        settings.set("JOBDIR", jobdir, priority="cmdline")
    # The caller's handler (the CLI's, joinfeedback/ops/logging.py) is the only one: Scrapy's own root handler
    # would print every line a second time in its own format.
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    if quiet:
        settings.set("LOG_LEVEL", "ERROR", priority="cmdline")
    if redis_url:  # several workers share one frontier and one dupefilter (see crawler/distributed.py)
        from crawler.distributed import default_crawl_key, redis_settings

        key = options.crawl_key or default_crawl_key(base_url)
        settings.update(redis_settings(redis_url, key, wait_for=options.workers_wait_for), priority="cmdline")
    return settings


# Scrapy logs its start-up banner, settings and stats at INFO while the process is being built; its dictConfig
# then resets the levels of every "scrapy.*" logger, but keeps their filters: a filter holds the line.
SCRAPY_CHATTY_LOGGERS = (
    "scrapy.utils.log",
    "scrapy.addons",
    "scrapy.middleware",
    "scrapy.crawler",
    "scrapy.core.engine",
    "scrapy.extensions.logstats",
    "scrapy.extensions.telnet",
    "scrapy.statscollectors",
)


class _AtLeast(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.level = logging.WARNING

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


_SCRAPY_FILTER = _AtLeast()


def quiet_scrapy_loggers(*, quiet: bool) -> None:
    """Scrapy's INFO (start-up banner, settings, stats dump) is our DEBUG: shown only when the caller's
    level is DEBUG. Our own loggers (``crawler.*``) follow the caller's level; ``quiet`` asks for errors
    only."""
    root_level = logging.getLogger().getEffectiveLevel()
    scrapy_level = (
        logging.ERROR if quiet else (logging.INFO if root_level <= logging.DEBUG else logging.WARNING)
    )
    _SCRAPY_FILTER.level = scrapy_level
    for name in SCRAPY_CHATTY_LOGGERS:
        logging.getLogger(name).addFilter(_SCRAPY_FILTER)  # idempotent
    logging.getLogger("scrapy").setLevel(scrapy_level)
    logging.getLogger("py.warnings").setLevel(max(scrapy_level, logging.WARNING))
    logging.getLogger("crawler").setLevel(logging.ERROR if quiet else logging.NOTSET)


def _record_late(engine: Engine, run_id: int, account: RunAccount, stats: StatsT) -> str:
    """Write a spider's account after the fact; returns why it stopped when even that could not be written."""
    message = "\n".join(filter(None, [account.stopped_line(), account.report()]))
    try:
        with_retries(
            lambda: record_crawl_progress(
                engine,
                run_id,
                pages=int(stats.get("response_received_count", 0)),
                requests=int(stats.get("downloader/request_count", 0)),
                errors=list(account.failures),
                message=message,
                warnings=account.warnings.as_list(),
                site_time=account.site_clock(),
            ),
            what=f"recording crawl run {run_id}",
            wait_total=5.0,
        )
    except StoreError:
        # the full account (page counts, URLs given up on) needs room a full disk may not have; the one
        # line saying why the crawl stopped goes into the small closing update instead
        return account.stopped_line()
    return ""


def spider_names(spiders: list[str] | None, policies: Sequence[str] | None) -> list[str]:
    """The spiders to run: those asked for, else every one; only ``policies`` when consultations are named
    (proposals belong to no consultation)."""
    names = list(spiders or (["policies"] if policies else SPIDERS))
    unknown = [n for n in names if n not in SPIDERS]
    if unknown:
        raise UserError(f"unknown spider {unknown[0]!r} (choose from {', '.join(SPIDERS)})")
    if policies and names != ["policies"]:
        raise UserError("--policy selects consultations: it crawls with the policies spider alone")
    return names


def _refuse_unknown_policies(engine: Engine, run_id: int, crawlers: list[Crawler], site: str) -> None:
    """A ``crawl --policy`` that stopped because the site lists no such consultation leaves no record:
    its run is deleted (it stored nothing) and the refusal is one line."""
    unknown = [
        str(uuid)
        for crawler in crawlers
        if crawler.stats is not None
        for uuid in crawler.stats.get_value(UNKNOWN_POLICIES_STAT) or ()
    ]
    if not unknown:
        return
    try:
        if not discard_crawl_run(engine, run_id):  # something was stored after all: the run stays, failed
            finish_crawl_run(
                engine, run_id, status="failed", message=f"{UNKNOWN_POLICIES}: {' '.join(unknown)}"
            )
    finally:
        engine.dispose()
    raise NothingSelected(
        f"--policy {' '.join(unknown)}: {site} has no such consultation (its open-data list of "
        "consultations does not name it); nothing was crawled or recorded"
    )


def crawl_status(reasons: Sequence[str], errors: Sequence[CrawlFailure]) -> CrawlStatus:
    """The run's status from every spider's finish reason: interrupted when any was shut down, finished (or
    partial, see ``run_status``) when all finished, else failed."""
    if any(r == "shutdown" for r in reasons):
        return "interrupted"
    if all(r == "finished" for r in reasons):
        return run_status("finished", errors)
    return "failed"


def _account_of(crawler: Crawler) -> RunAccount | None:
    """The crawler's run account; None when the crawl stopped before its extensions were built."""
    try:
        return crawler.get_extension(RunAccount)
    except RuntimeError:
        return None


def _run_spiders(
    process: CrawlerProcess, names: list[str], base_url: str, policies: list[str] | None, *, quiet: bool
) -> list[Crawler]:
    """Run the spiders in ``process`` until every one is done; the crawlers, for their accounts."""
    crawlers = []
    for name in names:
        crawler = process.create_crawler(SPIDERS[name])
        crawlers.append(crawler)
        extra = {"policies": policies} if policies and name == "policies" else {}
        process.crawl(crawler, base_url=base_url, **extra)
    quiet_scrapy_loggers(quiet=quiet)  # again: building the process set "scrapy" to DEBUG
    process.start()
    return crawlers


def _record_unrecorded(engine: Engine, run_id: int, crawlers: list[Crawler]) -> str:
    """Write the account of every spider that could not write its own at its close (disk full); returns the
    lines the closing update must carry instead."""
    unrecorded: list[str] = []
    for crawler in crawlers:
        account = _account_of(crawler)
        if account is not None and not account.recorded:
            stats = crawler.stats.get_stats() if crawler.stats else {}
            unrecorded.append(_record_late(engine, run_id, account, stats))
    return "\n".join(dict.fromkeys(line for line in unrecorded if line))


def _close_run(
    engine: Engine, run_id: int, status: CrawlStatus, message: str, store_errors: set[str]
) -> CrawlRun:
    """Write the run's final status; when even that fails, a UserError says what was kept and what to do."""
    try:
        run = with_retries(
            lambda: finish_crawl_run(engine, run_id, status=status, message=message),
            what=f"closing crawl run {run_id}",
            wait_total=10.0,
        )
    except StoreError as error:
        raise UserError(
            f"crawl run {run_id} {status}{': ' + '; '.join(sorted(store_errors)) if store_errors else ''}"
            f"; its record could not be written either ({error}). Everything committed before "
            f"is kept: fix the database (space, server) and run the crawl again."
        ) from error
    finally:
        engine.dispose()
    assert run is not None
    return run


def run_crawl(
    base_url: str,
    db_url: str,
    *,
    profile: str = "polite",
    spiders: list[str] | None = None,
    jobdir: str | None = None,
    quiet: bool = False,
    redis_url: str | None = None,
    policies: list[str] | None = None,
    options: CrawlOptions | None = None,
) -> CrawlSummary:
    """Crawl ``base_url`` into ``db_url`` incrementally; blocks until every spider is done.

    ``policies``: only these consultations (uuids) and their comments; proposals belong to no
    consultation, so by default only the ``policies`` spider runs then. ``options``: the operator's
    tunables (crawler/options.py); the defaults of crawler/settings.py without them.
    """
    base_url = check_base_url(base_url)
    policies = list(policy_ids(policies)) if policies else None  # malformed ids: bad input, nothing done
    names = spider_names(spiders, policies)
    profile_settings(profile)  # validates the name
    engine = open_database(db_url)
    run_id = start_crawl_run(engine, base_url=base_url, spiders=names)
    settings = crawl_settings(
        base_url,
        db_url,
        profile=profile,
        run_id=run_id,
        jobdir=jobdir,
        quiet=quiet,
        redis_url=redis_url,
        options=options,
    )
    quiet_scrapy_loggers(quiet=quiet)
    process = CrawlerProcess(settings)
    try:
        crawlers = _run_spiders(process, names, base_url, policies, quiet=quiet)
    except BaseException:
        try:
            finish_crawl_run(engine, run_id, status="failed")
        finally:
            engine.dispose()
        raise
    _refuse_unknown_policies(engine, run_id, crawlers, site_of(base_url))
    accounts = [account for account in map(_account_of, crawlers) if account is not None]
    reasons = [str(c.stats.get_value("finish_reason", "")) if c.stats else "" for c in crawlers]
    status = crawl_status(reasons, [failure for account in accounts for failure in account.failures])
    closing_message = _record_unrecorded(engine, run_id, crawlers)
    store_errors = {account.store_error for account in accounts} - {""}
    return CrawlSummary.of_run(_close_run(engine, run_id, status, closing_message, store_errors))


__all__ = ["SPIDERS", "CrawlSummary", "crawl_settings", "crawl_status", "run_crawl", "spider_names"]
