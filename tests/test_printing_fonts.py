"""The PDF step: fonts subset by HarfBuzz, not the slow fontTools fallback; library notes in the debug log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from reports.printing import write_pdfs

CJK_PAGE = """<!DOCTYPE html><html lang="zh-Hant"><head><meta charset="utf-8">
<style>body { font-family: "Noto Sans CJK TC", sans-serif; }</style></head>
<body><h1>開放政府國家行動方案</h1><p>擴大公共參與、提升透明 🌱</p></body></html>"""


def test_pdf_fonts_are_subset_without_the_fonttools_fallback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from weasyprint.text import ffi

    assert ffi.harfbuzz_subset is not None, (
        "WeasyPrint cannot load HarfBuzz-Subset: install Debian's libharfbuzz-subset0 (bash scripts/setup.sh "
        "as root); without it every PDF brief subsets the CJK font with fontTools, far slower "
        "(docs/benchmarks.md)"
    )
    caplog.set_level(logging.DEBUG)
    write_pdfs([(tmp_path / "brief.pdf", CJK_PAGE)])
    assert (tmp_path / "brief.pdf").read_bytes().startswith(b"%PDF")
    fallbacks = [r.getMessage() for r in caplog.records if "fonttools" in r.getMessage().lower()]
    assert fallbacks == []


def test_library_warnings_go_to_the_debug_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    unsupported_css = CJK_PAGE.replace("sans-serif; }", "sans-serif; frobnicate: 3; }")
    write_pdfs([(tmp_path / "brief.pdf", unsupported_css)])
    notes = [r for r in caplog.records if "frobnicate" in r.getMessage()]
    assert notes, "WeasyPrint no longer warns about unknown CSS properties: pick another trigger"
    assert {(r.name, r.levelno) for r in notes} == {("reports.printing", logging.DEBUG)}
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert logging.getLogger("weasyprint").propagate, "the logger is restored after printing"
