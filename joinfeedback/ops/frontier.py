"""Checks before a crawl starts: can it keep its frontier (Redis) and its job state (JOBDIR)?

Scrapy finds out only once its reactor runs, and says so in dozens of lines of Twisted tracebacks; checked
here, the problem is one line and a ``failed`` crawl run whose message names the cause.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from base.display import redact
from base.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy import Engine


def frontier_problem(redis_url: str | None, jobdir: str | None) -> UserError | None:
    """Why the crawl could not keep its frontier (Redis) or job state (JOBDIR), checked before it starts."""
    if jobdir:
        folder = Path(jobdir)
        if folder.exists() and not folder.is_dir():
            return UserError(f"jobdir {folder} is a file, not a folder")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return UserError(f"cannot create jobdir {folder}: {exc.strerror}")
    if redis_url:
        try:
            import redis
        except ImportError:
            return UserError("--workers-redis needs the extra joinfeedback[workers] (redis is not installed)")
        try:
            redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5).ping()
        except (redis.RedisError, OSError, ValueError) as exc:
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            return UserError(f"cannot reach the Redis frontier {redis_url}: {detail}", exit_code=4)
    return None


def refuse_unusable_frontier(
    engine: Engine, base_url: str, redis_url: str | None, jobdir: str | None
) -> None:
    """One line and a ``failed`` crawl run naming the cause, not Twisted tracebacks from inside Scrapy."""
    problem = frontier_problem(redis_url, jobdir)
    if problem is None:
        return
    from storage.crawlstate import finish_crawl_run, start_crawl_run

    run_id = start_crawl_run(engine, base_url=base_url, spiders=[])
    finish_crawl_run(engine, run_id, status="failed", message=f"not started: {redact(str(problem))}")
    raise problem


__all__ = ["frontier_problem", "refuse_unusable_frontier"]
