"""Agency replies are not public input: stored and shown as agency replies, never counted, assigned,
clustered or quoted as citizens' comments."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from analysis.assignment.examples import suggestions
from reports.exports import export_assignments
from reports.i18n import Translator
from reports.overview import build_overview
from reports.rundata import load_run
from reports.site import build_report
from storage.corpus import load_items
from storage.db import open_database, session_factory, transaction, upsert
from storage.models import AnalysisRun, Assignment, Campaign, Cluster, Comment
from tests.report_fixtures import BASE, PII_ID, POLICY_UUID, SITE, populate

AGENCY_REPLY_ID = "c-agency-reply"
AGENCY_REPLY_TEXT = "您好，謝謝您的寶貴意見，本會將納入研議。"


def _quotes(folder: Path) -> str:
    """Every quoted block of every page and Markdown brief."""
    html = "".join(
        "".join(re.findall(r"<blockquote.*?</blockquote>", page.read_text(encoding="utf-8"), re.S))
        for page in folder.rglob("*.html")
    )
    markdown = "".join(
        line
        for brief in folder.glob("briefs/*.md")
        for line in brief.read_text(encoding="utf-8").splitlines()
        if line.startswith(">")
    )
    return html + markdown


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_run_that_analysed_an_agency_reply_neither_counts_nor_quotes_it(tmp_path: Path) -> None:
    """A stored run that assigned an agency's 「您好，謝謝您的寶貴意見…」 and picked it as a theme's first
    example: the report leaves it out of counts and quotes and lists it as an agency reply."""
    engine = open_database(f"sqlite:///{tmp_path / 'jf.db'}")
    summary = populate(engine, n_comments=120)
    with transaction(engine) as session:
        upsert(
            session,
            Comment,
            [
                {
                    "site": SITE,
                    "msg_uid": AGENCY_REPLY_ID,
                    "policy_uuid": POLICY_UUID,
                    "parent_msg_uid": PII_ID,  # a comment assigned to 1.1
                    "author": "國家發展委員會",
                    "author_kind": "agency",
                    "text": AGENCY_REPLY_TEXT,
                    "url": f"{BASE}/policies/detail/{POLICY_UUID}",
                }
            ],
            keys=["site", "msg_uid"],
        )
        session.add(
            Assignment(
                run_id=summary.latest_run_id,
                item_kind="comment",
                item_source=SITE,  # as the migration to item keys names the comment
                item_id=AGENCY_REPLY_ID,
                status="assigned",
                commitment_code="1.1",
                confidence=0.9,
                candidates=[["1.1", 0.9]],
                cluster_key="1.1-t0",
            )
        )
        session.execute(
            update(Cluster)
            .where(Cluster.run_id == summary.latest_run_id, Cluster.cluster_key == "1.1-t0")
            .values(representative_ids=[AGENCY_REPLY_ID, ["comment", AGENCY_REPLY_ID], PII_ID])
        )
        assert AGENCY_REPLY_ID not in {i.item_id for i in load_items(session)}  # never analysed again

    with session_factory(engine)() as session:
        data = load_run(session)
    assert AGENCY_REPLY_ID not in {r.item_id for r in data.assignments}
    assert len(data.assignments) == summary.n_items
    kpis = dict(build_overview(data, Translator(), with_charts=False).kpis)
    assert kpis["kpi_raw"] == summary.n_items
    assert kpis["kpi_agency_replies"] == 1
    assert kpis["kpi_comments"] == sum(1 for kind, _ in summary.texts if kind == "comment")

    build_report(engine, tmp_path / "site", quiet=True, pdf=False)
    site = tmp_path / "site"
    assert AGENCY_REPLY_TEXT not in _quotes(site)
    assert f'data-item-id="{AGENCY_REPLY_ID}"' not in "".join(
        p.read_text("utf-8") for p in site.rglob("*.html")
    )
    assert PII_ID in _quotes(site)  # the theme keeps its citizens' examples
    brief = (site / "commitments" / "c-1-1.html").read_text(encoding="utf-8")
    assert AGENCY_REPLY_TEXT in brief
    assert "機關在討論區的回覆" in brief
    rows = _csv_rows(site / "data" / "c-1-1-agency-replies.csv")
    assert [(r["msg_uid"], r["account"], r["in_reply_to"]) for r in rows] == [
        (AGENCY_REPLY_ID, "國家發展委員會", PII_ID)
    ]
    assert [r["msg_uid"] for r in _csv_rows(site / "data" / "agency_replies.csv")] == [AGENCY_REPLY_ID]
    markdown = (site / "briefs" / "c-1-1.md").read_text(encoding="utf-8")
    assert "機關在討論區的回覆" in markdown
    assert AGENCY_REPLY_TEXT in markdown
    # the exports and suggest-examples read the same rows: the reply is in none of them
    exported = _csv_rows_plain(
        tmp_path / "assignments.csv", export_assignments(engine, tmp_path / "assignments.csv")
    )
    assert len(exported) == summary.n_items
    assert not [row for row in exported if row["item_id"].endswith(f":{AGENCY_REPLY_ID}")]
    assert not [row for row in suggestions(engine, 1000) if row[0].endswith(f":{AGENCY_REPLY_ID}")]
    engine.dispose()


def _csv_rows_plain(path: Path, written: int) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == written
    return rows


@pytest.fixture(scope="module")
def replica_chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any], set[str], Path]:
    """Replica crawl → analyze → report, with the replica's ground truth of which messages are agencies'."""
    from analysis.run import run_analysis
    from replica.data import generate
    from replica.server import ReplicaServer
    from tests.test_crawl_replica import crawl

    work = tmp_path_factory.mktemp("agency")
    db_url = f"sqlite:///{work / 'jf.db'}"
    with ReplicaServer(seed=1, size="small", faults="") as srv:
        summary = crawl(srv.base_url, db_url)
        assert summary["status"] == "finished", summary
        manifest = srv.manifest()
    data = generate(1, "small")
    truth = {
        str(m.msg_uid) for v in data.views.values() for m in v.all_messages(data.now_ms) if m.author.is_agency
    }
    engine = open_database(db_url)
    run_analysis(engine, quiet=True)
    build_report(engine, work / "site", quiet=True, pdf=False)
    engine.dispose()
    return db_url, manifest, truth, work / "site"


def test_replica_agency_replies_are_stored_as_such(
    replica_chain: tuple[str, dict[str, Any], set[str], Path],
) -> None:
    db_url, manifest, truth, _site = replica_chain
    engine = open_database(db_url)
    with session_factory(engine)() as session:
        stored = set(session.scalars(select(Comment.msg_uid).where(Comment.author_kind == "agency")))
        authors = set(session.scalars(select(Comment.author).where(Comment.author_kind == "agency")))
    engine.dispose()
    assert stored == truth
    assert len(stored) == manifest["agency_replies"] > 0
    assert "公共政策網路參與平臺客服小組" in authors  # the platform's own account is among them


def test_replica_agency_replies_are_not_counted_assigned_clustered_or_quoted(
    replica_chain: tuple[str, dict[str, Any], set[str], Path],
) -> None:
    db_url, _manifest, truth, site = replica_chain
    engine = open_database(db_url)
    with session_factory(engine)() as session:
        run = session.scalars(select(AnalysisRun).where(AnalysisRun.status == "complete")).one()
        assigned = set(
            session.scalars(
                select(Assignment.item_id).where(
                    Assignment.run_id == run.id, Assignment.item_kind == "comment"
                )
            )
        )
        stored_refs: list[list[Any]] = list(
            session.scalars(select(Cluster.representative_ids).where(Cluster.run_id == run.id))
        )
        representatives = {
            str(ref[1] if isinstance(ref, list) else ref) for reps in stored_refs for ref in reps or ()
        }
        exemplars = set(session.scalars(select(Campaign.exemplar_item_id).where(Campaign.run_id == run.id)))
        n_citizen_items = len(load_items(session))
        data = load_run(session)
    engine.dispose()
    assert assigned
    assert not assigned & truth
    assert representatives
    assert not representatives & truth
    assert not exemplars & truth
    assert run.n_items == n_citizen_items
    assert data.stored_counts["agency_replies"] == len(truth)

    pages = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    quoted = set(re.findall(r'data-item-id="([^"]+)"', pages))
    assert quoted
    assert not quoted & truth
    listed = {r["msg_uid"] for r in _csv_rows(site / "data" / "agency_replies.csv")}
    assert listed == truth  # shown, all of them, as agency replies
    in_briefs = {r["msg_uid"] for table in site.glob("data/c-*-agency-replies.csv") for r in _csv_rows(table)}
    assert in_briefs
    assert in_briefs <= truth


def test_reclassify_finds_agency_replies_in_a_database_crawled_before_they_were_told_apart(
    replica_chain: tuple[str, dict[str, Any], set[str], Path], tmp_path: Path
) -> None:
    """Migration 0002 makes every stored comment a citizen's; the raw board pages say which were not."""
    import shutil

    from tests.conftest import run_cli

    db_url, _manifest, truth, _site = replica_chain
    copy = tmp_path / "old.db"
    shutil.copy(db_url.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    engine = open_database(url)
    with transaction(engine) as session:
        session.execute(update(Comment).values(author_kind="citizen"))
    engine.dispose()

    done = run_cli("reclassify", "--db", url)
    assert done.returncode == 0, done.stderr
    engine = open_database(url)
    with session_factory(engine)() as session:
        agency = set(session.scalars(select(Comment.msg_uid).where(Comment.author_kind == "agency")))
    assert agency == truth

    from crawler.reclassify import reclassify_authors

    again = reclassify_authors(engine)
    assert again.changed == 0
    assert again.agency == len(truth)
    assert again.pages > 0
    engine.dispose()
