"""1 M comments end to end, as a user runs it: ``import`` a CSV, ``analyze``, ``export assignments``.

    .venv/bin/python benchmarks/bench_million.py                      # 1 000 000 comments, lexical
    .venv/bin/python benchmarks/bench_million.py --embeddings cached  # with the sentence vectors cached
    .venv/bin/python benchmarks/bench_million.py --n 200000           # quicker

Each step is the real command (``joinfeedback.cli.main``) on a SQLite file, in its own process, so that
its peak resident memory (``ru_maxrss``) is its own; forked workers are reported apart (the largest
one's peak: they share most of their pages with the parent, so the two peaks do not add up).

The comments are ``bench_analysis.generate``'s (devset clauses resampled and perturbed, a share of form
letters). The anchor, timed in the same run on the same file, is the floor of moving the rows at all:
Python's ``csv`` reading the file into an SQLite table with ``executemany``, reading the rows back and
writing them out again with ``csv`` (no analysis). The goal: the three steps in ≤ 180 s at a peak below
4 GB.

``--embeddings cached`` first fills a vector cache for the file's texts (the first run of the encoder:
slow, and not timed; the cache is kept in ``--cache`` for the next run), then times the steps with the
default analysis reading the vectors from it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_analysis import generate  # noqa: E402
from benchmarks.devset_common import CATALOGUES  # noqa: E402


def usage() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "cpu_s": own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime,
        "peak_rss_mb": own.ru_maxrss / 1024,
        "worker_peak_rss_mb": children.ru_maxrss / 1024,
    }


def write_csv(path: Path, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "created_at"])
        for row in generate(n):
            writer.writerow([row["item_id"], row["text"], row["created_at"].isoformat()])


def phase_command(argv: list[str]) -> dict[str, float]:
    """One ``joinfeedback`` command in this process."""
    from joinfeedback.cli import main

    started = time.perf_counter()
    code = main(argv)
    if code:
        raise SystemExit(f"joinfeedback {' '.join(argv)} exited {code}")
    return {"wall_s": time.perf_counter() - started, **usage()}


def phase_floor(csv_path: str, folder: str) -> dict[str, float]:
    """The anchor: csv → SQLite → csv with the standard library, nothing else."""
    started = time.perf_counter()
    db = sqlite3.connect(Path(folder) / "floor.db")
    db.execute("create table item (id text primary key, text text not null, created_at text)")
    with open(csv_path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        db.executemany("insert into item values (?, ?, ?)", reader)
    db.commit()
    with open(Path(folder) / "floor.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(db.execute("select id, text, created_at from item order by id"))
    db.close()
    return {"wall_s": time.perf_counter() - started, **usage()}


def phase_fill_cache(csv_path: str) -> dict[str, float]:
    """Encode every distinct text of the file into the vector cache (not part of the timed steps)."""
    import logging

    from analysis.text.embed import SentenceEncoder
    from analysis.text.normalise import normalise_many

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with open(csv_path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        texts = list(dict.fromkeys(normalise_many([row[1] for row in reader])))
    started = time.perf_counter()
    encoder = SentenceEncoder()
    encoder.encode(texts)
    return {"wall_s": time.perf_counter() - started, "encoded": encoder.n_encoded_, **usage()}


def run(args: list[str], env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False, env=env
    )
    if out.returncode:
        raise SystemExit(f"{args[:3]} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--embeddings", choices=["off", "cached"], default="off")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "joinfeedback-bench-cache"
    )
    parser.add_argument("--phase", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        result = {"command": phase_command, "floor": phase_floor, "fill-cache": phase_fill_cache}[name]
        print(json.dumps(result(rest) if name == "command" else result(*rest)))  # type: ignore[operator]
        return 0
    env = {**os.environ, "XDG_CACHE_HOME": str(args.cache)}
    with tempfile.TemporaryDirectory() as tmp:
        csv_path, db = Path(tmp) / "comments.csv", f"sqlite:///{Path(tmp) / 'bench.db'}"
        write_csv(csv_path, args.n)
        if args.embeddings == "cached":
            filled = run(["--phase", "fill-cache", str(csv_path)], env)
            print(f"vector cache: {int(filled['encoded']):,} texts encoded in {filled['wall_s']:.0f} s")
        floor = run(["--phase", "floor", str(csv_path), tmp], env)
        steps = {
            "import": ["import", str(csv_path), "--db", db, "-q"],
            "analyze": [
                "analyze",
                "--db",
                db,
                "--commitments",
                str(CATALOGUES["main"]),
                "--embeddings",
                "on" if args.embeddings == "cached" else "off",
                "-q",
            ],
            "export": [
                "export",
                "assignments",
                "--db",
                db,
                "--out",
                str(Path(tmp) / "assignments.csv"),
                "-q",
            ],
        }
        results = {name: run(["--phase", "command", *argv], env) for name, argv in steps.items()}
    total = sum(r["wall_s"] for r in results.values())
    print(f"{args.n:,} generated comments, SQLite, embeddings {args.embeddings}")
    for name, r in results.items():
        print(
            f"  {name:8s} {r['wall_s']:6.1f} s wall  {r['cpu_s']:6.1f} s CPU  peak RSS "
            f"{r['peak_rss_mb']:6.0f} MB (largest worker {r['worker_peak_rss_mb']:.0f} MB)"
        )
    peak = max(max(r["peak_rss_mb"], r["worker_peak_rss_mb"]) for r in results.values())
    print(
        f"joinfeedback import + analyze + export: {total:.1f} s wall, "
        f"{sum(r['cpu_s'] for r in results.values()):.1f} s CPU, peak RSS {peak:.0f} MB "
        f"(goal ≤ 180 s, < 4096 MB)"
    )
    print(
        f"anchor (csv → sqlite3 → csv, standard library): {floor['wall_s']:.1f} s wall, "
        f"{floor['cpu_s']:.1f} s CPU, peak RSS {floor['peak_rss_mb']:.0f} MB; "
        f"ratio {total / floor['wall_s']:.1f}x; load average {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
