"""Report benchmark: the report of N items (HTML pages, CSV/JSON tables and the assignments export) on SQLite.

    .venv/bin/python benchmarks/bench_report.py --comments 1000000 --db-dir /tmp/bench-report
    .venv/bin/python benchmarks/bench_report.py --comments 200000 --profile   # cProfile of the full run

Times ``build_report`` without the PDF briefs (every page, every table, the Markdown briefs) and
``export_assignments`` (CSV), and prints the ratio to a reference report of ``--reference`` comments made
by the same script in the same run: the goal is the 1 M-item report in ≤ 15 s. The data are
``tests.report_fixtures.populate``'s (two complete runs of the OGP catalogue's commitments, a campaign,
themes, proposals and agency responses); filling a 1 M database takes minutes, so ``--db-dir`` keeps each
size's database and later runs reuse it.

Each report is built in its own process, so that its peak resident memory (``VmHWM``) is its own and not
the filling's; its CPU seconds (the whole process, and apart those of the children it forked: the export
writes a large CSV in two processes) say more than wall times on a busy machine.
``--profile`` runs the full-size report under cProfile (its times are then the profiled ones) and prints
the functions with the most time; ``--keep`` keeps the report folders.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``: reset by ``exec``, unlike ``ru_maxrss``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fill(db: Path, comments: int) -> dict[str, float]:
    """Write the fixture's data for ``comments`` comments to a new database at ``db``."""
    from storage.db import open_database
    from tests.report_fixtures import populate

    partial = db.with_name(db.name + ".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    engine = open_database(f"sqlite:///{partial}")
    summary = populate(engine, n_comments=comments, keep_texts=False)
    engine.dispose()
    partial.rename(db)
    return {"items": summary.n_items, "fill_s": time.perf_counter() - started}


def report(db: Path, out: Path, *, pdf: bool) -> dict[str, float]:
    """Build the report of ``db`` into ``out`` and export its assignments; the seconds of each."""
    from reports.exports import export_assignments
    from reports.site import build_report
    from storage.db import open_database

    engine = open_database(f"sqlite:///{db}")
    started = time.perf_counter()
    build_report(engine, out / "site", quiet=True, pdf=False)
    html = time.perf_counter() - started
    started = time.perf_counter()
    rows = export_assignments(engine, out / "assignments.csv")
    export = time.perf_counter() - started
    result = {"items": rows, "html_s": html, "export_s": export}
    if pdf:
        started = time.perf_counter()
        build_report(engine, out / "site-pdf", quiet=True, pdf=True)
        result["pdf_s"] = max(0.0, time.perf_counter() - started - html)
    engine.dispose()
    return result


def child(args: argparse.Namespace) -> int:
    """One step in this process; its result as a JSON line on stdout (the profile, if any, before it)."""
    if args.step == "fill":
        result = fill(args.db, args.comments)
    elif args.profile:
        profiler = cProfile.Profile()
        result = profiler.runcall(report, args.db, args.out, pdf=args.pdf)
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream).strip_dirs()
        stats.sort_stats("tottime").print_stats(args.profile)
        stats.sort_stats("cumulative").print_stats(args.profile)
        print(stream.getvalue(), file=sys.stderr)
    else:
        result = report(args.db, args.out, pdf=args.pdf)
    used = resource.getrusage(resource.RUSAGE_SELF)  # the whole process: imports and opening included
    forked = resource.getrusage(resource.RUSAGE_CHILDREN)  # the export's forked child, if any
    cpu = {"cpu_s": used.ru_utime + used.ru_stime, "child_cpu_s": forked.ru_utime + forked.ru_stime}
    print(json.dumps({**result, "peak_rss_mb": peak_rss_mb(), **cpu}))
    return 0


def run(step: list[str]) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, *step], stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(step)} failed (exit {done.returncode})")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(args: argparse.Namespace, folder: Path, comments: int, *, profile: int) -> dict[str, float]:
    db = folder / f"report-{comments}.db"
    filled: dict[str, float] = {}
    if not db.exists():
        filled = run(["--step", "fill", "--db", str(db), "--comments", str(comments)])
    out = (args.keep or folder) / f"report-{comments}"
    out.mkdir(parents=True, exist_ok=True)
    step = ["--step", "report", "--db", str(db), "--out", str(out), "--profile", str(profile)]
    result = run(step + (["--pdf"] if args.pdf else []))
    return {**result, "fill_s": filled.get("fill_s", 0.0)}


def show(label: str, r: dict[str, float]) -> None:
    filled = f"filled in {r['fill_s']:.1f} s" if r["fill_s"] else "database reused"
    pdf = f"  (PDF briefs {r['pdf_s']:.2f} s)" if "pdf_s" in r else ""
    print(
        f"{label:9s} {int(r['items']):>9,} items  pages+tables {r['html_s']:6.2f} s  "
        f"assignments CSV {r['export_s']:6.2f} s  total {r['html_s'] + r['export_s']:6.2f} s  "
        f"peak RSS {r['peak_rss_mb']:5.0f} MB  process CPU {r['cpu_s']:6.2f} s"
        f" + forked children {r.get('child_cpu_s', 0.0):5.2f} s  ({filled}){pdf}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--reference", type=int, default=1_000)
    parser.add_argument("--db-dir", type=Path, help="keep each size's database here and reuse it")
    parser.add_argument("--keep", type=Path, help="build the reports in this folder and keep them")
    parser.add_argument("--pdf", action="store_true", help="also time the PDF briefs (not in the total)")
    parser.add_argument("--profile", type=int, nargs="?", const=30, default=0, help="top N functions")
    parser.add_argument("--step", choices=["fill", "report"], help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        return child(args)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.db_dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        ref = measure(args, folder, args.reference, profile=0)
        show("reference", ref)
        full = measure(args, folder, args.comments, profile=args.profile)
        show("full", full)
    total, ref_total = full["html_s"] + full["export_s"], ref["html_s"] + ref["export_s"]
    goal = f" (goal ≤ 15 s: {'met' if total <= 15 else 'NOT met'})" if full["items"] >= 1_000_000 else ""
    print(
        f"report of {int(full['items']):,} items (HTML + exports, no PDF briefs): {total:.2f} s{goal}; "
        f"×{total / max(1e-9, ref_total):.1f} the {int(ref['items']):,}-item reference ({ref_total:.2f} s) "
        f"for ×{full['items'] / ref['items']:.0f} the items; peak RSS {full['peak_rss_mb']:.0f} MB"
        + (" (profiled: times include cProfile's overhead)" if args.profile else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
