"""Crawl throughput against Scrapy's own ceiling, and the cost of a re-crawl (not a test: prints figures).

    .venv/bin/python benchmarks/bench_crawl.py [--size large] [--seed 1]

1. Full crawl of the replica (profile ``local``) with the whole pipeline (parse, compare with what is stored,
   store rows and raw payloads into a fresh SQLite file), its peak RSS.
2. ``scrapy bench`` on the same machine, in the same run, just before and just after 1 (Scrapy following links
   on its own local server, no parsing or storage; the ratio takes the mean of the two), its peak RSS.
3. A second crawl with nothing changed: its requests as a share of the full crawl's.
Prints pages/min for 1 and 2 and their ratio (goal ≥ 2), and the re-crawl share (goal ≤ 10 %).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Timed inside the subprocess, like scrapy bench's elapsed_time_seconds: interpreter start-up excluded.
CRAWL = """
import json, resource, sys, time
from crawler.run import run_crawl
started = time.perf_counter()
s = run_crawl(sys.argv[1], sys.argv[2], profile="local", quiet=True)
print(json.dumps({"pages": s.pages, "requests": s.requests, "new": s.items_new, "errors": len(s.errors),
                  "seconds": time.perf_counter() - started, "status": s.status, "warnings": s.warning_count,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def timed_crawl(base_url: str, db_url: str) -> tuple[dict[str, float], float]:
    done = subprocess.run(
        [sys.executable, "-c", CRAWL, base_url, db_url], capture_output=True, text=True, cwd=ROOT, check=True
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures, float(figures["seconds"])


def _final_stat(log: str, name: str, value: str) -> str:
    """The value of one of Scrapy's final stats in ``log``."""
    found = re.search(rf"'{name}': ({value})", log)
    if found is None:
        raise RuntimeError(f"scrapy bench printed no {name} stat")
    return found.group(1)


def scrapy_bench() -> tuple[float, float]:
    """Pages/min of ``scrapy bench`` from its final stats (run outside the project: Scrapy's defaults), and
    its peak RSS in MB (its final stats' ``memusage/max``)."""
    with tempfile.TemporaryDirectory() as empty:
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "bench", "-s", "LOG_LEVEL=INFO"],
            capture_output=True,
            text=True,
            cwd=empty,
            check=True,
        )
    log = done.stderr + done.stdout
    pages = int(_final_stat(log, "response_received_count", r"\d+"))
    seconds = float(_final_stat(log, "elapsed_time_seconds", r"[\d.]+"))
    peak = int(_final_stat(log, "memusage/max", r"\d+")) / 2**20
    return pages / seconds * 60, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="large")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from replica.server import ReplicaServer

    with tempfile.TemporaryDirectory() as tmp, ReplicaServer(seed=args.seed, size=args.size) as srv:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        before, before_peak = scrapy_bench()  # the machine's load drifts: Scrapy's ceiling before and after
        full, seconds = timed_crawl(srv.base_url, db_url)
        ours = full["pages"] / seconds * 60
        print(
            f"joinfeedback crawl (size {args.size}, parse + compare + store): {full['pages']} pages, "
            f"{full['new']} rows in {seconds:.1f} s → {ours:,.0f} pages/min ({full['status']}, "
            f"{full['errors']} errors, {full['warnings']} warnings), peak RSS {full['peak_mb']:.0f} MB"
        )
        again, again_seconds = timed_crawl(srv.base_url, db_url)
        share = again["requests"] / full["requests"]
        print(
            f"re-crawl, nothing changed: {again['requests']} of {full['requests']} requests "
            f"({share:.1%}) in {again_seconds:.1f} s"
        )
    after, after_peak = scrapy_bench()
    bench = (before + after) / 2
    print(
        f"scrapy bench: {before:,.0f} pages/min before the crawl, {after:,.0f} after (mean {bench:,.0f}), "
        f"peak RSS {max(before_peak, after_peak):.0f} MB"
    )
    print(f"ratio joinfeedback / scrapy bench: {ours / bench:.2f} (goal ≥ 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
