"""Scrapy settings for joinfeedback: defaults only (nothing here reads the environment).

Profiles: ``polite`` (default; for the real join.gov.tw: robots.txt, AutoThrottle, one request at a time per
host, ≥ 1 s apart, long timeouts) and ``local`` (for the replica on 127.0.0.1: full speed).
``joinfeedback crawl`` passes the database, site, profile and the tunables below from its configuration
(crawler/options.py, crawler/run.py); a plain ``scrapy crawl`` takes them as ``-s NAME=value``.
"""

from __future__ import annotations

from base.errors import UserError
from base.site import REAL_SITE

BOT_NAME = "joinfeedback"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
USER_AGENT = "joinfeedback/0.1 (+https://github.com/joinfeedback/joinfeedback)"

JOINFEEDBACK_DB = "sqlite:///joinfeedback.db"
JOINFEEDBACK_BASE_URL = REAL_SITE
JOINFEEDBACK_CRAWL_PROFILE = "polite"
# Several workers, one frontier (crawler/distributed.py): workers with the same Redis and crawl key share
# one queue and one duplicate filter; empty key = one shared crawl per site. WAIT_FOR=N: start when N joined.
JOINFEEDBACK_CRAWL_KEY = ""
JOINFEEDBACK_WORKERS_WAIT_FOR = 0
JOINFEEDBACK_RUN_ID = None  # set by crawler.run when several spiders share one crawl run
JOINFEEDBACK_BATCH_SIZE = 500  # rows per store flush (one transaction, executemany upserts)
# Also flush when the buffer is this old: a killed crawl loses at most that much work.
JOINFEEDBACK_FLUSH_SECONDS = 5.0  # configured as crawl_flush_seconds
# Years of /toOpenData/v2/ey/idea?year= to read on every crawl ("2015-2020"); empty: the years of proposals
# still moving (open for endorsement, awaiting an answer) and of proposals new to the database.
JOINFEEDBACK_IDEA_YEARS = ""
JOINFEEDBACK_COMMENT_PAGE_SIZE = 200  # comments per board page (the 2017 crawler used 2000)
JOINFEEDBACK_LIST_PAGE_SIZE = 100  # proposals per list page
JOINFEEDBACK_RETRY_AFTER_MAX = 300.0  # longest Retry-After we wait for, seconds
JOINFEEDBACK_STORE_RETRY_SECONDS = 30.0  # how long a store waits for a database that went away
# Seconds before a request counts as hung (overrides the profile's DOWNLOAD_TIMEOUT; 0 = the profile's).
JOINFEEDBACK_DOWNLOAD_TIMEOUT = 0.0
JOINFEEDBACK_PARSE_RETRIES = 3  # a truncated/malformed/challenge page is fetched again this many times

ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
RETRY_ENABLED = True
RETRY_TIMES = 5
RETRY_HTTP_CODES = [500, 502, 503, 504, 520, 522, 524, 408, 429]
HTTPERROR_ALLOWED_CODES = [503]  # a Cloudflare 503 may carry a valid JSON body (parsed when it parses)
LOG_LEVEL = "INFO"
# Scrapy starts this many asyncio tasks for the output of every response; a page yields one harvest and a
# few requests, and the pipelines store synchronously: more than one only costs task switches
# (docs/benchmarks.md).
CONCURRENT_ITEMS = 1

DOWNLOADER_MIDDLEWARES = {
    # process_response runs from the downloader outwards (highest number first): above RetryMiddleware (550)
    # it sees the 429/503 before the retry is scheduled (at 540 it never saw one).
    "crawler.middlewares.RetryAfterMiddleware": 560,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.NormalisePipeline": 200,
    "crawler.pipelines.StorePipeline": 900,
}
EXTENSIONS = {
    "crawler.account.RunAccount": 100,
}

# A profile's overrides: switches, counts and seconds.
SettingValue = bool | int | float
PROFILES: dict[str, dict[str, SettingValue]] = {
    "polite": {
        "ROBOTSTXT_OBEY": True,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 2.0,
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "CONCURRENT_REQUESTS": 4,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": 1.5,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "DOWNLOAD_TIMEOUT": 120,  # the open-data policy list is large and slow: consumers use 45-120 s
        "RETRY_TIMES": 5,
        "JOINFEEDBACK_RETRY_AFTER_MAX": 300.0,
    },
    "local": {
        "ROBOTSTXT_OBEY": True,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": 32,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
        "DOWNLOAD_DELAY": 0,
        "DOWNLOAD_TIMEOUT": 45,
        "RETRY_TIMES": 8,  # the replica's fault injection is random: allow several attempts
        "JOINFEEDBACK_RETRY_AFTER_MAX": 2.0,
        "REACTOR_THREADPOOL_MAXSIZE": 4,
    },
}


def profile_settings(profile: str) -> dict[str, SettingValue]:
    """The overrides of one profile; an unknown name is a UserError."""
    try:
        return dict(PROFILES[profile])
    except KeyError:
        raise UserError(f"crawl profile {profile!r} is unknown (polite or local)") from None


# `scrapy crawl` uses this module directly: the default profile applies.
globals().update(profile_settings(JOINFEEDBACK_CRAWL_PROFILE))
