"""``joinfeedback schedule``: chains on a cron expression, never overlapping, stopping on request."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from base.errors import UserError
from joinfeedback.config import load_config
from joinfeedback.ops.lock import run_lock
from joinfeedback.ops.schedule import Step, run_schedule
from joinfeedback.ops.status import status_report
from storage.db import open_database
from storage.models import AnalysisRun, CrawlRun

ROOT = Path(__file__).resolve().parents[1]
EVERY_SECOND = "* * * * * *"


def python_step(name: str, code: str) -> Step:
    return Step(name, (sys.executable, "-c", code))


def journal_step(name: str, journal: Path, seconds: float = 0.0, exit_code: int = 0) -> Step:
    """A step that notes when it ran (and with which database) in ``journal``."""
    code = textwrap.dedent(f"""
        import json, os, sys, time
        began = time.time()
        time.sleep({seconds})
        with open({str(journal)!r}, "a") as out:
            out.write(json.dumps({{"step": {name!r}, "began": began, "ended": time.time(),
                                  "db": os.environ["JOINFEEDBACK_DB_URL"]}}) + "\\n")
        sys.exit({exit_code})
    """)
    return python_step(name, code)


def journal(path: Path) -> list[dict[str, Any]]:  # the JSON lines the steps wrote
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def config(sqlite_url: str):
    return load_config(overrides={"db_url": sqlite_url})


def test_chains_run_in_order_never_overlap_and_stop_after_max_runs(config, tmp_path: Path) -> None:
    notes = tmp_path / "journal.jsonl"
    # Each chain outlasts the one-second interval: the firings in between must be skipped, not stacked.
    steps = [
        journal_step("crawl", notes, seconds=1.2),
        journal_step("analyze", notes),
        journal_step("report", notes),
    ]
    summary = run_schedule(config, EVERY_SECOND, max_runs=2, steps=steps)
    assert summary.stopped_by == "max_runs=2"
    assert summary.exit_code == 0
    assert [c.number for c in summary.chains] == [1, 2]
    assert all(c.ok for c in summary.chains)
    entries = journal(notes)
    assert [e["step"] for e in entries] == ["crawl", "analyze", "report"] * 2
    assert all(later["began"] >= earlier["ended"] for earlier, later in itertools.pairwise(entries))
    assert {e["db"] for e in entries} == {config.db_url}  # the steps see this process's configuration


def test_a_failed_step_ends_its_chain(config, tmp_path: Path) -> None:
    notes = tmp_path / "journal.jsonl"
    steps = [journal_step("crawl", notes, exit_code=1), journal_step("analyze", notes)]
    summary = run_schedule(config, EVERY_SECOND, max_runs=1, steps=steps)
    assert [e["step"] for e in journal(notes)] == ["crawl"]
    assert [(s.name, s.exit_code) for s in summary.chains[0].steps] == [("crawl", 1)]
    assert summary.exit_code == 1


def test_stop_request_interrupts_the_running_step_and_runs_no_further(config, tmp_path: Path) -> None:
    notes = tmp_path / "journal.jsonl"
    started = tmp_path / "started"
    stop = threading.Event()
    long_step = python_step(
        "crawl", f"import pathlib, time; pathlib.Path({str(started)!r}).touch(); time.sleep(600)"
    )

    def request_stop_once_started() -> None:
        while not started.exists():
            threading.Event().wait(0.05)
        stop.set()

    threading.Thread(target=request_stop_once_started, daemon=True).start()
    summary = run_schedule(
        config, EVERY_SECOND, stop_event=stop, steps=[long_step, journal_step("analyze", notes)]
    )
    assert summary.stopped_by == "stop requested"
    assert len(summary.chains) == 1
    assert summary.chains[0].steps[0].exit_code != 0  # interrupted by the forwarded SIGINT, not finished
    assert journal(notes) == []  # analyze never ran


def test_a_second_scheduler_on_the_same_database_skips_its_turn(config, tmp_path: Path) -> None:
    notes = tmp_path / "journal.jsonl"
    engine = open_database(config.db_url)
    with run_lock(engine, "schedule"):  # another scheduler's chain is running
        summary = run_schedule(config, EVERY_SECOND, max_runs=1, steps=[journal_step("crawl", notes)])
    engine.dispose()
    assert summary.chains[0].skipped.startswith("another schedule is running on this database")
    assert journal(notes) == []
    assert summary.exit_code == 0


def test_sigterm_stops_the_scheduler_cleanly(sqlite_url: str, tmp_path: Path) -> None:
    started = tmp_path / "started"
    script = textwrap.dedent(f"""
        import sys
        from joinfeedback.config import load_config
        from joinfeedback.ops.schedule import Step, run_schedule
        step = Step("crawl", (sys.executable, "-c",
                    "import pathlib, time; pathlib.Path({str(started)!r}).touch(); time.sleep(600)"))
        config = load_config(overrides={{"db_url": {sqlite_url!r}}})
        summary = run_schedule(config, "* * * * * *", steps=[step])
        print(summary.stopped_by, [s.exit_code for c in summary.chains for s in c.steps])
    """)
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "JOINFEEDBACK_QUIET": "1"},
    )
    deadline = 60.0
    while not started.exists():
        assert process.poll() is None, process.communicate()[1]
        threading.Event().wait(0.05)
        deadline -= 0.05
        assert deadline > 0, "the step never started"
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.startswith("SIGTERM [")
    assert "[0]" not in out


def test_bad_expressions_are_user_errors(config) -> None:
    with pytest.raises(UserError, match="cron expression '\\* \\* \\*' has 3 fields"):
        run_schedule(config, "* * *", max_runs=1)
    with pytest.raises(UserError, match="max-runs must be at least 1"):
        run_schedule(config, EVERY_SECOND, max_runs=0)


@pytest.mark.slow
def test_real_chain_runs_twice_against_the_replica_then_stops_on_request(tmp_path: Path) -> None:
    from replica.server import ReplicaServer

    db_url = f"sqlite:///{tmp_path / 'jf.db'}"
    stop = threading.Event()
    with ReplicaServer(seed=1, size="small", faults="") as replica:
        config = load_config(
            overrides={
                "db_url": db_url,
                "base_url": replica.base_url,
                "profile": "local",
                "report_dir": str(tmp_path / "report"),
                "quiet": True,
            }
        )
        summary = run_schedule(
            config,
            "*/5 * * * * *",
            stop_event=stop,
            on_chain=lambda chain: stop.set() if chain.number >= 2 else None,
        )
    assert summary.stopped_by == "stop requested"
    assert [c.number for c in summary.chains] == [1, 2]
    # the site check runs before the first crawl, and not again on the same day once it passed
    same_day = summary.chains[0].started_at.date() == summary.chains[1].started_at.date()
    chain = [("crawl", 0), ("analyze", 0), ("report", 0)]
    assert [[(s.name, s.exit_code) for s in c.steps] for c in summary.chains] == [
        [("check", 0), *chain],
        chain if same_day else [("check", 0), *chain],
    ]
    engine = open_database(db_url)
    with engine.connect() as conn:
        statuses = conn.execute(select(CrawlRun.kind, CrawlRun.status)).all()
        assert [status for kind, status in statuses if kind == "crawl"] == ["finished", "finished"]
        assert {status for kind, status in statuses if kind == "check"} == {"finished"}
        assert conn.execute(select(AnalysisRun.status)).scalars().all() == ["complete", "complete"]
    text, code = status_report(engine, config)
    engine.dispose()
    assert code == 0, text
    assert "last site check: #1 finished" in text
    assert (tmp_path / "report" / "index.html").is_file()


@pytest.mark.slow
def test_a_failed_site_check_stops_the_chain_before_the_crawl_and_status_says_so(tmp_path: Path) -> None:
    from replica.server import ReplicaServer

    db_url = f"sqlite:///{tmp_path / 'jf.db'}"
    # the site's list pages changed layout: a crawl would give up on every proposal list
    with ReplicaServer(seed=7, size="small", faults="layout=after:0") as replica:
        config = load_config(
            overrides={
                "db_url": db_url,
                "base_url": replica.base_url,
                "profile": "local",
                "report_dir": str(tmp_path / "report"),
                "quiet": True,
            }
        )
        summary = run_schedule(config, EVERY_SECOND, max_runs=1)
    assert [(s.name, s.exit_code) for s in summary.chains[0].steps] == [("check", 1)]
    assert summary.exit_code == 1
    engine = open_database(db_url)
    with engine.connect() as conn:
        assert conn.execute(select(CrawlRun.kind, CrawlRun.status)).all() == [("check", "failed")]
        assert conn.execute(select(AnalysisRun.id)).all() == []
    text, code = status_report(engine, config)
    engine.dispose()
    assert code == 1
    assert "last crawl: none yet" in text
    assert "last site check: #1 failed" in text
    assert "  check FAILED: 4 page types lack required data (idea_list ENDORSING" in text
    assert "status: FAILED — site check #1 failed: the scheduled crawl waits for a check that passes" in text
    assert not (tmp_path / "report").exists()


@pytest.mark.slow
def test_schedule_command_runs_the_chain_from_the_configuration_file(tmp_path: Path, cli) -> None:
    from replica.server import ReplicaServer

    db_url = f"sqlite:///{tmp_path / 'jf.db'}"
    with ReplicaServer(seed=1, size="small", faults="") as replica:
        settings = tmp_path / "joinfeedback.toml"
        settings.write_text(
            f'db_url = "{db_url}"\nbase_url = "{replica.base_url}"\nprofile = "local"\n'
            f'report_dir = "{tmp_path / "site"}"\ncron = "*/2 * * * * *"\n',
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("JOINFEEDBACK_")}
        done = subprocess.run(
            [sys.executable, "-m", "joinfeedback", "--config", str(settings), "schedule", "--max-runs", "1"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    engine = open_database(db_url)
    with engine.connect() as conn:
        assert conn.execute(select(CrawlRun.kind, CrawlRun.status)).all() == [
            ("check", "finished"),
            ("crawl", "finished"),
        ]
        assert conn.execute(select(AnalysisRun.status)).scalars().all() == ["complete"]
    engine.dispose()
    assert (tmp_path / "site" / "index.html").is_file()
