"""Run locks: a second holder on one database is refused (exit code 3) or waits; a dead holder leaves none."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from base.errors import UserError
from joinfeedback.ops.lock import LOCKED_EXIT_CODE, is_locked, run_lock
from storage.db import open_database
from storage.locks import read_holders

HOLDER = textwrap.dedent(
    """
    import sys, time
    from storage.db import open_database
    from joinfeedback.ops.lock import run_lock
    engine = open_database(sys.argv[1])
    with run_lock(engine, sys.argv[2], shared=sys.argv[3] == "shared"):
        print("held", flush=True)
        sys.stdin.readline()  # hold until the test closes our stdin (or kills us)
    print("released", flush=True)
    """
)


@contextmanager
def holder_process(
    db_url: str, name: str = "crawl", *, shared: bool = False
) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock, as a second ``joinfeedback crawl`` would."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, db_url, name, "shared" if shared else "exclusive"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "held"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_second_holder_is_refused_with_who_and_since(db_url: str) -> None:
    engine = open_database(db_url)
    with holder_process(db_url) as other:
        with pytest.raises(UserError) as refused, run_lock(engine, "crawl"):
            pytest.fail("a second holder got the lock")
        assert refused.value.exit_code == LOCKED_EXIT_CODE == 3
        message = str(refused.value)
        assert message.startswith("another crawl is running on this database (pid ")
        assert f"pid {other.pid} " in message
        assert "since " in message
        assert is_locked(engine, "crawl")
        assert not is_locked(engine, "analysis")  # names are independent
    engine.dispose()


def test_waiting_holder_gets_the_lock_when_released(db_url: str) -> None:
    engine = open_database(db_url)
    with holder_process(db_url) as other:
        assert other.stdin is not None
        import threading

        threading.Timer(0.8, other.stdin.close).start()  # the other run finishes a little later
        with run_lock(engine, "crawl", wait=True, timeout=30) as held:
            assert held.waited > 0.5
            assert [h.holder for h in read_holders(engine, "crawl")] == [held.holder]
    assert not is_locked(engine, "crawl")
    assert read_holders(engine, "crawl") == []  # our row is gone too
    engine.dispose()


def test_wait_gives_up_after_timeout(db_url: str) -> None:
    engine = open_database(db_url)
    with holder_process(db_url), pytest.raises(UserError, match=r"gave up waiting after \d"):  # noqa: SIM117
        with run_lock(engine, "crawl", wait=True, timeout=0.5):
            pytest.fail("got a held lock")
    engine.dispose()


def test_killed_holder_leaves_no_stale_lock(db_url: str) -> None:
    engine = open_database(db_url)
    with holder_process(db_url) as other:
        os.kill(other.pid, signal.SIGKILL)
        other.wait(10)
        # Its row is still there (it had no chance to clean up), but the lock itself died with it.
        assert [h.holder.split()[1] for h in read_holders(engine, "crawl")] == [str(other.pid)]
        with run_lock(engine, "crawl", wait=True, timeout=10) as held:  # PostgreSQL notices the closed socket
            assert [h.holder for h in read_holders(engine, "crawl")] == [held.holder]
    engine.dispose()


def test_shared_holders_coexist_but_exclude_an_exclusive_one(db_url: str) -> None:
    engine = open_database(db_url)
    with (
        holder_process(db_url, shared=True) as worker,
        run_lock(engine, "crawl", shared=True),  # a second worker of the same distributed crawl
        pytest.raises(UserError, match=rf"another crawl is running .*pid {worker.pid} "),
        run_lock(engine, "crawl"),
    ):
        pytest.fail("an exclusive crawl ran beside workers")
    engine.dispose()


def test_sqlite_lock_file_sits_beside_the_database(sqlite_url: str) -> None:
    engine = open_database(sqlite_url)
    database = sqlite_url.removeprefix("sqlite:///")
    with run_lock(engine, "crawl"):
        assert os.path.exists(database + ".lock")
    with run_lock(engine, "analysis"):
        assert os.path.exists(database + ".analysis.lock")
    engine.dispose()
