"""The report site rendered from a realistic stored analysis: pages, provenance, safety, exports, briefs."""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from base.errors import UserError
from reports.exports import ASSIGNMENT_HEADER, export_assignments
from reports.site import build_report
from reports.textsafety import ProvenanceError
from storage.db import open_database, transaction
from storage.items import ItemKey
from storage.models import AnalysisRun, Comment
from tests.report_fixtures import (
    FORMULA_ID,
    HOSTILE_ID,
    PII_ID,
    SITE,
    FixtureSummary,
    populate,
)


class QuoteCollector(HTMLParser):
    """Collects quote blocks (id, kind, text of their <p>), every href, and every element name."""

    def __init__(self) -> None:
        super().__init__()
        self.quotes: list[dict[str, str]] = []
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self._in_quote_p = False
        self._current: dict[str, str] | None = None
        self._in_cut = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append(tag)
        if "href" in values:
            self.hrefs.append(values["href"] or "")
        if tag == "blockquote" and "data-item-id" in values:
            self._current = {
                "id": values["data-item-id"] or "",
                "kind": values.get("data-kind") or "",
                "text": "",
            }
            self.quotes.append(self._current)
        elif tag == "p" and self._current is not None and not self._current["text"]:
            self._in_quote_p = True
        elif tag == "span" and self._in_quote_p:
            self._in_cut = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._in_cut = False
        if tag == "p":
            self._in_quote_p = False
        if tag == "blockquote":
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._in_quote_p and self._current is not None and not self._in_cut:
            self._current["text"] += data


def parse(path: Path) -> QuoteCollector:
    collector = QuoteCollector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FixtureSummary, str]:
    folder = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{folder / 'jf.db'}"
    engine = open_database(url)
    summary = populate(engine)
    build_report(engine, folder / "site", quiet=True, pdf=True)
    engine.dispose()
    return folder / "site", summary, url


def html_pages(site: Path) -> list[Path]:
    return sorted(site.glob("*.html")) + sorted((site / "commitments").glob("*.html"))


def test_every_page_exists_and_shows_the_latest_complete_run(built: tuple[Path, FixtureSummary, str]) -> None:
    site, summary, _ = built
    for name in ("index.html", "proposals.html", "gaps.html", "methods.html"):
        assert (site / name).is_file()
    index = (site / "index.html").read_text(encoding="utf-8")
    # the newer failed and running runs are never shown
    assert f"分析批次 #{summary.latest_run_id}" in index
    links = {h for h in parse(site / "index.html").hrefs if h.startswith("commitments/")}
    assert len(links) == len(summary.commitment_codes)
    for link in links:
        page = (site / link).read_text(encoding="utf-8")
        assert "工作坊簡報" in page


def test_commitment_page_has_title_numbers_themes_and_changes(
    built: tuple[Path, FixtureSummary, str],
) -> None:
    site, summary, _ = built
    page = (site / "commitments" / "c-2-1.html").read_text(encoding="utf-8")
    assert summary.titles["2.1"] in page
    assert "主要主題" in page
    assert "制式意見" in page
    assert "討論引導" in page
    assert re.search(r"新增 \d+ 則意見（上一次為批次 #" + str(summary.previous_run_id), page)
    sparse = (site / "commitments" / "c-5-1.html").read_text(encoding="utf-8")
    assert "注意：本承諾只有 2 則不重複論點" in sparse
    empty = (site / "commitments" / "c-3-3.html").read_text(encoding="utf-8")
    assert "本承諾目前沒有任何意見" in empty


def test_every_quote_is_verbatim_with_its_item_id(built: tuple[Path, FixtureSummary, str]) -> None:
    site, summary, _ = built
    total = 0
    for page in html_pages(site):
        for quote in parse(page).quotes:
            total += 1
            stored = summary.texts[(quote["kind"], quote["id"])]
            shown = re.sub(r"\[U\+([0-9A-F]{4})\]", lambda m: chr(int(m.group(1), 16)), quote["text"])
            assert shown in stored, (page.name, quote)
    assert total >= 50


def test_hostile_comment_is_inert_text(built: tuple[Path, FixtureSummary, str]) -> None:
    site, _, _ = built
    seen_hostile = False
    for page in html_pages(site):
        html = page.read_text(encoding="utf-8")
        parsed = parse(page)
        assert "<script" not in html.lower()
        assert "<img" not in html.lower()
        assert "\u202e" not in html
        assert not [
            h
            for h in parsed.hrefs
            if not (h.startswith(("http://", "https://", "../", "#")) or re.fullmatch(r"[a-z0-9/._-]+", h))
        ]
        for quote in parsed.quotes:
            if quote["id"] == HOSTILE_ID:
                seen_hostile = True
                assert '<script>alert("xss")</script>' in quote["text"]
                assert "[U+202E]" in quote["text"]
    assert seen_hostile


def test_print_briefs_are_redacted_and_html_is_verbatim(built: tuple[Path, FixtureSummary, str]) -> None:
    site, summary, _ = built
    markdown = (site / "briefs" / "c-1-1.md").read_text(encoding="utf-8")
    assert "已遮蔽" in markdown
    for secret in ("someone@example.org", "0912-345-678", "A123456789"):
        assert secret not in markdown
    assert "someone@example.org" in (site / "commitments" / "c-1-1.html").read_text(encoding="utf-8")
    hostile_md = (site / "briefs" / "c-2-1.md").read_text(encoding="utf-8")
    assert "<script>" not in hostile_md
    assert "\\<script\\>" in hostile_md
    assert "](javascript" not in hostile_md
    assert "(<javascript" not in hostile_md
    assert summary.titles["1.1"] in markdown


def test_pdf_brief_has_cjk_title_and_quote(built: tuple[Path, FixtureSummary, str]) -> None:
    from pypdf import PdfReader
    from pypdf.generic import DictionaryObject

    site, summary, _ = built
    reader = PdfReader(site / "briefs" / "c-1-1.pdf")
    assert 1 <= len(reader.pages) <= 2
    text = "".join(page.extract_text() for page in reader.pages)
    assert summary.titles["1.1"] in text
    assert "資料開放專法應明定去識別化標準" in text  # the PII quote, in CJK …
    assert "someone@example.org" not in text  # … redacted for print
    fonts: set[str] = set()
    for page in reader.pages:
        resources = page["/Resources"]
        assert isinstance(resources, DictionaryObject)
        page_fonts = resources["/Font"]
        assert isinstance(page_fonts, DictionaryObject)
        fonts |= {str(font.get_object()["/BaseFont"]) for font in page_fonts.values()}
    assert any("Noto-Sans-CJK-TC" in font for font in fonts), fonts


def test_every_table_has_csv_and_json_beside_the_html(built: tuple[Path, FixtureSummary, str]) -> None:
    site, _, _ = built
    manifest = json.loads((site / "data" / "report.json").read_text(encoding="utf-8"))
    assert len(manifest["tables"]) >= 10
    for relative in manifest["tables"]:
        csv_path = site / relative
        with csv_path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        payload = json.loads(csv_path.with_suffix(".json").read_text(encoding="utf-8"))
        assert len(rows) - 1 == len(payload["rows"])
    # every download link in the pages points at a file that exists
    for page in html_pages(site):
        for href in parse(page).hrefs:
            if href.endswith((".csv", ".json", ".md", ".pdf")) and not href.startswith("http"):
                assert (page.parent / href).resolve().is_file(), (page, href)


def test_proposal_page_applies_the_two_month_rule(built: tuple[Path, FixtureSummary, str]) -> None:
    site, _, _ = built
    payload = json.loads((site / "data" / "agency_responses.json").read_text(encoding="utf-8"))
    states = {row["uuid"]: row["state_key"] for row in payload["rows"]}
    assert states["idea-0010-aaaa-bbbb"] == "overdue"  # never answered, deadline long past
    assert states["idea-0015-aaaa-bbbb"] == "late"  # answered after 75 days
    assert states["idea-0005-aaaa-bbbb"] == "on_time"
    momentum = json.loads((site / "data" / "momentum.json").read_text(encoding="utf-8"))
    assert momentum["rows"]
    assert all(row["gained"] > 0 for row in momentum["rows"])
    gains = [row["gained"] for row in momentum["rows"]]
    assert gains == sorted(gains, reverse=True)


def test_gap_map_lists_unassigned_themes_and_quiet_commitments(
    built: tuple[Path, FixtureSummary, str],
) -> None:
    site, _, _ = built
    gaps = (site / "gaps.html").read_text(encoding="utf-8")
    assert "空氣污染 資訊公開" in gaps
    assert "長照 人力" in gaps
    quiet = json.loads((site / "data" / "quiet_commitments.json").read_text(encoding="utf-8"))
    assert {row["code"] for row in quiet["rows"]} >= {"3.3", "5.1"}


def test_export_assignments_writes_every_item_once_and_guards_formulas(
    built: tuple[Path, FixtureSummary, str], tmp_path: Path
) -> None:
    _, summary, url = built
    engine = open_database(url)
    out = tmp_path / "assignments.csv"
    written = export_assignments(engine, out)
    assert out.read_text(encoding="utf-8").splitlines()[0] == ",".join(ASSIGNMENT_HEADER)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert written == len(rows) == summary.n_items
    assert len({row["item_id"] for row in rows}) == len(rows)
    assert {row["status"] for row in rows} == {"assigned", "none", "uncertain"}
    assert all(bool(row["commitment_id"]) == (row["status"] == "assigned") for row in rows)
    by_id = {row["item_id"].removeprefix(f"comment:{SITE}:"): row for row in rows}  # items by their keys
    assert by_id[FORMULA_ID]["text"].startswith("'=HYPERLINK(")
    assert by_id[PII_ID]["cluster_id"] == "1.1-t0"
    assert by_id[PII_ID]["cluster_label"] == "資料開放 開放資料"
    engine.dispose()


def test_no_complete_run_is_a_user_error(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'empty.db'}")
    with transaction(engine) as session:
        session.add(AnalysisRun(status="failed", catalogue="ogp2020"))
    with pytest.raises(UserError, match="no complete analysis run"):
        build_report(engine, tmp_path / "site", quiet=True, pdf=False)
    with pytest.raises(UserError, match="no complete analysis run"):
        export_assignments(engine, tmp_path / "a.csv")
    assert not (tmp_path / "site").exists()


def test_a_quote_that_no_longer_matches_its_source_fails_loudly(tmp_path: Path) -> None:
    """If an item's stored text changes under the report, provenance cannot be shown: refuse to write."""
    from reports.quotes import QuoteBook
    from storage.db import session_factory

    engine = open_database(f"sqlite:///{tmp_path / 'jf.db'}")
    populate(engine, n_comments=80)
    book = QuoteBook(redact_print=True, mask="X")
    with session_factory(engine)() as session:
        book.load(session, [ItemKey("comment", SITE, HOSTILE_ID)])
    with transaction(engine) as session:
        session.query(Comment).filter_by(msg_uid=HOSTILE_ID).update({"text": "edited afterwards"})
    with session_factory(engine)() as session, pytest.raises(ProvenanceError, match=HOSTILE_ID):
        book.verify_all(session)


def test_report_builds_on_each_database(db_url: str, tmp_path: Path) -> None:
    engine = open_database(db_url)
    summary = populate(engine, n_comments=120)
    index = build_report(engine, tmp_path / "site", quiet=True, pdf=False)
    assert index == tmp_path / "site" / "index.html"
    assert f"分析批次 #{summary.latest_run_id}" in index.read_text(encoding="utf-8")
    assert len(list((tmp_path / "site" / "commitments").glob("*.html"))) == len(summary.commitment_codes)
    engine.dispose()


def test_report_renders_a_run_made_by_the_real_analysis(tmp_path: Path) -> None:
    """The analysis stage's own output (term weights, its theme keys) renders, quotes verified."""
    from analysis.run import run_analysis

    engine = open_database(f"sqlite:///{tmp_path / 'jf.db'}")
    populate(engine, n_comments=200)
    run_id = run_analysis(engine, quiet=True)
    index = build_report(engine, tmp_path / "site", quiet=True, pdf=False)
    assert f"分析批次 #{run_id}" in index.read_text(encoding="utf-8")
    quotes = [q for page in html_pages(tmp_path / "site") for q in parse(page).quotes]
    assert len(quotes) >= 20
    engine.dispose()
