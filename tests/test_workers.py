"""Several crawl workers, one frontier: two processes crawl the replica through Redis into PostgreSQL and
together fetch exactly what one crawl fetches, each page once, and store the same data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest
from sqlalchemy import func, select

from base.errors import UserError
from crawler.distributed import crawl_keys, default_crawl_key, redis_settings
from storage.db import open_database
from storage.dump import canonical_dump
from storage.models import AgencyResponse, Comment, Idea, Policy

ROOT = Path(__file__).resolve().parents[1]

# What `joinfeedback crawl --workers-redis URL` does: the shared form of the crawl lock, then run_crawl.
WORKER = """
import json, sys
from crawler.options import CrawlOptions
from crawler.run import run_crawl
from joinfeedback.config import load_config
from joinfeedback.ops.lock import run_lock
from storage.db import open_database
base_url, db_url, redis_url = sys.argv[1:4]
engine = open_database(db_url)
with run_lock(engine, "crawl", shared=True):
    summary = run_crawl(base_url, db_url, profile="local", quiet=True, redis_url=redis_url or None,
                        options=CrawlOptions.from_config(load_config()))
print(json.dumps({"status": summary.status, "requests": summary.requests, "errors": summary.errors}))
"""


def start_worker(base_url: str, db_url: str, redis_url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "JOINFEEDBACK_DB"} | env
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, base_url, db_url, redis_url],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]
    return dict(json.loads(out.strip().splitlines()[-1]))


def served_by_kind(base_url: str) -> dict[str, int]:
    with urlopen(f"{base_url}/_replica/stats", timeout=10) as response:
        return dict(json.load(response)["by_kind"])


def stored_counts(db_url: str) -> dict[str, int]:
    engine = open_database(db_url)
    with engine.connect() as conn:

        def count(model: Any, *where: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one())

        counts = {
            "policies": count(Policy),
            "comments": count(Comment),  # the manifest counts replies too
            "replies": count(Comment, Comment.parent_msg_uid.is_not(None)),
            "comments_deleted": count(Comment, Comment.is_deleted.is_(True)),
            "ideas": count(Idea),
            "agency_responses": count(AgencyResponse),
        }
    engine.dispose()
    return counts


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
def test_two_workers_fetch_each_page_once_and_store_what_one_crawl_stores(
    redis_url: str, pg_url: str, sqlite_url: str
) -> None:
    from replica.server import ReplicaServer

    # Reference: one ordinary crawl of a fresh replica with the same seed.
    with ReplicaServer(seed=1, size="small", faults="") as reference:
        single = finish(start_worker(reference.base_url, sqlite_url, "", {}))
        single_served = served_by_kind(reference.base_url)
    assert single["status"] == "finished"
    assert single["errors"] == []

    open_database(pg_url).dispose()  # migrate first: two first-time migrations at once would race
    key = f"test-{uuid.uuid4().hex[:8]}"
    env = {"JOINFEEDBACK_CRAWL_KEY": key, "JOINFEEDBACK_WORKERS_WAIT_FOR": "2"}
    with ReplicaServer(seed=1, size="small", faults="") as replica:
        workers = [start_worker(replica.base_url, pg_url, redis_url, env) for _ in range(2)]
        results = [finish(w) for w in workers]
        served = served_by_kind(replica.base_url)
        manifest = replica.manifest()

    print(f"requests per worker: {[r['requests'] for r in results]}; one crawl: {single['requests']}")
    assert all(r["status"] == "finished" and r["errors"] == [] for r in results)
    assert all(r["requests"] > 0 for r in results), "both workers took part"
    # Each spider of each worker reads robots.txt itself before its first request (one per spider per worker
    # that fetched anything); every other page was served exactly as often as to one crawl.
    robots = single_served.pop("robots")
    extra_robots = served.pop("robots") - robots
    assert 0 <= extra_robots <= robots
    assert served == single_served
    assert sum(r["requests"] for r in results) == single["requests"] + extra_robots
    assert stored_counts(pg_url) == {k: manifest[k] for k in stored_counts(pg_url)}
    # The same rows as the single crawl, but for the replica's port inside stored URLs.
    shared = canonical_dump(open_database(pg_url)).replace(replica.base_url, "BASE")
    assert shared == canonical_dump(open_database(sqlite_url)).replace(reference.base_url, "BASE")
    assert crawl_keys(redis_url, key) == [], "the last worker clears the shared crawl"


def test_redis_settings_name_one_crawl_per_key() -> None:
    settings = redis_settings("redis://127.0.0.1:6379/0", "nightly")
    assert settings["SCHEDULER"] == "crawler.distributed.SharedFrontierScheduler"
    assert settings["SCHEDULER_PERSIST"] is True
    assert settings["SCHEDULER_QUEUE_KEY"] == "joinfeedback:nightly:%(spider)s:requests"
    assert settings["SCHEDULER_DUPEFILTER_KEY"] == "joinfeedback:nightly:%(spider)s:dupefilter"
    assert default_crawl_key("https://join.gov.tw") == "join.gov.tw"
    assert default_crawl_key("http://127.0.0.1:8800/") == "127.0.0.1_8800"
    with pytest.raises(UserError, match="needs a Redis URL"):
        redis_settings("", "nightly")
    with pytest.raises(UserError, match="crawl key 'a b'"):
        redis_settings("redis://127.0.0.1", "a b")


@pytest.mark.slow
@pytest.mark.redis
def test_leftovers_of_a_dead_crawl_do_not_make_the_next_one_skip_pages(
    redis_url: str, sqlite_url: str
) -> None:
    """A dead crawl keeps its fingerprints; a new worker that finds nobody at work starts afresh."""
    import redis
    from scrapy import Request
    from scrapy_redis.dupefilter import RFPDupeFilter

    from replica.server import ReplicaServer

    key = f"test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(redis_url)
    with ReplicaServer(seed=1, size="small", faults="") as replica:
        # As if yesterday's crawl had fetched the open-data list and died before clearing its keys.
        seen = RFPDupeFilter(client, key="unused").request_fingerprint(
            Request(f"{replica.base_url}/toOpenData/ey/policy")
        )
        client.sadd(f"joinfeedback:{key}:policies:dupefilter", seen)
        result = finish(
            start_worker(replica.base_url, sqlite_url, redis_url, {"JOINFEEDBACK_CRAWL_KEY": key})
        )
        manifest = replica.manifest()
    assert result["status"] == "finished"
    assert stored_counts(sqlite_url) == {k: manifest[k] for k in stored_counts(sqlite_url)}
    assert crawl_keys(redis_url, key) == []
