"""Downloader middleware honouring ``Retry-After`` on 429/503 before Scrapy's RetryMiddleware retries."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.pages.common import http_date

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent/invalid."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    when = http_date(text)
    if when is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    """Wait what the server asked (capped by JOINFEEDBACK_RETRY_AFTER_MAX) before the retry is scheduled."""

    def __init__(self, max_wait: float, crawler: Crawler | None = None) -> None:
        self.max_wait = max_wait
        self.stats = crawler.stats if crawler is not None else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler.settings.getfloat("JOINFEEDBACK_RETRY_AFTER_MAX"), crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status in (429, 503):
            wait = retry_after_seconds(response.headers.get(b"Retry-After"))
            if wait:
                delay = min(wait, self.max_wait)
                logger.info(
                    "%s answered %s with Retry-After %.0f s: waiting %.1f s",
                    request.url,
                    response.status,
                    wait,
                    delay,
                )
                if self.stats is not None:  # the crawl run's account says how often and how long
                    self.stats.inc_value("joinfeedback/retry_after_waits")
                    self.stats.inc_value("joinfeedback/retry_after_seconds", delay)  # type: ignore[arg-type]
                await asyncio.sleep(delay)
        return response
