"""Several crawl workers, one frontier: scrapy-redis's Redis-backed scheduler and duplicate filter.

Every worker (a ``joinfeedback crawl --workers-redis redis://…`` process, on this machine or another) that
uses the same Redis and the same *crawl key* shares one request queue and one set of request fingerprints
per spider, so no page is fetched twice. Keys live under ``joinfeedback:<crawl key>:<spider>:…``.

Ending a shared crawl: a worker whose queue is empty stays open while another worker is still busy (it may
yet discover pages); the last worker to close deletes the crawl's keys, so the next crawl with the same key
starts afresh. A worker that finds requests queued but nobody working (its predecessors died) resumes them;
one that finds nothing queued and nobody working clears what is left and starts a new crawl.
``JOINFEEDBACK_WORKERS_WAIT_FOR=N`` makes each worker wait until N have joined before fetching.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from base.errors import UserError

log = logging.getLogger(__name__)

KEY_ROOT = "joinfeedback"
# A busy worker renews its mark every POLL_SECONDS; one silent this long is taken for dead. Erring costs
# little: an idle worker closes early, or a new worker starts the crawl afresh (pages fetched again).
BUSY_TTL_SECONDS = 15.0
KEY_EXPIRY_SECONDS = 3 * 24 * 3600  # what a crashed crawl leaves behind disappears on its own
JOIN_TIMEOUT_SECONDS = 120.0
POLL_SECONDS = 0.25  # how often an idle worker looks for requests other workers queued


def default_crawl_key(base_url: str) -> str:
    """One shared crawl per site unless told otherwise (``host`` or ``host_port``)."""
    parts = urlsplit(base_url)
    return (parts.hostname or "site") + (f"_{parts.port}" if parts.port else "")


def redis_settings(
    redis_url: str, crawl_key: str, *, wait_for: int = 0
) -> dict[str, str | int | bool | None]:
    """Scrapy settings that put a crawl on the shared Redis frontier named ``crawl_key``."""
    if not redis_url:
        raise UserError("a distributed crawl needs a Redis URL (--workers-redis or JOINFEEDBACK_REDIS_URL)")
    if not crawl_key or any(c.isspace() or c in "{}%" for c in crawl_key):
        raise UserError(f"crawl key {crawl_key!r} must be a non-empty name without spaces, braces or %")
    prefix = f"{KEY_ROOT}:{crawl_key}:%(spider)s"
    return {
        "SCHEDULER": "crawler.distributed.SharedFrontierScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        # Keep the queue and fingerprints when one worker closes: the others still need them.
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
        "REDIS_URL": redis_url,
        "JOINFEEDBACK_CRAWL_KEY": crawl_key,
        "JOINFEEDBACK_WORKERS_WAIT_FOR": wait_for,
        # A local JOBDIR queue would bypass the shared one.
        "JOBDIR": None,
    }


def crawl_keys(redis_url: str, crawl_key: str) -> list[str]:
    """Every Redis key a shared crawl uses (for inspection and clean-up)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    return sorted(k.decode() for k in client.scan_iter(match=f"{KEY_ROOT}:{crawl_key}:*"))


def clear_crawl(redis_url: str, crawl_key: str) -> int:
    """Forget a shared crawl (its queue, fingerprints and worker records); returns keys deleted."""
    import redis

    keys = crawl_keys(redis_url, crawl_key)
    return int(redis.Redis.from_url(redis_url).delete(*keys)) if keys else 0


class SharedFrontierScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler, plus knowing when the *shared* crawl (not just this worker) is done."""

    crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedFrontierScheduler:
        instance: SharedFrontierScheduler = super().from_crawler(crawler)
        instance.crawler = crawler
        instance.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(instance):x}"
        instance.wait_for = crawler.settings.getint("JOINFEEDBACK_WORKERS_WAIT_FOR")
        return instance

    def open(self, spider: Spider) -> None:
        super().open(spider)
        base = self.queue_key.removesuffix(":requests") % {"spider": spider.name}
        self.busy_key, self.joined_key = f"{base}:busy", f"{base}:joined"
        # One worker at a time decides whether it joins a running crawl or starts a new one.
        with self.server.lock(f"{base}:opening", timeout=30, blocking_timeout=60):
            if len(self) == 0 and not self._others_busy():
                # Nobody is working and nothing is queued: what is left (a finished crawl whose last worker
                # died before clearing it) must not make this crawl skip pages as "already seen".
                self.flush()
                self.server.delete(self.busy_key, self.joined_key)
            elif len(self):
                log.info(
                    "resuming shared crawl %s: %d requests queued", base, len(self), extra={"spider": spider}
                )
            self._mark_busy()  # until our start requests are queued, others must not think the crawl is over
            joined = self.server.incr(self.joined_key)
            self.server.expire(self.joined_key, KEY_EXPIRY_SECONDS)
        log.info(
            "worker %s joined shared crawl %s (%d joined)",
            self.worker_id,
            base,
            joined,
            extra={"spider": spider},
        )
        if self.wait_for > 1:
            self._wait_for_workers()
        # Scrapy asks the scheduler for more only when its own downloads finish, or every 5 s: too slow to
        # notice what the other workers queue, so look more often (and say we are alive while busy).
        self._poller = LoopingCall(self._poke_engine)
        self._poller.start(POLL_SECONDS, now=False)

    def _wait_for_workers(self) -> None:
        # Blocking is fine here: the spider is opening and nothing else runs in this reactor yet.
        deadline = time.monotonic() + JOIN_TIMEOUT_SECONDS
        while int(self.server.get(self.joined_key) or 0) < self.wait_for:
            if time.monotonic() > deadline:
                log.warning(
                    "only %s of %d workers joined within %.0f s; crawling anyway",
                    self.server.get(self.joined_key),
                    self.wait_for,
                    JOIN_TIMEOUT_SECONDS,
                )
                return
            self._mark_busy()
            time.sleep(0.1)

    def next_request(self) -> Request | None:
        # Busy *before* the pop: a request in flight must never be invisible to a worker deciding the crawl
        # is over (it would clear the duplicate filter while our page may still add links).
        self._mark_busy()
        request: Request | None = super().next_request()
        return request

    def has_pending_requests(self) -> bool:
        """Our engine is idle when Scrapy asks: pending means queued, or another worker may still add some."""
        if len(self) > 0:
            return True
        self.server.zrem(self.busy_key, self.worker_id)
        return self._others_busy()

    def close(self, reason: str) -> None:
        if getattr(self, "_poller", None) is not None and self._poller.running:
            self._poller.stop()
        self.server.zrem(self.busy_key, self.worker_id)
        # The last worker to *close* clears the keys, counted by the joined counter. "Nobody busy" is not
        # enough here: another worker between its idle check and its spider_idle handler looks idle, yet may
        # still queue pages (the cross-check's detail requests) that a cleared duplicate filter would let
        # through a second time. A worker that died never counts down: its keys expire, or the next crawl's
        # open() clears them when nothing is queued and nobody works.
        remaining = int(self.server.decr(self.joined_key))
        if remaining <= 0 and len(self) == 0:
            self.flush()
            self.server.delete(self.busy_key, self.joined_key)
            log.info("last worker of the shared crawl: its Redis keys are cleared")
        else:
            for key in (self.queue.key, self.df.key, self.busy_key):
                self.server.expire(key, KEY_EXPIRY_SECONDS)
        super().close(reason)

    def _poke_engine(self) -> None:
        slot = getattr(getattr(self.crawler, "engine", None), "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        # Also when our queue is empty: the engine then asks has_pending_requests() again, which is how an
        # idle worker notices that the others have finished (instead of at Scrapy's next 5 s heartbeat).
        if nextcall is not None and getattr(slot, "closing", None) is None:
            if self._engine_active():
                self._mark_busy()
            nextcall.schedule()

    def _mark_busy(self) -> None:
        self.server.zadd(self.busy_key, {self.worker_id: time.time()})

    def _others_busy(self) -> bool:
        fresh = self.server.zrangebyscore(self.busy_key, time.time() - BUSY_TTL_SECONDS, "+inf")
        return any(member.decode() != self.worker_id for member in fresh)

    def _engine_active(self) -> bool:
        engine = getattr(self.crawler, "engine", None)
        if engine is None:
            return False
        scraper_slot = getattr(engine.scraper, "slot", None)
        return bool(engine.downloader.active) or (scraper_slot is not None and not scraper_slot.is_idle())


__all__ = [
    "SharedFrontierScheduler",
    "clear_crawl",
    "crawl_keys",
    "default_crawl_key",
    "redis_settings",
]
