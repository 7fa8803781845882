"""Report benchmark: the full report for 100K comments (synthetic analysis rows) on SQLite.

Times HTML pages + CSV/JSON tables apart from the PDF briefs, and the assignments export, and prints the
ratio to a 1K-comment reference run made by the same script on the same machine. Goal: HTML + exports
≤ 30 s for 100K comments.

    .venv/bin/python benchmarks/bench_report.py [--comments 100000] [--reference 1000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reports.exports import export_assignments  # noqa: E402
from reports.site import build_report  # noqa: E402
from storage.db import open_database  # noqa: E402
from tests.report_fixtures import populate  # noqa: E402


def measure(folder: Path, comments: int) -> dict[str, float]:
    engine = open_database(f"sqlite:///{folder / 'bench.db'}")
    started = time.perf_counter()
    summary = populate(engine, n_comments=comments, keep_texts=False)
    filled = time.perf_counter() - started

    started = time.perf_counter()
    build_report(engine, folder / "site", quiet=True, pdf=False)
    html = time.perf_counter() - started

    started = time.perf_counter()
    rows = export_assignments(engine, folder / "assignments.csv")
    export = time.perf_counter() - started

    started = time.perf_counter()
    build_report(engine, folder / "site-pdf", quiet=True, pdf=True)
    with_pdf = time.perf_counter() - started
    engine.dispose()
    assert rows == summary.n_items
    pdfs = len(list((folder / "site-pdf" / "briefs").glob("*.pdf")))
    return {
        "items": summary.n_items,
        "fill": filled,
        "html": html,
        "export": export,
        "pdf": max(0.0, with_pdf - html),
        "pdfs": pdfs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--reference", type=int, default=1_000)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()
    results = {}
    for label, size in (("reference", args.reference), ("full", args.comments)):
        if args.keep:
            folder = args.keep / label
            folder.mkdir(parents=True, exist_ok=True)
            results[label] = measure(folder, size)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                results[label] = measure(Path(tmp), size)
        r = results[label]
        print(
            f"{label:9s} {int(r['items']):>8,} items  fill DB {r['fill']:6.1f} s  "
            f"HTML+tables {r['html']:6.2f} s  assignments CSV {r['export']:6.2f} s  "
            f"PDF briefs ({int(r['pdfs'])}) {r['pdf']:6.2f} s"
        )
    ref, full = results["reference"], results["full"]
    html_exports = full["html"] + full["export"]
    print(
        f"HTML + exports for {int(full['items']):,} items: {html_exports:.2f} s "
        f"(goal ≤ 30 s: {'met' if html_exports <= 30 else 'NOT met'}); "
        f"×{html_exports / max(1e-9, ref['html'] + ref['export']):.1f} the {int(ref['items']):,}-item run "
        f"for ×{full['items'] / ref['items']:.0f} the items; PDFs ×{full['pdf'] / max(1e-9, ref['pdf']):.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
