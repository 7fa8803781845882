"""Crawler faults against the replica: each ends with a clear account in the crawl run, nothing already stored
lost or corrupted, and a next run that completes the data (its canonical dump equals a clean crawl's).

Each scenario: a clean crawl of the proposals (epoch 0) → the site moves on (epoch 1) → a crawl of everything
with the fault (the consultations are all new to it, so it makes ~100 requests, not a quiet re-crawl's ~15) →
the fault cleared → a crawl that must complete the data. A reference database is crawled cleanly at epoch 1.
Every crawl runs in a subprocess (Twisted's reactor cannot restart). ``FAULT_TABLE`` rows are printed (-s) and
are the source of the table in docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from storage.db import open_database
from storage.dump import canonical_dump
from storage.models import CrawlRun
from tests.conftest import mounted_tmpfs, wait_for_comment_rows

replica_server = pytest.importorskip(
    "replica.server", reason="the replica (replica/server.py) is not built yet"
)
ReplicaServer = replica_server.ReplicaServer
ROOT = Path(__file__).resolve().parents[1]

CRAWL_SCRIPT = """
import json, sys
from crawler.options import CrawlOptions
from crawler.run import run_crawl
from joinfeedback.config import load_config
from base.errors import UserError
try:
    s = run_crawl(sys.argv[1], sys.argv[2], profile="local", quiet=True, spiders=sys.argv[3:] or None,
                  options=CrawlOptions.from_config(load_config()))
except UserError as error:
    print(json.dumps({"user_error": str(error)}))
    raise SystemExit(1)
print(json.dumps({"id": s.crawl_run_id, "status": s.status, "requests": s.requests, "errors": s.errors,
                  "message": s.message, "summary": str(s)}))
"""


def crawl(
    base_url: str,
    db_url: str,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 240,
    background: bool = False,
    spiders: tuple[str, ...] = (),
) -> Any:
    full_env = {k: v for k, v in os.environ.items() if k != "JOINFEEDBACK_DB"}
    full_env.update(env or {})
    args = [sys.executable, "-c", CRAWL_SCRIPT, base_url, db_url, *spiders]
    if background:
        return subprocess.Popen(
            args, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=full_env, check=False
    )
    return result_of(done.returncode, done.stdout, done.stderr)


def result_of(returncode: int, stdout: str, stderr: str) -> dict[str, Any]:
    lines = stdout.strip().splitlines()
    assert lines, f"no summary (exit {returncode}): {stderr[-3000:]}"
    result = dict(json.loads(lines[-1]))
    result["returncode"], result["stderr"] = returncode, stderr
    return result


def dump_lines(db_url: str) -> set[str]:
    engine = open_database(db_url)
    try:
        return set(canonical_dump(engine).splitlines()) - {""}
    finally:
        engine.dispose()


def key_of(line: str) -> tuple[str, str]:
    """A dump line's table and natural key (rows change between epochs; keys must never disappear)."""
    table, _, body = line.partition("\t")
    row = json.loads(body)
    if isinstance(row, list):
        return table, json.dumps(row)
    for name in ("msg_uid", "uuid"):
        if name in row:
            return table, str(row[name])
    return table, body


@dataclass
class FaultOutcome:
    name: str
    injected: int
    given_up: int
    lost: int
    corrupted: int
    faulted: dict[str, Any]
    rerun: dict[str, Any]

    def row(self) -> str:
        survived = self.injected - self.given_up if self.injected else 0
        return (
            f"| {self.name} | {self.injected} | {survived} | {self.given_up} | "
            f"{self.faulted['status']} | {self.lost} | {self.corrupted} | {self.rerun['status']} |"
        )


FAULT_TABLE: list[str] = []


def check_nothing_lost(
    before: set[str], after: set[str], reference: set[str], degraded: tuple[str, ...] = ()
) -> tuple[int, int]:
    """(rows whose key vanished, rows that are neither the old version nor the clean crawl's). Rows of the
    ``degraded`` tables may lack the optional fields their ``missing_fields`` name (stored with a warning)."""
    keys_after = {key_of(line) for line in after}
    lost = [line for line in before if key_of(line) not in keys_after]
    reference_rows = {key_of(line): json.loads(line.partition("\t")[2]) for line in reference}
    corrupted = []
    for line in after - before - reference:
        table, _, body = line.partition("\t")
        if table == "endorsement_snapshot":
            continue
        row, clean = json.loads(body), reference_rows.get(key_of(line))
        if table in degraded and clean is not None and row.get("missing_fields"):
            differing = {k for k in row if row[k] != clean.get(k)} - {"missing_fields"}
            if differing <= set(row["missing_fields"]):
                continue
        corrupted.append(line)
    return len(lost), len(corrupted)


def run_scenario(
    tmp_path: Path,
    name: str,
    faults: str,
    *,
    seed: int = 11,
    env: dict[str, str] | None = None,
    layout: bool = False,
    degraded: tuple[str, ...] = (),
) -> FaultOutcome:
    db = f"sqlite:///{tmp_path / 'faulted.db'}"
    reference_db = f"sqlite:///{tmp_path / 'reference.db'}"
    with ReplicaServer(seed=seed, size="small", faults="") as srv:
        assert crawl(srv.base_url, db, spiders=("ideas",))["status"] == "finished"
        before = dump_lines(db)
        srv.advance(1)
        assert crawl(srv.base_url, reference_db)["status"] == "finished"
        reference = dump_lines(reference_db)
        srv.set_faults(faults)
        faulted = crawl(srv.base_url, db, env=env)
        injected = sum(srv.stats()["faults"].values())
        after = dump_lines(db)
        srv.set_faults("")
        rerun = crawl(srv.base_url, db)
    lost, corrupted = check_nothing_lost(before, after, reference, degraded)
    given_up = len([e for e in faulted.get("errors", []) if e.get("kind") == "failed"])
    if layout:  # the replica does not count pages served in the new layout: each given-up URL is one
        injected = given_up
    outcome = FaultOutcome(name, injected, given_up, lost, corrupted, faulted, rerun)
    FAULT_TABLE.append(outcome.row())
    print(outcome.row())
    assert (lost, corrupted) == (0, 0)
    assert rerun["status"] == "finished", rerun.get("errors")
    assert_completes(dump_lines(db), reference)
    return outcome


def assert_completes(crawled: set[str], reference: set[str]) -> None:
    """Equal rows; endorsement snapshots: the clean crawl's (idea, count) pairs are all there (a database
    crawled before the site moved on holds older pairs too)."""
    snapshots = {line for line in crawled | reference if line.startswith("endorsement_snapshot")}
    assert crawled - snapshots == reference - snapshots, "the rerun did not complete the data"
    assert reference & snapshots <= crawled


def test_hung_responses_time_out_and_are_retried(tmp_path: Path) -> None:
    outcome = run_scenario(
        tmp_path,
        "hang (timeout 1 s)",
        "hang=0.08,hang_seconds=4,maxfail=2",
        env={"JOINFEEDBACK_DOWNLOAD_TIMEOUT": "1"},
    )
    assert outcome.injected > 0
    assert outcome.faulted["status"] == "finished"
    assert outcome.given_up == 0
    assert "TimeoutError" in outcome.faulted["message"]  # the account names what was survived


def test_429_storm_waits_for_retry_after(tmp_path: Path) -> None:
    outcome = run_scenario(tmp_path, "429 storm (429=0.5, maxfail=3)", "429=0.5,maxfail=3")
    assert outcome.injected > 20
    assert outcome.faulted["status"] == "finished"
    assert outcome.given_up == 0
    assert "waited for Retry-After" in outcome.faulted["message"]
    waits = sum(
        int(part.split(" times")[0].rsplit(" ", 1)[1])
        for part in outcome.faulted["message"].split("waited for Retry-After")[1:]
    )
    assert waits == outcome.injected  # every 429 was waited for, none retried at once


@pytest.mark.parametrize(
    ("fault", "spec"),
    [
        ("truncated bodies", "truncate=0.15,maxfail=2"),
        ("malformed bodies", "malformed=0.15,maxfail=2"),
        ("challenge pages", "challenge=0.15,maxfail=2"),
        ("500/503 errors", "500=0.1,503=0.1,maxfail=2"),
    ],
)
def test_bad_bodies_are_fetched_again(tmp_path: Path, fault: str, spec: str) -> None:
    outcome = run_scenario(tmp_path, fault, spec)
    assert outcome.injected > 0
    assert outcome.faulted["status"] == "finished"
    assert outcome.given_up == 0


def test_bad_bodies_beyond_the_retries_are_listed_and_completed_later(tmp_path: Path) -> None:
    """More bad bodies in a row than the crawler re-fetches: given up on, named, fetched by the next run."""
    outcome = run_scenario(
        tmp_path,
        "challenge pages beyond the 3 re-fetches (challenge=0.6, maxfail=6)",
        "challenge=0.6,maxfail=6",
    )
    assert outcome.given_up > 0
    assert outcome.faulted["status"] == "partial"
    assert all(
        e["url"].startswith("http://127.0.0.1:") and "challenge" in e["error"]
        for e in outcome.faulted["errors"]
        if e["kind"] == "failed"
    )


def test_mid_crawl_layout_change(tmp_path: Path) -> None:
    """The changed layout drops the proposals' data (`var idea`, the list markup): required, so those pages
    are given up on and named. A consultation page served in it (none when the switch comes after 30
    requests) would lose only optional parts: stored with its missing fields and a warning
    (test_crawl_shapes.py covers that)."""
    outcome = run_scenario(
        tmp_path, "layout change after 30 requests", "layout=after:30", layout=True, degraded=("policy",)
    )
    failed = [e for e in outcome.faulted["errors"] if e.get("kind") == "failed"]
    assert failed
    assert outcome.faulted["status"] == "partial"
    assert all("layout changed" in e["error"] and e["url"] in e["error"] for e in failed)
    assert all("/idea/" in e["url"] for e in failed)
    assert "URLs given up" in outcome.faulted["summary"]


# ---- the database going away --------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgresql_connections_terminated_mid_crawl(pg_url: str, tmp_path: Path) -> None:
    reference_db = f"sqlite:///{tmp_path / 'reference.db'}"
    database = pg_url.rsplit("/", 1)[1]
    killer = create_engine(pg_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    terminated = 0
    with ReplicaServer(seed=12, size="medium", faults="") as srv:
        process = crawl(
            srv.base_url, pg_url, env={"JOINFEEDBACK_CRAWL_FLUSH_SECONDS": "0.1"}, background=True
        )
        wait_for_comment_rows(pg_url, process, time.monotonic() + 120)
        assert process.poll() is None, "the crawl ended before the database could go away"
        for _ in range(5):  # every backend of the crawl's database, several times while it stores
            with killer.connect() as conn:
                terminated += int(
                    conn.execute(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = :db AND pid <> pg_backend_pid()"
                        ),
                        {"db": database},
                    ).scalar_one()
                )
            time.sleep(0.3)
        stdout, stderr = process.communicate(timeout=240)
        faulted = result_of(process.returncode, stdout, stderr)
        rerun = crawl(srv.base_url, pg_url)
        assert crawl(srv.base_url, reference_db)["status"] == "finished"
    killer.dispose()
    assert terminated > 0
    # survived (the writes were retried on a new connection) or stopped cleanly with the pages named
    assert faulted["status"] in {"finished", "failed"}, faulted
    if faulted["status"] == "failed":
        assert "stopped: " in faulted["message"]
    given_up = len([e for e in faulted["errors"] if e.get("kind") == "failed"])
    row = (
        f"| PostgreSQL backends terminated mid-crawl ({terminated} connections) | {terminated} | "
        f"{terminated if given_up == 0 else '—'} | {given_up} | {faulted['status']} | 0 | 0 | "
        f"{rerun['status']} |"
    )
    FAULT_TABLE.append(row)
    print(row)
    assert rerun["status"] == "finished"
    assert_completes(dump_lines(pg_url), dump_lines(reference_db))


# ---- a full disk ---------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1.5 MB tmpfs (needs root, as in CI's container); remounted larger by the test to 'free space'."""
    yield from mounted_tmpfs(tmp_path / "small_disk", "1536k", "cannot mount a small tmpfs here")


@pytest.mark.slow
def test_full_disk_stops_the_crawl_clearly_and_a_rerun_completes(small_disk: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{small_disk / 'joinfeedback.db'}"
    reference_db = f"sqlite:///{tmp_path / 'reference.db'}"
    with ReplicaServer(seed=13, size="medium", faults="") as srv:
        full = crawl(srv.base_url, db, env={"JOINFEEDBACK_STORE_RETRY_SECONDS": "2"})
        kept = dump_lines(db) if full.get("user_error") is None else set()
        assert crawl(srv.base_url, reference_db)["status"] == "finished"
        reference = dump_lines(reference_db)
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        if full.get("user_error") is not None:  # even the run record could not be written
            kept = dump_lines(db)
        rerun = crawl(srv.base_url, db)
    print(f"disk full: {full.get('summary') or full.get('user_error')}")
    if "summary" in full:
        assert full["status"] == "failed"
        assert full["returncode"] == 0
        assert "stopped: " in full["message"]
        assert "disk is full" in full["message"]
        given_up = len([e for e in full["errors"] if e.get("kind") == "failed"])
    else:
        assert full["returncode"] == 1
        assert "disk is full" in full["user_error"]
        given_up = -1
    assert kept
    assert not (kept - reference - {line for line in kept if line.startswith("endorsement_snapshot")})
    corrupted = len(kept - reference)
    row = (
        f"| SQLite disk full (1.5 MB tmpfs) | 1 | 0 | {given_up if given_up >= 0 else 'all in flight'} | "
        f"{full.get('status', 'error')} | 0 | {corrupted} | {rerun['status']} |"
    )
    FAULT_TABLE.append(row)
    print(row)
    assert rerun["status"] == "finished"
    assert_completes(dump_lines(db), reference)
    engine = open_database(db)
    with engine.connect() as conn:
        statuses = conn.execute(select(CrawlRun.status).order_by(CrawlRun.id)).scalars().all()
    engine.dispose()
    assert statuses[-1] == "finished"
    shutil.rmtree(small_disk, ignore_errors=True)
