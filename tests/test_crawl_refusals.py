"""What `joinfeedback crawl` says when it cannot or must not crawl: a site that is down, consultation ids that
are malformed or that the site does not have. One line each, the right exit code, and nothing recorded that
`status` would then report as a failed crawl. Every case runs the real command."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

from replica.server import ReplicaServer

ROOT = Path(__file__).resolve().parents[1]
POLICY = "031e9918-59d5-4a1a-b105-96af228f3147"  # the replica's OGP consultation (any seed)


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINFEEDBACK_")}
    return subprocess.run(
        [sys.executable, "-m", "joinfeedback", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
        check=False,
    )


def down_site() -> str:
    """A base URL on 127.0.0.1 where nothing listens (a port just released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_check_of_a_site_that_is_down_says_it_is_unreachable(tmp_path: Path) -> None:
    base_url = down_site()
    done = cli(
        "crawl",
        "--check",
        "--base-url",
        base_url,
        "--profile",
        "local",
        "--db",
        f"sqlite:///{tmp_path / 'x.db'}",
    )
    output = done.stdout + done.stderr
    assert done.returncode == 4, output
    assert "robots.txt disallows" not in output
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith(f"joinfeedback crawl: error: {base_url} is unreachable")
    assert not (tmp_path / "x.db").exists()


def test_crawl_log_lines_carry_no_traceback_without_debug(tmp_path: Path) -> None:
    base_url = down_site()
    args = ("crawl", "--base-url", base_url, "--profile", "local", "--spider", "policies")
    quiet = cli(*args, "--db", f"sqlite:///{tmp_path / 'a.db'}")
    assert quiet.returncode == 1, quiet.stdout + quiet.stderr
    assert "Connection was refused" in quiet.stderr  # the failure is logged, as one line each
    assert "Traceback" not in quiet.stderr
    assert all(line.startswith(("time=", "joinfeedback crawl:", "  ")) for line in quiet.stderr.splitlines())
    debug = cli("--debug", *args, "--db", f"sqlite:///{tmp_path / 'b.db'}")
    assert "Traceback (most recent call last)" in debug.stderr  # --debug still shows where it failed


def test_crawl_policy_refuses_malformed_ids_before_anything(tmp_path: Path) -> None:
    db = tmp_path / "never.db"
    base = ("crawl", "--base-url", down_site(), "--profile", "local", "--db", f"sqlite:///{db}")
    for asked in (
        ["--policy", "not-a-uuid"],
        ["--policy", "031e9918-59d5"],
        ["--spider", "ideas", "--policy", POLICY],
    ):
        done = cli(*base, *asked)
        assert done.returncode == 2, done.stdout + done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert done.stderr.startswith("joinfeedback crawl: error: --policy")
    assert not db.exists()  # refused before the database was opened: no run to report as failed


def counts(db: Path) -> list[int]:
    """Crawl runs, raw payloads and comments stored."""
    with sqlite3.connect(db) as connection:
        return [
            connection.execute(f"select count(*) from {table}").fetchone()[0]
            for table in ("crawl_run", "raw_payload", "comment")
        ]


def test_crawl_policy_matches_upper_case_and_refuses_an_unknown_consultation(tmp_path: Path) -> None:
    db = tmp_path / "crawl.db"
    with ReplicaServer(seed=1, size="small") as srv:
        base = ("crawl", "--base-url", srv.base_url, "--profile", "local", "--db", f"sqlite:///{db}")
        known = cli(*base, "--policy", POLICY.upper())
        assert known.returncode == 0, known.stderr
        with sqlite3.connect(db) as connection:
            assert connection.execute("select uuid from policy").fetchall() == [(POLICY,)]
        before = counts(db)
        unknown = "00000000-0000-4000-8000-000000000000"
        refused = cli(*base, "--policy", unknown, POLICY)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stderr.strip().splitlines() == [
        f"joinfeedback crawl: error: --policy {unknown}: 127.0.0.1 has no such consultation (its open-data "
        "list of consultations does not name it); nothing was crawled or recorded"
    ]
    assert counts(db) == before  # no run, no payload, no row
    status = cli("status", "--db", f"sqlite:///{db}")
    assert status.returncode == 0, status.stdout  # the last crawl is still the good one
