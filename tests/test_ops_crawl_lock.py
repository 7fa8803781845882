"""Two ``joinfeedback crawl`` commands on one database: the second is refused (exit 3) or, with ``--wait``,
runs after the first; either way no row is stored twice and the data equal the replica's manifest."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from joinfeedback.ops.lock import is_locked
from storage.db import open_database
from storage.models import Comment, CrawlRun, Idea, Policy

ROOT = Path(__file__).resolve().parents[1]


def crawl_command(base_url: str, db_url: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "joinfeedback",
        "crawl",
        "--base-url",
        base_url,
        "--profile",
        "local",
        "--db",
        db_url,
        "--quiet",
        *extra,
    ]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("JOINFEEDBACK_")}


def wait_until_locked(db_url: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    engine = open_database(db_url)
    deadline = time.monotonic() + timeout
    try:
        while not is_locked(engine, "crawl"):
            assert process.poll() is None, (
                f"the first crawl ended before it could be observed: {process.stderr}"
            )
            assert time.monotonic() < deadline, "the first crawl never took the lock"
            time.sleep(0.05)
    finally:
        engine.dispose()


@pytest.mark.slow
def test_second_crawl_is_refused_or_waits_and_nothing_is_stored_twice(db_url: str) -> None:
    from replica.server import ReplicaServer

    open_database(db_url).dispose()  # migrated once, before the commands race for it
    # "slow" makes every page take 0.5–2 s, so the first crawl is certainly still running.
    with ReplicaServer(seed=1, size="small", faults="slow=1") as replica:
        first = subprocess.Popen(
            crawl_command(replica.base_url, db_url),
            cwd=ROOT,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_until_locked(db_url, first)

        refused = subprocess.run(
            crawl_command(replica.base_url, db_url),
            cwd=ROOT,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert refused.returncode == 3, refused.stderr
        holder = f"another crawl is running on this database (pid {first.pid} on "
        assert holder in refused.stderr, refused.stderr
        assert "since " in refused.stderr, refused.stderr

        waiting = subprocess.Popen(
            crawl_command(replica.base_url, db_url, "--wait"),
            cwd=ROOT,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _first_out, first_err = first.communicate(timeout=300)
        assert first.returncode == 0, first_err[-2000:]
        _, waiting_err = waiting.communicate(timeout=300)
        assert waiting.returncode == 0, waiting_err[-2000:]
        manifest = replica.manifest()

    engine = open_database(db_url)
    with engine.connect() as conn:
        runs = conn.execute(
            select(CrawlRun.status, CrawlRun.started_at, CrawlRun.finished_at).order_by(CrawlRun.id)
        ).all()
        stored = {
            name: conn.execute(select(func.count()).select_from(model)).scalar_one()
            for name, model in (("policies", Policy), ("comments", Comment), ("ideas", Idea))
        }
    engine.dispose()
    # The refused crawl left no run behind; the waiting one started after the first had finished.
    assert [r.status for r in runs] == ["finished", "finished"]
    assert runs[1].started_at >= runs[0].finished_at
    assert stored == {name: manifest[name] for name in stored}
