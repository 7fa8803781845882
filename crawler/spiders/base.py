"""What every joinfeedback spider shares: base URL and site, requests with error bookkeeping, re-fetching
pages that came back truncated, malformed or as a challenge, and the harvest envelope."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Self
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from sqlalchemy.engine import Engine
from twisted.python.failure import Failure

from base.errors import UserError
from crawler import signals
from crawler.items import PageHarvest, PageKind, RawPage, Record
from crawler.pages.common import LayoutError, Missing
from storage.db import open_database

logger = logging.getLogger(__name__)
# What a callback yields: more pages to fetch, and what a fetched page gave.
SpiderOutput = Request | PageHarvest
OWN_META = frozenset({"entry", "state", "year", "probe"})  # what our callbacks read from meta


def site_of(base_url: str) -> str:
    """Ids are unique per host: the site is the base URL's host name without port."""
    return (urlsplit(base_url).hostname or "").lower()


def check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UserError(f"base URL {base_url!r} is not an http(s) URL with a host")
    return base_url.rstrip("/")


class JoinSpider(scrapy.Spider):
    """Spiders only navigate: parsing lives in crawler/pages."""

    base_url: str
    site: str
    parse_retries: int
    db: Engine  # the engine the spider reads re-crawl state from

    def __init__(self, name: str | None = None, *, base_url: str | None = None, **kwargs: object) -> None:
        super().__init__(name, **kwargs)
        self._base_url_arg = base_url
        # What this spider gave up on, for its own completeness checks (the run's account keeps the record).
        self.given_up: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: object, **kwargs: object) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.base_url = check_base_url(
            spider._base_url_arg or crawler.settings.get("JOINFEEDBACK_BASE_URL")
        )
        spider.site = site_of(spider.base_url)
        spider.parse_retries = crawler.settings.getint("JOINFEEDBACK_PARSE_RETRIES")
        # No connection is made here: the command has created and migrated the database.
        spider.db = open_database(crawler.settings.get("JOINFEEDBACK_DB"), migrate=False)
        return spider

    def tell(self, signal: object, **arguments: object) -> None:
        """Report to the crawl run's account (``crawler.signals``)."""
        self.crawler.signals.send_catch_log(signal, **arguments)

    def count(self, stat: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"joinfeedback/{stat}")

    def note_missing(self, page_type: str, url: str, missing: Sequence[Missing]) -> None:
        """Optional fields ``url`` did not give: a warning of the run."""
        if missing:
            self.tell(signals.fields_missing, page_type=page_type, url=url, missing=missing)

    def note_mismatch(self, note: str) -> None:
        """Two of the site's sources disagree: a line of the run's report."""
        self.tell(signals.site_mismatch, note=note)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def request(
        self,
        url: str,
        callback: Callable[[Response], Iterable[SpiderOutput]],
        *,
        priority: int = 0,
        meta: Mapping[str, object] | None = None,
    ) -> Request:
        return Request(
            url, callback=callback, errback=self.on_error, priority=priority, meta=dict(meta or {})
        )

    def record_failure(self, url: str, error: str) -> None:
        logger.error("gave up on %s: %s", url, error)
        self.given_up.add(url)
        self.tell(signals.page_given_up, url=url, error=error)

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        response = getattr(failure.value, "response", None)
        url = request.url if request is not None else "?"
        if response is not None:
            self.record_failure(url, f"HTTP {response.status} after retries")
        else:
            self.record_failure(
                url, f"{getattr(failure.type, '__name__', 'Error')}: {failure.getErrorMessage()}"
            )

    def refetch_or_give_up(self, response: Response, error: LayoutError) -> Iterable[Request]:
        """A truncated, malformed or challenge page: fetch it again a few times, then record it as failed."""
        request = response.request
        assert request is not None
        done = int(request.meta.get("refetches", 0))
        if done < self.parse_retries:
            logger.warning("%s; fetching it again", error)
            self.count(f"refetch/{type(error).__name__}")
            # Only our own keys travel on (Scrapy's download_latency, retry_times… describe the response); our
            # own count, not Scrapy's retry_times, which a callback must not forward.
            meta = {k: v for k, v in request.meta.items() if k in OWN_META}
            yield request.replace(meta={**meta, "refetches": done + 1}, dont_filter=True)
        else:
            self.record_failure(response.url, str(error))

    def harvest(self, response: Response, records: Iterable[Record], kind: PageKind) -> PageHarvest:
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        return PageHarvest(RawPage(response.url, response.body, content_type), tuple(records), kind)

    def closed(self, reason: str) -> None:
        self.db.dispose()


def join_spider(spider: scrapy.Spider | None) -> JoinSpider:
    """The running spider, which the pipelines and the extension only ever see as a JoinSpider."""
    if not isinstance(spider, JoinSpider):
        raise TypeError(f"expected a joinfeedback spider, got {type(spider).__name__}")
    return spider
