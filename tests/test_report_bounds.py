"""A brief stays readable whatever the size of the run: its page, its Markdown and its PDF's content hold
a bounded number of themes, quotes and table rows (counted, not timed); the CSV/JSON beside it hold every
row."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from reports.briefs import (
    MAX_CAMPAIGNS,
    MAX_MINORITY,
    MAX_THEMES,
    NEW_QUOTES,
    QUOTES_PER_MINORITY,
    QUOTES_PER_THEME,
)
from reports.model import HTML_ROW_LIMIT
from reports.printing import PRINT_QUOTES, PRINT_THEMES
from reports.site import build_report
from storage.db import open_database, transaction, upsert
from storage.models import Cluster, Comment
from tests.report_fixtures import BASE, POLICY_UUID, SITE, populate

CODE, SLUG = "2.1", "c-2-1"
EXTRA_THEMES = 3 * MAX_THEMES
EXTRA_MINORITY = 3 * MAX_MINORITY
REPLIES = 3 * HTML_ROW_LIMIT
MOST_QUOTES = MAX_THEMES * QUOTES_PER_THEME + MAX_MINORITY * QUOTES_PER_MINORITY + MAX_CAMPAIGNS + NEW_QUOTES


def _large_run(db: Path) -> int:
    """3 000 comments, and for commitment 2.1 three times as many themes, minority themes and agency
    replies as a brief shows."""
    engine = open_database(f"sqlite:///{db}")
    summary = populate(engine, n_comments=3000)
    ids = [item_id for kind, item_id in summary.texts if kind == "comment" and item_id.startswith("c0")]
    with transaction(engine) as session:
        clusters = [
            {
                "run_id": summary.latest_run_id,
                "cluster_key": f"{CODE}-extra{n}",
                "scope": CODE,
                "label": f"主題{n}",
                "terms": [[f"詞{n}", 1.0]],
                "size": 2,
                "representative_ids": ids[4 * n : 4 * n + 4],
                "is_minority": n >= EXTRA_THEMES,
                "centroid": [],
            }
            for n in range(EXTRA_THEMES + EXTRA_MINORITY)
        ]
        upsert(session, Cluster, clusters, keys=["run_id", "cluster_key"])
        replies = [
            {
                "site": SITE,
                "msg_uid": f"c-reply-{n:04d}",
                "policy_uuid": POLICY_UUID,
                "parent_msg_uid": "c-camp-00000",  # a comment assigned to 2.1
                "author": "中央選舉委員會",
                "author_kind": "agency",
                "text": f"謝謝您的意見（{n}）。",
                "url": f"{BASE}/policies/detail/{POLICY_UUID}",
            }
            for n in range(REPLIES)
        ]
        upsert(session, Comment, replies, keys=["site", "msg_uid"])
    engine.dispose()
    return summary.n_items


def test_a_brief_of_a_large_run_is_bounded(tmp_path: Path) -> None:
    db = tmp_path / "large.db"
    items = _large_run(db)
    engine = open_database(f"sqlite:///{db}")
    build_report(engine, tmp_path / "site", quiet=True, pdf=False)
    engine.dispose()
    site = tmp_path / "site"
    page = (site / "commitments" / f"{SLUG}.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<section class="theme" data-theme-key=', page)) <= MAX_THEMES + MAX_MINORITY
    assert 0 < len(re.findall(r"<blockquote", page)) <= MOST_QUOTES
    for table in re.findall(r"<table.*?</table>", page, re.S):
        assert len(re.findall(r"<tr", table)) <= HTML_ROW_LIMIT + 1  # and its header
    assert len(page.encode()) < 200_000

    markdown = (site / "briefs" / f"{SLUG}.md").read_text(encoding="utf-8")
    themes = re.split(r"^## ", markdown, flags=re.M)[2]  # after the title and the key numbers
    assert 0 < len(re.findall(r"^### ", themes, re.M)) <= PRINT_THEMES
    assert markdown.count("\n> — ") <= PRINT_THEMES * PRINT_QUOTES + 2 + 2  # minority, campaigns: 2 each
    assert len(markdown.encode()) < 30_000

    with (site / "data" / f"{SLUG}-agency-replies.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == REPLIES  # the data hold every row
    assert items > 3000
