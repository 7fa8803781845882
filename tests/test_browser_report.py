"""The generated report in headless Chromium: every commitment page reachable, no console errors, hostile
text inert; also saves the README screenshots (docs/screenshots/)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from replica.model import OGP_UUID
from reports.site import build_report
from storage.db import open_database
from tests.conftest import IN_CI, ROOT, run_cli
from tests.report_fixtures import HOSTILE_ID, populate

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"

pytestmark = pytest.mark.browser


def _require_browser() -> None:
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (pip install -e '.[test]')"
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"CI must provide the browser: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    engine = open_database(f"sqlite:///{folder / 'jf.db'}")
    populate(engine)
    index = build_report(engine, folder / "site", quiet=True, pdf=True)
    engine.dispose()
    return index.parent


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report the real ``joinfeedback demo`` writes: replica → crawl → analyse → report."""
    folder = tmp_path_factory.mktemp("demo")
    result = run_cli("demo", "--out", str(folder / "demo"), cwd=folder, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    db_url = f"sqlite:///{folder / 'demo' / 'joinfeedback.db'}"
    english = run_cli(
        "report",
        "--db",
        db_url,
        "--out",
        str(folder / "demo" / "report-en"),
        "--lang",
        "en",
        "--policy",
        OGP_UUID,
        cwd=folder,
        timeout=900,
    )
    assert english.returncode == 0, english.stderr[-3000:]
    return folder / "demo" / "report"


@pytest.fixture(scope="module")
def browser_context() -> Iterator[Any]:
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
                viewport={"width": 1100, "height": 900},
            )
            yield context
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class PageWatch:
    """Records console errors, page errors and dialogs of one tab; a dialog is dismissed and remembered."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", self._dialog)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def test_every_commitment_page_opens_without_errors(site: Path, browser_context: Any) -> None:
    page = browser_context.new_page()
    watch = PageWatch(page)
    page.goto((site / "index.html").as_uri())
    assert page.title().startswith("總覽")
    links = page.eval_on_selector_all(
        "a[href^='commitments/']", "els => els.map(e => e.getAttribute('href'))"
    )
    assert len(set(links)) == 12
    for href in sorted(set(links)):
        page.goto((site / "index.html").as_uri())
        page.click(f"a[href='{href}'] >> nth=0")
        page.wait_for_load_state("load")
        assert page.url.endswith(href)
        assert page.locator("h1").inner_text().startswith("承諾")
    # relative links back from a commitment page work too
    page.click("nav.main a.brand[href='../index.html']")
    page.wait_for_load_state("load")
    assert page.url.endswith("/site/index.html")
    for other in ("proposals.html", "gaps.html", "methods.html"):
        page.goto((site / other).as_uri())
        assert page.locator("h1").count() == 1
    assert watch.errors == []
    assert watch.dialogs == []
    page.close()


def test_hostile_comment_renders_as_inert_text(site: Path, browser_context: Any) -> None:
    page = browser_context.new_page()
    watch = PageWatch(page)
    page.goto((site / "commitments" / "c-2-1.html").as_uri())
    page.wait_for_timeout(300)  # give an injected handler (onerror) the chance it must not get
    quote = page.locator(f"blockquote[data-item-id='{HOSTILE_ID}']").first
    text = quote.locator("p").inner_text()
    assert '<script>alert("xss")</script>' in text
    assert '<img src=x onerror="alert(1)">' in text
    assert "[U+202E]" in text
    # no element was injected: the quote's paragraph holds text and our own ellipsis span only
    assert quote.locator("p script, p img, p a").count() == 0
    assert page.locator("script").count() == 0
    assert page.locator("img").count() == 0
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    assert hrefs
    assert not [h for h in hrefs if not h.startswith(("http://", "https://", "file://"))]
    assert watch.dialogs == []
    assert watch.errors == []
    page.close()


def test_demo_report_every_page_opens_and_nothing_from_users_runs(
    demo_site: Path, browser_context: Any
) -> None:
    """The demo report (with the replica's hostile comments) in the browser: all links work, nothing runs."""
    page = browser_context.new_page()
    watch = PageWatch(page)
    page.goto((demo_site / "index.html").as_uri())
    links = sorted(
        set(
            page.eval_on_selector_all(
                "a[href^='commitments/']", "els => els.map(e => e.getAttribute('href'))"
            )
        )
    )
    assert len(links) == 12  # the bundled catalogue's twelve draft commitments
    pages = ["index.html", "proposals.html", "gaps.html", "methods.html", *links]
    for name in pages:
        page.goto((demo_site / name).as_uri())
        page.wait_for_load_state("load")
        page.wait_for_timeout(100)  # an injected onerror handler would fire now
        assert page.locator("h1").count() == 1, name
        assert page.locator("script").count() == 0, name
        assert page.locator("img").count() == 0, name  # charts are inline SVG; no user markup became an image
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        assert not [h for h in hrefs if not h.startswith(("http://", "https://", "file://"))], name
    for href in links:  # and each commitment page is reachable by clicking from the overview
        page.goto((demo_site / "index.html").as_uri())
        page.click(f"a[href='{href}'] >> nth=0")
        page.wait_for_load_state("load")
        assert page.url.endswith(href)
    assert watch.errors == []
    assert watch.dialogs == []
    page.close()


def test_demo_opens_on_the_ogp_consultation_with_a_brief_in_each_language(
    demo_site: Path, browser_context: Any
) -> None:
    page = browser_context.new_page()
    watch = PageWatch(page)
    page.goto((demo_site / "index.html").as_uri())
    assert page.locator("[data-scope]").count() == 1
    consultations = page.eval_on_selector_all(
        "a[href^='consultations/']", "els => els.map(e => e.getAttribute('href'))"
    )
    assert consultations == [f"consultations/p-{OGP_UUID}.html"]  # the OGP consultation alone
    page.click(f"a[href='{consultations[0]}']")
    page.wait_for_load_state("load")
    assert "開放政府" in page.locator("h1").inner_text()
    page.click("a[href^='../commitments/'] >> nth=0")  # on to a commitment it speaks to
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().startswith("承諾")
    assert page.locator("html").get_attribute("lang") == "zh-Hant-TW"
    english = demo_site.parent / "report-en"
    page.goto((english / "commitments" / "c-1-1.html").as_uri())
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text().startswith("Commitment 1.1")
    assert "Key numbers" in page.locator("main").inner_text()
    assert "Questions for the agency" in page.locator("main").inner_text()
    assert watch.errors == []
    page.close()


def test_save_readme_screenshots(demo_site: Path, browser_context: Any) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser_context.new_page()
    page.set_viewport_size({"width": 1000, "height": 900})
    page.goto((demo_site / "index.html").as_uri())
    page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=False)
    page.set_viewport_size({"width": 420, "height": 1400})  # a brief as read on a phone
    page.goto((demo_site / "commitments" / "c-1-1.html").as_uri())
    page.screenshot(path=str(SCREENSHOTS / "brief.png"), full_page=False)
    for name in ("overview.png", "brief.png"):
        assert (SCREENSHOTS / name).stat().st_size > 10_000
    page.close()
