"""What `joinfeedback crawl` says when it cannot or must not crawl: a site that is down, consultation ids that
are malformed or that the site does not have. One line each, the right exit code, and nothing recorded that
`status` would then report as a failed crawl. Every case runs the real command."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
