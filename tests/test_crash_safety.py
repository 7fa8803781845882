"""Crash safety: ``kill -9`` at seeded random moments of ``crawl``, ``analyze`` and ``report``, then rerun.

Each command runs as a real subprocess (``python -m joinfeedback …``) against the replica (size small). Kill
times are drawn from a seeded RNG, one per equal slice of the command's measured uninterrupted duration,
so they spread over the whole run (start-up and migrations included). After each kill we look at what was
left (between kill and rerun), rerun the command to completion and compare with an uninterrupted run:

- crawl: ``storage.dump.canonical_dump`` equals the uninterrupted crawl's;
- analyze: the latest complete run right after the kill is the previous one, intact, and no other run is
  ``complete``; after the rerun its assignments/clusters/campaigns equal the uninterrupted run's (run ids
  may differ, content may not);
- report: the folder after the kill is absent, the previous report or the new one, byte for byte (never a
  mixture); after the rerun it is byte-identical to an uninterrupted build, with no staging leftovers.

``pytest tests/test_crash_safety.py -q -s`` prints the table kept in docs/reliability.md.
``JOINFEEDBACK_CRASH_SEED`` changes the kill times.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from replica.server import ReplicaServer
from storage import analysis_store
from storage.db import open_database, session_factory
from storage.dump import canonical_dump

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("JOINFEEDBACK_CRASH_SEED", "20240601"))
KILLS = {"crawl": 8, "analyze": 6, "report": 6}
ROOT = Path(__file__).resolve().parents[1]


@dataclass(slots=True)
class Trial:
    command: str
    number: int
    kill_at: float  # seconds after start
    duration: float  # the uninterrupted run's
    killed: bool  # False: the command had finished before the kill time
    left: str  # what the kill left behind, as seen before the rerun
    rerun_ok: bool
    equal: bool  # equal to the uninterrupted run after the rerun
    lost: int  # rows or files of the uninterrupted result missing or different after the rerun


# ------------------------------------------------------------------------------------------- helpers


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINFEEDBACK_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _argv(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "joinfeedback", "--quiet", *args]


def run_to_end(args: list[str], cwd: Path) -> float:
    started = time.monotonic()
    result = subprocess.run(
        _argv(args), cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{args[0]} exited {result.returncode}: {result.stderr[-2000:]}"
    return time.monotonic() - started


def run_and_kill(args: list[str], cwd: Path, at: float) -> bool:
    """Start the command, SIGKILL its process group ``at`` seconds later; ``True`` if it was still running."""
    process = subprocess.Popen(
        _argv(args),
        cwd=cwd,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        process.wait(timeout=at)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return True


def kill_times(rng: random.Random, duration: float, n: int) -> list[float]:
    """One uniformly drawn moment in each of ``n`` equal slices of the first 95 % of ``duration``."""
    return [round((i + rng.random()) / n * duration * 0.95, 2) for i in range(n)]


def sqlite_integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def _row(obj: Any) -> tuple[Any, ...]:
    columns = [c.key for c in obj.__table__.columns if c.key not in {"id", "run_id"}]
    return tuple(repr(getattr(obj, c)) for c in columns)


def run_content(url: str, run_id: int | None = None) -> tuple[int | None, dict[str, list[tuple[Any, ...]]]]:
    """(id, rows) of a run (default: the latest complete one), rows without surrogate and run ids."""
    engine = open_database(url)
    try:
        with session_factory(engine)() as session:
            if run_id is None:
                run = analysis_store.latest_complete_run(session)
                if run is None:
                    return None, {}
                run_id = run.id
            return run_id, {
                "assignment": sorted(_row(a) for a in analysis_store.assignments_for_run(session, run_id)),
                "cluster": sorted(_row(c) for c in analysis_store.clusters_for_run(session, run_id)),
                "campaign": sorted(_row(c) for c in analysis_store.campaigns_for_run(session, run_id)),
            }
    finally:
        engine.dispose()


def run_statuses(path: Path) -> list[tuple[int, str, int, int]]:
    """(id, status, n_items, assignments stored) of every analysis run."""
    with sqlite3.connect(path) as conn:
        return [
            tuple(row)
            for row in conn.execute(
                "SELECT r.id, r.status, r.n_items, (SELECT count(*) FROM assignment a WHERE a.run_id = r.id) "
                "FROM analysis_run r ORDER BY r.id"
            )
        ]


def folder_files(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _lost(expected: dict[str, Any] | list[Any], actual: dict[str, Any] | list[Any]) -> int:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), "a stored mapping became a list"
        return sum(1 for key, value in expected.items() if actual.get(key) != value)
    have = set(actual)
    return sum(1 for row in expected if row not in have)


# ------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def trials() -> Iterator[list[Trial]]:
    """Collects every trial; prints the table at the end of the module (``-s`` shows it)."""
    collected: list[Trial] = []
    yield collected
    if collected:
        print("\n" + format_table(collected))


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    with ReplicaServer(seed=1, size="small") as server:
        yield server


@pytest.fixture(scope="module")
def baseline(replica: ReplicaServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Uninterrupted runs: crawl → analyze (run A) → analyze (run B) → report (of B; an older one of A)."""
    work = tmp_path_factory.mktemp("baseline")
    crawled = work / "crawled.db"
    url = f"sqlite:///{crawled}"
    crawl_s = run_to_end(["crawl", "--base-url", replica.base_url, "--profile", "local", "--db", url], work)
    analysed_once = work / "analysed_once.db"
    shutil.copy(crawled, analysed_once)
    run_to_end(["analyze", "--db", f"sqlite:///{analysed_once}"], work)
    analysed_twice = work / "analysed_twice.db"
    shutil.copy(analysed_once, analysed_twice)
    analyze_s = run_to_end(["analyze", "--db", f"sqlite:///{analysed_twice}"], work)
    run_to_end(["report", "--db", f"sqlite:///{analysed_once}", "--out", str(work / "old_report")], work)
    report_s = run_to_end(
        ["report", "--db", f"sqlite:///{analysed_twice}", "--out", str(work / "report")], work
    )
    engine = open_database(url)
    dump = canonical_dump(engine)
    engine.dispose()
    return {
        "work": work,
        "dump": dump,
        "crawl_s": crawl_s,
        "analyze_s": analyze_s,
        "report_s": report_s,
        "analysed_once": analysed_once,
        "analysed_twice": analysed_twice,
        "run_a": run_content(f"sqlite:///{analysed_once}"),
        "run_b": run_content(f"sqlite:///{analysed_twice}")[1],
        "old_report": folder_files(work / "old_report"),
        "report": folder_files(work / "report"),
    }


# ------------------------------------------------------------------------------------------- tests


def test_crawl_survives_kill_9(
    replica: ReplicaServer, baseline: dict[str, Any], trials: list[Trial], tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    expected = baseline["dump"].splitlines()
    for number, at in enumerate(kill_times(rng, baseline["crawl_s"], KILLS["crawl"]), start=1):
        db = tmp_path / f"crawl{number}.db"
        args = ["crawl", "--base-url", replica.base_url, "--profile", "local", "--db", f"sqlite:///{db}"]
        killed = run_and_kill(args, tmp_path, at)
        left = "no database yet"
        if db.exists():
            integrity = sqlite_integrity(db)
            assert integrity == "ok", f"crawl killed at {at}s left a damaged database: {integrity}"
            with sqlite3.connect(db) as conn:
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                comments = (
                    conn.execute("SELECT count(*) FROM comment").fetchone()[0] if "comment" in tables else 0
                )
            left = f"integrity ok, {comments} comments"
        run_to_end(args, tmp_path)
        engine = open_database(f"sqlite:///{db}")
        dump = canonical_dump(engine)
        engine.dispose()
        trial = Trial(
            "crawl",
            number,
            at,
            baseline["crawl_s"],
            killed,
            left,
            True,
            dump == baseline["dump"],
            _lost(expected, dump.splitlines()),
        )
        trials.append(trial)
        assert trial.equal, f"crawl killed at {at}s, then rerun: database differs ({trial.lost} rows lost)"


def test_analysis_survives_kill_9(baseline: dict[str, Any], trials: list[Trial], tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    run_a_id, run_a = baseline["run_a"]
    expected = baseline["run_b"]
    for number, at in enumerate(kill_times(rng, baseline["analyze_s"], KILLS["analyze"]), start=1):
        db = tmp_path / f"analyze{number}.db"
        shutil.copy(baseline["analysed_once"], db)
        url = f"sqlite:///{db}"
        killed = run_and_kill(["analyze", "--db", url], tmp_path, at)
        assert sqlite_integrity(db) == "ok"
        runs = run_statuses(db)
        complete = [r for r in runs if r[1] == "complete"]
        # the kill can land after the new run's final commit but before the process exits: that run is
        # then complete, and must be whole and equal to an uninterrupted run (checked below)
        finished_before_kill = killed and [r[0] for r in complete][:1] == [run_a_id] and len(complete) == 2
        if killed and not finished_before_kill:
            assert [r[0] for r in complete] == [run_a_id], f"killed at {at}s: runs {runs}"
            assert run_content(url) == (run_a_id, run_a), f"killed at {at}s: run {run_a_id} changed"
        # whatever happened, no complete run is short of rows and nothing half-written is complete
        assert all(n_items == stored for _, _, n_items, stored in complete), runs
        assert all(stored == 0 for _, status, _, stored in runs if status != "complete"), runs
        left = ", ".join(f"#{i} {status}" for i, status, _, _ in runs)
        if killed and not finished_before_kill:  # a finished run is complete already: no third run
            run_to_end(["analyze", "--db", url], tmp_path)
        latest_id, content = run_content(url)
        trial = Trial(
            "analyze",
            number,
            at,
            baseline["analyze_s"],
            killed,
            left,
            True,
            content == expected,
            sum(_lost(expected[k], content.get(k, [])) for k in expected),
        )
        trials.append(trial)
        assert trial.equal, f"analysis killed at {at}s, then rerun: run {latest_id} differs"


def test_report_survives_kill_9(baseline: dict[str, Any], trials: list[Trial], tmp_path: Path) -> None:
    rng = random.Random(SEED + 2)
    expected, old = baseline["report"], baseline["old_report"]
    url = f"sqlite:///{baseline['analysed_twice']}"
    for number, at in enumerate(kill_times(rng, baseline["report_s"], KILLS["report"]), start=1):
        out = tmp_path / f"report{number}"
        replacing = number % 2 == 0  # half the builds replace an earlier report, half start from nothing
        if replacing:
            shutil.copytree(baseline["work"] / "old_report", out)
        killed = run_and_kill(["report", "--db", url, "--out", str(out)], tmp_path, at)
        files = folder_files(out)
        state = {id(expected): "new report", id(old): "previous report"}
        found = next((state[id(ref)] for ref in (expected, old) if files == ref), None)
        if found is None:
            assert not files, f"report killed at {at}s left a mixed folder: {sorted(files)[:5]}"
            assert not replacing, f"report killed at {at}s removed the previous report"
            found = "no folder"
        leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(f".{out.name}."))
        left = f"{found}, {len(leftovers)} staging folder(s)"
        run_to_end(["report", "--db", url, "--out", str(out)], tmp_path)
        files = folder_files(out)
        leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(f".{out.name}."))
        assert not leftovers, f"staging leftovers after the rerun: {leftovers}"
        trial = Trial(
            "report",
            number,
            at,
            baseline["report_s"],
            killed,
            left,
            True,
            files == expected,
            _lost(expected, files),
        )
        trials.append(trial)
        assert trial.equal, f"report killed at {at}s, then rebuilt: {trial.lost} files differ"


# ------------------------------------------------------------------------------------------- table


def format_table(rows: list[Trial]) -> str:
    lines = [
        f"crash safety (seed {SEED}): kill -9, inspect, rerun, compare with an uninterrupted run",
        "",
        "| command | # | kill at (s) / run (s) | killed | left behind (before rerun) | rerun | equal "
        "| lost |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in rows:
        lines.append(
            f"| {t.command} | {t.number} | {t.kill_at:.2f} / {t.duration:.1f} "
            f"| {'yes' if t.killed else 'finished'} "
            f"| {t.left} | {'ok' if t.rerun_ok else 'FAILED'} | {'yes' if t.equal else 'NO'} | {t.lost} |"
        )
    killed = sum(t.killed for t in rows)
    survived = sum(t.killed and t.equal for t in rows)
    lines += [
        "",
        f"{len(rows)} cases, {killed} killed mid-run, {survived} survived, "
        f"{sum(t.lost for t in rows)} rows/files lost",
    ]
    return "\n".join(lines)
