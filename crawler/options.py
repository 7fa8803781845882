"""What a crawl is told besides its site, database and profile: the operator's tunables, passed explicitly.

``joinfeedback crawl`` builds them from its configuration (``JOINFEEDBACK_*`` variables, the TOML file);
``crawler.run.crawl_settings`` turns them into Scrapy settings. Nothing here reads the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from crawler import settings as defaults


class CrawlConfig(Protocol):
    """The part of ``joinfeedback.config.Config`` a crawl reads (named as the configuration names them)."""

    @property
    def crawl_key(self) -> str: ...
    @property
    def workers_wait_for(self) -> int: ...
    @property
    def crawl_flush_seconds(self) -> float: ...
    @property
    def idea_years(self) -> str: ...
    @property
    def store_retry_seconds(self) -> float: ...
    @property
    def download_timeout(self) -> float: ...


@dataclass(frozen=True, slots=True)
class CrawlOptions:
    """Defaults are crawler/settings.py's."""

    # Names the shared (Redis) crawl; empty: one per site (crawler.distributed.default_crawl_key).
    crawl_key: str = defaults.JOINFEEDBACK_CRAWL_KEY
    workers_wait_for: int = defaults.JOINFEEDBACK_WORKERS_WAIT_FOR
    flush_seconds: float = defaults.JOINFEEDBACK_FLUSH_SECONDS
    idea_years: str = defaults.JOINFEEDBACK_IDEA_YEARS
    store_retry_seconds: float = defaults.JOINFEEDBACK_STORE_RETRY_SECONDS
    download_timeout: float = defaults.JOINFEEDBACK_DOWNLOAD_TIMEOUT  # 0: the profile's

    @classmethod
    def from_config(cls, config: CrawlConfig) -> CrawlOptions:
        return cls(
            crawl_key=config.crawl_key,
            workers_wait_for=config.workers_wait_for,
            flush_seconds=config.crawl_flush_seconds,
            idea_years=config.idea_years,
            store_retry_seconds=config.store_retry_seconds,
            download_timeout=config.download_timeout,
        )

    def as_settings(self) -> dict[str, str | int | float]:
        """The Scrapy settings the crawler's components read these from."""
        return {
            "JOINFEEDBACK_CRAWL_KEY": self.crawl_key,
            "JOINFEEDBACK_WORKERS_WAIT_FOR": self.workers_wait_for,
            "JOINFEEDBACK_FLUSH_SECONDS": self.flush_seconds,
            "JOINFEEDBACK_IDEA_YEARS": self.idea_years,
            "JOINFEEDBACK_STORE_RETRY_SECONDS": self.store_retry_seconds,
            "JOINFEEDBACK_DOWNLOAD_TIMEOUT": self.download_timeout,
        }


__all__ = ["CrawlConfig", "CrawlOptions"]
