"""The crawler against the replica's shape variants: the real shapes recorded so far (2017 open data with
English keys, the Knockout skeleton page, an empty list state, numbers as strings, the 「無」 sentinel), every
optional field left out at random, and a board that is not JSON. The required data stored is the same in every
variant; warnings name what was missing; only lost required data fails the crawl. ``crawl --check`` against
each variant prints its table and stores nothing.

Crawls run in subprocesses (Twisted's reactor cannot restart); the check runs in this process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawler.check import run_check
from storage.db import open_database
from storage.models import CrawlRun, Policy
from tests.test_crawl_replica import crawl, expected_counts, stored_counts

replica_server = pytest.importorskip("replica.server", reason="the replica is not built yet")
ReplicaServer = replica_server.ReplicaServer
ROOT = Path(__file__).resolve().parents[1]

# variant -> page types that must warn (and nothing else may)
VARIANTS = {
    "": set(),
    "opendata2017": {"opendata_policy"},
    "skeleton": {"policy_detail"},
    "empty_list": set(),
    "strings": set(),
    "sentinel": {"opendata_policy"},  # 「無」 as agency and closing date: the page block gives them
    "real": {"opendata_policy", "policy_detail"},
    "drop": {
        "opendata_policy",
        "policy_detail",
        "comment_board",
        "idea_list",
        "idea_detail",
        "opendata_idea",
    },
}


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "JOINFEEDBACK_DB"}
    return subprocess.run(
        [sys.executable, "-m", "joinfeedback", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("shapes", list(VARIANTS), ids=[v or "contract" for v in VARIANTS])
def test_every_variant_stores_the_required_data(sqlite_url: str, shapes: str) -> None:
    with ReplicaServer(seed=7, size="small", shapes=shapes) as srv:
        result = crawl(srv.base_url, sqlite_url)
        manifest = srv.manifest()
    assert result["status"] == "finished", result["errors"][:3]
    assert result["errors"] == [], result["errors"][:3]
    stored, expected = stored_counts(sqlite_url), expected_counts(manifest)
    if shapes == "drop":
        # An agency is told by its author's registration fields, which are optional: a reply whose page
        # left them out is stored as a citizen's comment (never the other way round).
        assert stored.pop("agency_replies") <= expected.pop("agency_replies")
    assert stored == expected
    engine = open_database(sqlite_url)
    with engine.connect() as conn:
        warnings: list[Any] = conn.execute(select(CrawlRun.warnings)).scalar_one()
        titles = conn.execute(select(Policy.title)).scalars().all()
    engine.dispose()
    assert {w["page_type"] for w in warnings} == VARIANTS[shapes], warnings
    assert all(w["count"] > 0 and w["examples"] and w["tried"] for w in warnings)
    if shapes in {"skeleton", "opendata2017", "real"}:  # titles from <title> or open data
        assert all(titles)
    if "empty_list" in shapes or shapes == "real":
        assert manifest["ideas_by_status"]["CLOSED"] == 0


def policy_rows(db_url: str) -> dict[str, dict[str, object]]:
    engine = open_database(db_url)
    with engine.connect() as conn:
        rows = conn.execute(select(Policy.uuid, Policy.body, Policy.attachments, Policy.missing_fields)).all()
    engine.dispose()
    return {r.uuid: {"body": r.body, "attachments": r.attachments, "missing": r.missing_fields} for r in rows}


def test_fields_found_again_are_fetched_again_and_never_erased(tmp_path: Path) -> None:
    """Skeleton pages: consultations stored without body and attachments. The real layout back: one page
    (the probe) shows the fields are given again, so every incomplete consultation is fetched again. Skeleton
    pages again (and their counts changed): what was stored is kept."""
    db, reference = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'ref.db'}"
    with ReplicaServer(seed=10, size="small", shapes="skeleton") as srv:
        crawl(srv.base_url, db)
        degraded = policy_rows(db)
        # agency and dates come from the open data; body and attachments only from the guessed block
        assert all(r["body"] == "" and r["missing"] == ["body", "attachments"] for r in degraded.values()), (
            degraded
        )
        srv.set_shapes("")
        before = srv.stats()["by_kind"].get("policy_detail", 0)
        again = crawl(srv.base_url, db)
        assert srv.stats()["by_kind"]["policy_detail"] - before == len(degraded)  # the probe, then the rest
        assert again["warnings"] == []
        crawl(srv.base_url, reference)
        complete = policy_rows(db)
        assert complete == policy_rows(reference)
        assert all(r["body"] and r["missing"] == [] for r in complete.values())
        srv.set_shapes("skeleton")
        srv.advance(1)  # new comments: the open consultations' pages are fetched again, as skeletons
        third = crawl(srv.base_url, db)
        assert {w["page_type"] for w in third["warnings"]} == {"policy_detail"}
        kept = policy_rows(db)
        assert all(kept[uuid]["body"] == complete[uuid]["body"] for uuid in kept)
        assert all(kept[uuid]["attachments"] == complete[uuid]["attachments"] for uuid in kept)


def test_empty_list_and_real_shapes_exit_0_and_status_shows_the_warnings(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'real.db'}"
    with ReplicaServer(seed=8, size="small", shapes="real") as srv:
        done = cli("crawl", "--base-url", srv.base_url, "--profile", "local", "--db", db, "--quiet")
    assert done.returncode == 0, done.stderr[-2000:]
    status = cli("status", "--db", db)
    assert status.returncode == 0, status.stdout
    assert "warnings: fields the pages did not give" in status.stdout
    assert "policy_detail:" in status.stdout
    assert "body ×" in status.stdout
    assert "e.g. http://127.0.0.1:" in status.stdout


def test_a_board_that_is_not_json_fails_the_crawl_naming_the_pages(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'noboard.db'}"
    with ReplicaServer(seed=9, size="policies=3,comments=40,ideas=5", shapes="no_board") as srv:
        done = cli(
            "crawl",
            "--base-url",
            srv.base_url,
            "--profile",
            "local",
            "--db",
            db,
            "--quiet",
            "--spider",
            "policies",
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "required data missing or not fetched on 3 pages" in done.stderr, done.stderr
    board_lines = [line for line in done.stderr.splitlines() if line.startswith("  http")]
    assert len(board_lines) == 3
    assert all("required comment board not found" in line for line in board_lines)


@pytest.mark.parametrize(
    "shapes", [*VARIANTS, "no_board"], ids=[v or "contract" for v in [*VARIANTS, "no_board"]]
)
def test_check_prints_a_table_per_page_type_and_stores_nothing(shapes: str, tmp_path: Path) -> None:
    with ReplicaServer(seed=7, size="small", shapes=shapes) as srv:
        report = run_check(srv.base_url, profile="local")
        served = srv.stats()["by_kind"]
    table = report.table()
    print(table)
    types = [r.page_type for r in report.rows]
    assert types[:3] == ["opendata_policy", "policy_detail", "comment_board"]
    assert [t for t in types if t.startswith("idea_list")] == [
        "idea_list ENDORSING",
        "idea_list ADVICE",
        "idea_list COMPLETED",
        "idea_list CLOSED",
    ]
    assert "opendata_idea" in types
    assert types[-1] == "idea_detail"
    assert sum(served.values()) == len(report.rows) + 1  # one request per page, plus robots.txt
    assert report.ok == (shapes != "no_board")
    if shapes == "no_board":
        board = next(r for r in report.rows if r.page_type == "comment_board")
        assert board.result == "FAIL"
        assert "required comment board not found" in board.problem
        assert "check FAILED" in table
    else:
        assert "check ok" in table
    if "skeleton" in shapes or shapes == "real":
        detail = next(r for r in report.rows if r.page_type == "policy_detail")
        assert detail.shape.startswith("Knockout skeleton")
        assert "body" in detail.missing
    if "empty_list" in shapes or shapes == "real":
        assert "(an empty state)" in table


def test_check_cli_exit_codes_and_no_database(tmp_path: Path) -> None:
    db = tmp_path / "never.db"
    with ReplicaServer(seed=7, size="small", shapes="real") as srv:
        ok = cli(
            "crawl", "--check", "--base-url", srv.base_url, "--profile", "local", "--db", f"sqlite:///{db}"
        )
    with ReplicaServer(seed=7, size="small", faults="layout=after:0") as srv:
        changed = cli(
            "crawl", "--check", "--base-url", srv.base_url, "--profile", "local", "--db", f"sqlite:///{db}"
        )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "page type" in ok.stdout
    assert "shape matched" in ok.stdout
    assert "Knockout skeleton" in ok.stdout
    assert changed.returncode == 1, changed.stdout
    # the changed layout has neither `var searchResult` nor #searchResult: the lists are required data
    assert "check FAILED: 4 page types lack required data (idea_list ENDORSING" in changed.stdout
    assert (
        "required data missing: required proposal list not found (tried `var searchResult" in changed.stdout
    )
    assert not db.exists()
