"""The review loop in headless Chromium, from ``file://``: the demo's review page lists what
``suggest-examples`` picks; a facilitator chooses, reloads, downloads ``examples.csv``; the line the page
shows re-runs the analysis with it for real, and the rebuilt report says how many examples steered it and
how many items moved."""

from __future__ import annotations

import csv
import shlex
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from replica.model import OGP_UUID
from tests.conftest import run_cli
from tests.test_browser_report import CHROMIUM, CHROMIUM_FLAGS, SCREENSHOTS, PageWatch, _require_browser

pytestmark = pytest.mark.browser

CATALOGUE = Path(__file__).resolve().parents[1] / "analysis" / "data" / "ogp2020.csv"
PHONE_WIDTH = 375


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``joinfeedback demo`` (its report covers the OGP consultation), and a copy of its database taken
    before any test re-analyses it, for the English report."""
    folder = tmp_path_factory.mktemp("review")
    result = run_cli("demo", "--out", str(folder / "demo"), "--no-pdf", cwd=folder, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    shutil.copy(folder / "demo" / "joinfeedback.db", folder / "english.db")
    return folder


@pytest.fixture
def browser() -> Iterator[Any]:
    """A fresh browser profile per test: what one test chose stays out of the next one's storage."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="jf-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                headless=True,
                args=CHROMIUM_FLAGS,
                viewport={"width": PHONE_WIDTH, "height": 740},
                accept_downloads=True,
            )
            yield context
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _suggested_ids(db: Path, out: Path) -> list[str]:
    result = run_cli(
        "suggest-examples", "--db", f"sqlite:///{db}", "--policy", OGP_UUID, "--out", str(out), cwd=out.parent
    )
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8") as handle:
        return [row["item_id"] for row in csv.DictReader(handle)]


def _listed_ids(page: Any, section: str = "") -> list[str]:
    selector = f"{section} li.review-item".strip()
    return list(page.eval_on_selector_all(selector, "els => els.map(e => e.dataset.itemId)"))


def _choices(page: Any) -> dict[str, str]:
    return dict(
        page.eval_on_selector_all("select[data-item-id]", "els => els.map(e => [e.dataset.itemId, e.value])")
    )


def _download(page: Any, folder: Path) -> str:
    with page.expect_download() as info:
        page.click("#review-download")
    download = info.value
    assert download.suggested_filename == "examples.csv"
    target = folder / "examples.csv"
    download.save_as(str(target))
    return target.read_text(encoding="utf-8")


def _run_shown(page: Any, which: str, *extra: str, cwd: Path) -> None:
    """Run the command the page shows (``analyze`` or ``report``), on this database and folder."""
    words = shlex.split(page.inner_text(f"code[data-command='{which}']"))
    assert words[:2] == ["joinfeedback", which]
    result = run_cli(*words[1:], *extra, cwd=cwd, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]


def _moved_in_ogp(db: Path) -> tuple[int, int]:
    """Straight from the database: of the OGP consultation's public comments analysed by both of the two
    latest runs, how many the latest placed differently (status or commitment), and how many both had."""
    with sqlite3.connect(db) as connection:
        runs = [r for (r,) in connection.execute("SELECT id FROM analysis_run WHERE status = 'complete'")]
        latest, previous = sorted(runs)[-1], sorted(runs)[-2]
        ogp = {
            uid
            for (uid,) in connection.execute(
                "SELECT msg_uid FROM comment WHERE policy_uuid = ? AND author_kind != 'agency'", (OGP_UUID,)
            )
        }

        def placed(run: int) -> dict[str, tuple[str, str | None]]:
            rows = connection.execute(
                "SELECT item_id, status, commitment_code FROM assignment "
                "WHERE run_id = ? AND item_kind = 'comment'",
                (run,),
            )
            return {item_id: (status, code) for item_id, status, code in rows if item_id in ogp}

        now, before = placed(latest), placed(previous)
    both = now.keys() & before.keys()
    return sum(1 for key in both if now[key] != before[key]), len(both)


def test_choose_reload_download_and_rerun(demo: Path, browser: Any) -> None:
    db = demo / "demo" / "joinfeedback.db"
    site = demo / "demo" / "report"
    work = demo / "zh"
    work.mkdir()
    page = browser.new_page()
    watch = PageWatch(page)
    page.goto((site / "index.html").as_uri())
    page.click("nav.main a[href='review.html']")  # reached from the navigation
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().startswith("協助改進歸類")
    assert _listed_ids(page) == _suggested_ids(db, work / "suggested.csv")  # what suggest-examples picks
    codes = [row["id"] for row in csv.DictReader(CATALOGUE.open(encoding="utf-8"))]
    first = page.locator("select[data-item-id]").first
    offered = first.evaluate("e => Array.from(e.options).map(o => o.value)")
    assert offered == ["", *codes, "none"]
    assert page.eval_on_selector_all(
        "select[data-item-id]", "els => els.every(e => e.labels.length === 1 && e.labels[0].innerText.trim())"
    )
    # usable at phone width: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    ids = _listed_ids(page)[:3]
    placed_now = page.locator("li.review-item").first.locator("p.placed").inner_text()
    other = next(code for code in codes if not placed_now.split("：", 1)[1].startswith(code + " "))
    page.select_option(f"select[data-item-id='{ids[0]}']", other)
    page.select_option(f"select[data-item-id='{ids[1]}']", "none")
    page.focus(f"select[data-item-id='{ids[2]}']")  # and by keyboard
    page.keyboard.press("ArrowDown")
    third = page.input_value(f"select[data-item-id='{ids[2]}']")
    assert third == codes[0]
    assert "已選 3 則" in page.inner_text("#review-status")
    page.reload()
    chosen = {item_id: value for item_id, value in _choices(page).items() if value}
    assert chosen == {ids[0]: other, ids[1]: "none", ids[2]: third}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # README's picture of the page, as read on a phone
    page.locator(f"#{page.get_attribute('li.review-item', 'id')}").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "review.png"))
    assert (SCREENSHOTS / "review.png").stat().st_size > 10_000
    text = _download(page, work)
    assert text == f"item_id,commitment_id\n{ids[0]},{other}\n{ids[1]},none\n{ids[2]},{third}\n"
    key = page.get_attribute("#review", "data-storage-key")
    assert "--commitments" not in page.inner_text("code[data-command='analyze']")  # the bundled catalogue
    _run_shown(page, "analyze", "--db", f"sqlite:///{db}", cwd=work)
    _run_shown(page, "report", "--db", f"sqlite:///{db}", "--out", str(work / "report"), "--no-pdf", cwd=work)
    moved, compared = _moved_in_ogp(db)
    assert moved > 0
    for name in ("index.html", "methods.html"):
        page.goto((work / "report" / name).as_uri())
        note = page.locator("p.steering")
        assert note.get_attribute("data-examples") == "3"
        assert note.get_attribute("data-moved") == str(moved)
        assert "本次分析由 3 則人工標註的範例引導" in note.inner_text()
        assert f"{compared} 則意見中，有 {moved} 則改變了歸類" in note.inner_text()
    # the next round starts from the examples this run used: they are in the next file too
    page.goto((work / "report" / "review.html").as_uri())
    assert page.get_attribute("#review", "data-storage-key") != key  # another run: its own choices
    assert {i: v for i, v in _choices(page).items() if v} == chosen
    assert set(_download(page, work / "report").splitlines()[1:]) == set(text.splitlines()[1:])
    assert page.locator("script").count() == 1  # the page's own; no comment became markup
    assert page.locator("main img").count() == 0
    assert watch.errors == []
    assert watch.dialogs == []
    page.close()


def test_english_review_page_and_steered_report(demo: Path, browser: Any) -> None:
    db = demo / "english.db"
    work = demo / "en"
    work.mkdir()
    report = ("report", "--db", f"sqlite:///{db}", "--lang", "en", "--policy", OGP_UUID, "--no-pdf")
    built = run_cli(*report, "--out", str(work / "before"), cwd=work, timeout=900)
    assert built.returncode == 0, built.stderr[-3000:]
    page = browser.new_page()
    watch = PageWatch(page)
    page.goto((work / "before" / "commitments" / "c-1-1.html").as_uri())
    page.click("p.review-link a")  # a brief leads to the review page
    page.wait_for_load_state("load")
    assert page.url.split("#")[0].endswith("/before/review.html")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text().startswith("Help improve the grouping")
    assert page.locator("label").first.inner_text() == "This comment belongs to"
    ids = _listed_ids(page)
    assert ids == _suggested_ids(db, work / "suggested.csv")
    page.select_option(f"select[data-item-id='{ids[-1]}']", "none")
    assert page.inner_text("#review-status").startswith("Chosen: 1.")
    text = _download(page, work)
    assert text == f"item_id,commitment_id\n{ids[-1]},none\n"
    assert "joinfeedback report --lang en --policy" in page.inner_text("code[data-command='report']")
    _run_shown(page, "analyze", "--db", f"sqlite:///{db}", cwd=work)
    _run_shown(page, "report", "--db", f"sqlite:///{db}", "--out", str(work / "after"), "--no-pdf", cwd=work)
    moved, compared = _moved_in_ogp(db)
    page.goto((work / "after" / "index.html").as_uri())
    note = page.locator("p.steering").inner_text()
    assert "Examples placed by a facilitator that steered this analysis: 1." in note
    assert f"{moved} of the {compared} both analysed" in note
    assert watch.errors == []
    page.close()
