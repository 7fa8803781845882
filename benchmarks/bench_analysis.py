"""Analysis at scale: 100 K comments end to end (SQLite import → run_analysis), against the naive baseline.

    .venv/bin/python benchmarks/bench_analysis.py               # 100 000 comments
    .venv/bin/python benchmarks/bench_analysis.py --n 20000     # quicker

The comments are generated from the devset (CC0) by resampling and perturbing: two comments' clauses
joined, characters dropped or repeated, and a share of form letters (exact and lightly edited copies)
so that duplicate detection has work to do. Each phase runs in its own process so that its peak RSS
(resource.getrusage) is its own. The naive baseline is what a first attempt would do: jieba with its
default dictionary (HMM on), TF-IDF, cosine to each commitment, KMeans(k = topics + 1).
Goal for the default configuration: ≤ 60 s on 2 cores, ≥ 3× faster than the baseline, < 4 GB RSS.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.devset_common import CATALOGUES, load_devset  # noqa: E402


def generate(n: int, seed: int = 0) -> list[dict[str, object]]:
    rng = random.Random(seed)
    texts = [r["text"] for r in load_devset()]
    letters = [rng.choice(texts) for _ in range(20)]
    start = datetime(2020, 2, 21, 9, tzinfo=ZoneInfo("Asia/Taipei"))
    rows: list[dict[str, object]] = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.1:
            letter = letters[i % len(letters)]
            text = letter if rng.random() < 0.5 else letter + rng.choice(["", "。", "！", "謝謝"])
        else:
            a, b = rng.choice(texts), rng.choice(texts)
            parts = [p for p in a.replace("。", "，").split("，") if p][: rng.randint(1, 3)]
            if rng.random() < 0.5:
                parts += [p for p in b.split("，") if p][:1]
            text = "，".join(parts)
            if len(text) > 4 and rng.random() < 0.5:
                k = rng.randrange(len(text))
                text = text[:k] + text[k + 1 :] if rng.random() < 0.5 else text[:k] + text[k] + text[k:]
        rows.append(
            {
                "dataset": "bench",
                "item_id": f"b{i:07d}",
                "text": text or "同意",
                "created_at": start + timedelta(seconds=37 * i),
            }
        )
    return rows


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_ours(n: int) -> dict[str, float]:
    from analysis.run import run_analysis
    from storage.db import open_database, session_factory, transaction, upsert
    from storage.models import AnalysisRun, ImportedItem

    rows = generate(n)
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        started = time.perf_counter()
        with transaction(engine) as session:
            for i in range(0, len(rows), 10000):
                upsert(session, ImportedItem, rows[i : i + 10000], keys=["dataset", "item_id"])
        imported = time.perf_counter() - started
        started = time.perf_counter()
        run_id = run_analysis(engine, catalogue=str(CATALOGUES["main"]), seed=0, quiet=True)
        elapsed = time.perf_counter() - started
        with session_factory(engine)() as session:
            run = session.get(AnalysisRun, run_id)
            assert run is not None
            summary = run.manifest["summary"]
        engine.dispose()
    return {
        "import_s": imported,
        "analysis_s": elapsed,
        "peak_rss_mb": peak_rss_mb(),
        **{f"{k}_s": v for k, v in summary["timings_s"].items()},
        "n_unique_arguments": summary["n_unique_arguments"],
        "n_campaigns": summary["n_campaigns"],
    }


def phase_baseline(n: int) -> dict[str, float]:
    from analysis.catalogue import load_catalogue
    from benchmarks.devset_common import naive_baseline

    rows = generate(n)
    catalogue = load_catalogue(CATALOGUES["main"])
    started = time.perf_counter()
    naive_baseline(
        [str(r["text"]) for r in rows],
        [(c.code, c.text) for c in catalogue.commitments],
        len(catalogue.codes) + 1,
    )
    return {"analysis_s": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}


def run_phase(name: str, n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--n", str(n)], capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--phase", choices=["ours", "baseline"])
    args = parser.parse_args()
    if args.phase:
        result = phase_ours(args.n) if args.phase == "ours" else phase_baseline(args.n)
        print(json.dumps(result))
        return
    ours = run_phase("ours", args.n)
    base = run_phase("baseline", args.n)
    print(f"{args.n} generated comments, catalogue benchmarks/devset/topics.csv")
    print(
        f"joinfeedback default: analysis {ours['analysis_s']:.1f} s (import {ours['import_s']:.1f} s; "
        + ", ".join(
            f"{k[:-2]} {v:.1f} s"
            for k, v in ours.items()
            if k.endswith("_s") and k not in {"import_s", "analysis_s"}
        )
        + f"), peak RSS {ours['peak_rss_mb']:.0f} MB, {int(ours['n_unique_arguments'])} unique arguments, "
        f"{int(ours['n_campaigns'])} campaigns"
    )
    print(f"naive baseline:      {base['analysis_s']:.1f} s, peak RSS {base['peak_rss_mb']:.0f} MB")
    print(f"speed-up vs baseline: {base['analysis_s'] / ours['analysis_s']:.2f}x")


if __name__ == "__main__":
    main()
