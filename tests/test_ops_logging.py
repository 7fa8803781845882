"""Structured logs carry run ids; progress bars appear on a terminal and never in cron."""

from __future__ import annotations

import json
import logging
import os
import pty
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from joinfeedback.ops import progress
from joinfeedback.ops.logging import HANDLER_NAME, bind, setup

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(handler)
    root.handlers[:] = handlers
    root.setLevel(level)
    progress.set_quiet(False)


def test_key_value_lines_carry_bound_run_ids(capfd: pytest.CaptureFixture[str]) -> None:
    setup("INFO", "kv")
    log = logging.getLogger("crawler.test")
    with bind(crawl_run=12):
        log.info("stored %d items", 3, extra={"spider": "policies"})
        with bind(step="crawl"):
            log.warning('odd page "x"')
    log.info("outside")
    lines = capfd.readouterr().err.splitlines()
    assert (
        lines[0].split(" ", 1)[1]
        == 'level=info logger=crawler.test crawl_run=12 spider=policies msg="stored 3 items"'
    )
    assert lines[1].endswith('crawl_run=12 step=crawl msg="odd page \\"x\\""')
    assert "crawl_run" not in lines[2]


def test_json_lines_parse_and_keep_chinese_text(capfd: pytest.CaptureFixture[str]) -> None:
    setup("INFO", "json")
    with bind(analysis_run=3):
        logging.getLogger("analysis").info("%d 則留言", 5)
    record = json.loads(capfd.readouterr().err.strip())
    assert record["analysis_run"] == 3
    assert record["msg"] == "5 則留言"
    assert record["level"] == "info"
    assert record["time"].startswith("20")


def test_quiet_keeps_only_warnings_and_errors(capfd: pytest.CaptureFixture[str]) -> None:
    setup("DEBUG", "kv", quiet=True)
    logging.getLogger("x").info("progress chatter")
    logging.getLogger("x").error("a real problem")
    err = capfd.readouterr().err
    assert "progress chatter" not in err
    assert "a real problem" in err


def test_setup_twice_replaces_rather_than_duplicates(capfd: pytest.CaptureFixture[str]) -> None:
    setup("INFO", "kv")
    setup("INFO", "json")
    logging.getLogger("x").info("once")
    assert len(capfd.readouterr().err.strip().splitlines()) == 1


def test_no_progress_bar_without_a_terminal(capfd: pytest.CaptureFixture[str]) -> None:
    with progress.progress("crawling", total=3) as bar:
        for _ in range(3):
            bar.advance()
    assert bar.completed == 3
    assert list(progress.track([1, 2], "analysing")) == [1, 2]
    assert capfd.readouterr().err == ""


BAR_SCRIPT = textwrap.dedent(
    """
    import sys
    from joinfeedback.ops import progress
    from joinfeedback.ops.logging import setup
    setup("INFO", "kv", quiet=sys.argv[1] == "quiet")
    for _ in progress.track(range(5), "analysing comments"):
        pass
    print("done", file=sys.stderr)
    """
)


def run_on_terminal(*args: str) -> str:
    """Run the script with stderr on a pseudo-terminal, as a person at a shell would."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", BAR_SCRIPT, *args],
        cwd=ROOT,
        stderr=secondary,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(30)
    os.close(primary)
    return b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_on_a_terminal_unless_quiet() -> None:
    shown = run_on_terminal("loud")
    assert "analysing comments" in shown
    assert "5/5" in shown
    quiet = run_on_terminal("quiet")
    assert "analysing comments" not in quiet
    assert "done" in quiet


def test_a_child_process_inherits_the_bound_fields() -> None:
    from joinfeedback.ops.logging import context_environment

    script = "\n".join(
        [
            "import logging",
            "from joinfeedback.ops.logging import setup",
            "setup()",
            "logging.getLogger('c').warning('hi')",
        ]
    )
    with bind(schedule_run=2, step="crawl"):
        env = {**os.environ, **context_environment()}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert "schedule_run=2 step=crawl msg=hi" in done.stderr


def test_scrapy_lines_carry_the_crawl_run_from_the_spider_settings(capfd: pytest.CaptureFixture[str]) -> None:
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    setup("INFO", "kv")
    crawler = get_crawler(Spider, {"JOINFEEDBACK_RUN_ID": 12})
    spider = Spider.from_crawler(crawler, name="policies")
    logging.getLogger("scrapy.core.engine").info("Spider opened", extra={"spider": spider})
    assert 'crawl_run=12 spider=policies msg="Spider opened"' in capfd.readouterr().err
