"""What a report quotes: distinct arguments (a form letter once, with its count), and a possible new
commitment only where enough distinct arguments raise it."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select, update

from reports.site import build_report
from storage.db import open_database, transaction
from storage.models import Assignment, Campaign, Cluster
from tests.report_fixtures import FORMULA_ID, FixtureSummary, populate

MIN_CANDIDATE_ARGUMENTS = 3  # the rule (reports.gaps): at least 3 distinct arguments
THEME = "2.1-t0"  # the theme the fixture's form-letter campaign belongs to
TINY = "none-tiny"


class ThemeQuotes(HTMLParser):
    """The quotes (item id, copies) of each theme section of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.themes: dict[str, list[list[str]]] = {}
        self._theme: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "section" and values.get("data-theme-key"):
            self._theme = values["data-theme-key"]
            self.themes[self._theme or ""] = []
        elif tag == "blockquote" and self._theme is not None:
            self.themes[self._theme].append([values.get("data-item-id") or "", "1"])
        elif tag == "span" and values.get("data-copies") and self._theme is not None:
            self.themes[self._theme][-1][1] = values["data-copies"] or "1"

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._theme = None


def quotes_of(page: Path) -> dict[str, list[list[str]]]:
    parser = ThemeQuotes()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.themes


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FixtureSummary, int]:
    """The fixture run, with a theme whose representatives are three copies of one form letter (what the
    demo's brief for 1.1 showed) and a theme of one comment among those that fit no commitment."""
    folder = tmp_path_factory.mktemp("quotes")
    engine = open_database(f"sqlite:///{folder / 'jf.db'}")
    summary = populate(engine, n_comments=200)
    run = summary.latest_run_id
    with transaction(engine) as session:
        copies = session.scalar(select(Campaign.size).where(Campaign.run_id == run))
        session.execute(
            update(Cluster)
            .where(Cluster.run_id == run, Cluster.cluster_key == THEME)
            .values(representative_ids=["c-camp-00000", "c-camp-00001", "c-camp-00002"])
        )
        session.execute(
            update(Assignment)
            .where(Assignment.run_id == run, Assignment.item_id == FORMULA_ID)
            .values(cluster_key=TINY)
        )
        session.add(
            Cluster(
                run_id=run,
                cluster_key=TINY,
                scope="none",
                label="測試alert",
                terms=[["測試", 1.0]],
                size=1,
                representative_ids=[FORMULA_ID],
                is_minority=False,
                centroid=[],
            )
        )
    build_report(engine, folder / "site", quiet=True, pdf=False)
    engine.dispose()
    return folder / "site", summary, int(copies or 0)


def test_a_form_letter_is_quoted_once_with_its_count(report: tuple[Path, FixtureSummary, int]) -> None:
    site, summary, copies = report
    assert copies >= 5
    quotes = quotes_of(site / "commitments" / "c-2-1.html")[THEME]
    letters = [q for q in quotes if q[0].startswith("c-camp-")]
    assert len(letters) == 1, quotes
    assert letters[0][1] == str(copies)
    assert len(quotes) == 3  # the other quotes are other arguments
    texts = [summary.texts[("comment", item_id)] for item_id, _ in quotes]
    assert len(set(texts)) == 3
    markdown = (site / "briefs" / "c-2-1.md").read_text(encoding="utf-8")
    assert f"同一論點共 {copies} 則" in markdown


def test_a_theme_of_one_comment_is_no_candidate_commitment(report: tuple[Path, FixtureSummary, int]) -> None:
    site, _, _ = report
    gaps = site / "gaps.html"
    assert TINY not in quotes_of(gaps)
    assert "測試alert" not in gaps.read_text(encoding="utf-8")
    assert 'data-smaller="1"' in gaps.read_text(encoding="utf-8")
    rows = {r["key"]: r for r in json.loads((site / "data" / "gap_themes.json").read_text("utf-8"))["rows"]}
    assert rows[TINY]["arguments"] == 1
    assert rows[TINY]["candidate"] is False
    shown = quotes_of(gaps)
    assert shown
    assert all(rows[key]["arguments"] >= MIN_CANDIDATE_ARGUMENTS for key in shown)
