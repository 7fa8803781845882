"""Analysis at scale: 100 K comments end to end (SQLite import → run_analysis), against the naive baseline.

    .venv/bin/python benchmarks/bench_analysis.py               # 100 000 comments
    .venv/bin/python benchmarks/bench_analysis.py --n 20000     # quicker
    .venv/bin/python benchmarks/bench_analysis.py --distinct    # 100 000 comments, every text distinct
    .venv/bin/python benchmarks/bench_analysis.py --no-embeddings   # the lexical path and the script only
    .venv/bin/python benchmarks/bench_analysis.py --repeat 1 --pairs 6  # the cached/lexical ratio, 6 pairs

The default analysis uses sentence embeddings at any size (``embeddings = auto`` with the extra
installed): its cost is the encoder's, once per distinct text, then read from the vector cache. So
the default is timed with an empty cache (a first run) and with the vectors cached (a scheduled re-run
on the same texts), against the lexical path (``embeddings = off``) timed in the same process with the
same warm dictionary (the lexical phase below also counts loading the dictionary, as the baseline does).

The comments are generated from the devset (CC0) by resampling and perturbing: two comments' clauses
joined, characters dropped or repeated, and a share of form letters (exact and lightly edited copies)
so that duplicate detection has work to do: about 65 K of 100 K texts are distinct. ``--distinct`` keeps
the first N comments whose normalised texts all differ instead (near-copies stay, exact ones go), so that
the first run with sentence embeddings encodes N texts. Each phase runs in its own process so that its
peak RSS (resource.getrusage) is its own; phases alternate and repeat (``--repeat``), the best run of each is
reported, with wall and CPU seconds (CPU includes forked workers): other jobs on a shared machine
inflate wall time, not CPU time.

The naive baseline is what a first attempt would do, on the same texts in memory: jieba with its
default dictionary (HMM on) on every comment, ``TfidfVectorizer``, cosine to each commitment's text
(argmax; ``none`` only without any shared word). Its KMeans(k = topics + 1) clustering is timed
apart and reported beside it. Ours is timed twice: ``analyse`` on the same in-memory texts (assign
+ themes + duplicates: like for like) and the whole ``run_analysis`` with SQLite load and store.
Each analysis is also scored (accuracy, as ``benchmarks/generalisation.py`` counts it) against the
generated comments' gold topics — the conversation each text was taken from — so that a change made
for speed that loses what the analysis gets right at this size shows beside its time.
Goals: the first default run (empty vector cache) ≤ 3 min on 2 cores, the run with the vectors cached
≤ 1.2 × the lexical one, the lexical analysis ≥ 5 × faster than the baseline with its KMeans, < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from itertools import count, islice
from pathlib import Path
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.catalogue import load_catalogue  # noqa: E402
from benchmarks.devset_common import CATALOGUES, load_devset  # noqa: E402


class GeneratedComment(TypedDict):
    """One generated comment, in the columns of ``ImportedItem``."""

    dataset: str
    item_id: str
    text: str
    created_at: datetime


def generate(n: int, seed: int = 0, *, distinct: bool = False) -> list[GeneratedComment]:
    return [row for row, _ in generate_labelled(n, seed, distinct=distinct)]


def generate_labelled(
    n: int, seed: int = 0, catalogue: str = "main", *, distinct: bool = False
) -> list[tuple[GeneratedComment, str]]:
    """The generated comments, each with its gold topic: the Pol.is conversation of the comment its
    text was taken from (a form letter's, or the first of the two joined), or ``none`` when
    ``catalogue`` (a key of ``CATALOGUES``) leaves that conversation out.

    ``distinct``: the first ``n`` comments whose normalised texts all differ (a form letter's first copy
    and lightly edited ones stay, exact repeats go), so that a first run with sentence embeddings encodes
    ``n`` texts, not about two thirds of them.
    """
    comments = _comments(seed, catalogue)
    if not distinct:
        return list(islice(comments, n))
    from analysis.text.normalise import normalise

    rows: list[tuple[GeneratedComment, str]] = []
    seen: set[str] = set()
    for comment, gold in comments:
        if len(rows) >= n:
            break
        key = normalise(comment["text"])
        if key not in seen:
            seen.add(key)
            rows.append((comment, gold))
    return rows


def _comments(seed: int, catalogue: str) -> Iterator[tuple[GeneratedComment, str]]:
    rng = random.Random(seed)
    source = load_devset()
    codes = {c.code for c in load_catalogue(CATALOGUES[catalogue]).commitments}
    letters = [rng.choice(source) for _ in range(20)]
    start = datetime(2020, 2, 21, 9, tzinfo=ZoneInfo("Asia/Taipei"))
    for i in count():
        roll = rng.random()
        if roll < 0.1:
            origin = letters[i % len(letters)]
            letter = origin["text"]
            text = letter if rng.random() < 0.5 else letter + rng.choice(["", "。", "！", "謝謝"])
        else:
            origin, other = rng.choice(source), rng.choice(source)
            a, b = origin["text"], other["text"]
            parts = [p for p in a.replace("。", "，").split("，") if p][: rng.randint(1, 3)]
            if rng.random() < 0.5:
                parts += [p for p in b.split("，") if p][:1]
            text = "，".join(parts)
            if len(text) > 4 and rng.random() < 0.5:
                k = rng.randrange(len(text))
                text = text[:k] + text[k + 1 :] if rng.random() < 0.5 else text[:k] + text[k] + text[k:]
        row: GeneratedComment = {
            "dataset": "bench",
            "item_id": f"b{i:07d}",
            "text": text or "同意",
            "created_at": start + timedelta(seconds=37 * i),
        }
        yield row, origin["conversation"] if origin["conversation"] in codes else "none"


def accuracy(result: Any, gold: list[str]) -> float:
    """Share of the items whose answer (``uncertain`` counts as its best commitment) is their gold topic,
    as ``benchmarks/generalisation.py`` counts it."""
    answers = [a["commitment_code"] if a["status"] != "none" else "none" for a in result.assignments]
    return sum(a == g for a, g in zip(answers, gold, strict=True)) / max(1, len(gold))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (forked workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def phase_memory(n: int, distinct: bool) -> dict[str, float]:
    """``analyse`` on in-memory texts, lexical only: the same input and evidence the baseline gets."""
    from analysis.catalogue import load_catalogue
    from analysis.run import analyse
    from storage.corpus import TextItem

    labelled = generate_labelled(n, distinct=distinct)
    items = [
        TextItem("import", str(r["item_id"]), str(r["text"]), created_at=r["created_at"]) for r, _ in labelled
    ]
    catalogue = load_catalogue(CATALOGUES["main"])
    cpu, started = cpu_seconds(), time.perf_counter()
    result = analyse(items, catalogue, seed=0, params={"embeddings": "off"})
    return {
        "analysis_s": time.perf_counter() - started,
        "cpu_s": cpu_seconds() - cpu,
        "peak_rss_mb": peak_rss_mb(),
        **{f"{k}_s": v for k, v in result.summary["timings_s"].items()},
        "accuracy": accuracy(result, [gold for _, gold in labelled]),
    }


def phase_ours(n: int, distinct: bool) -> dict[str, float]:
    from analysis.run import run_analysis
    from storage.db import open_database, session_factory, transaction, upsert
    from storage.models import AnalysisRun, ImportedItem

    rows = generate(n, distinct=distinct)
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        started = time.perf_counter()
        with transaction(engine) as session:
            for i in range(0, len(rows), 10000):
                upsert(session, ImportedItem, rows[i : i + 10000], keys=["dataset", "item_id"])
        imported = time.perf_counter() - started
        cpu, started = cpu_seconds(), time.perf_counter()
        run_id = run_analysis(engine, catalogue=str(CATALOGUES["main"]), seed=0, quiet=True, embeddings="off")
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds() - cpu
        with session_factory(engine)() as session:
            run = session.get(AnalysisRun, run_id)
            assert run is not None
            manifest: dict[str, Any] = run.manifest  # a JSON document
            summary = manifest["summary"]
        engine.dispose()
    return {
        "import_s": imported,
        "analysis_s": elapsed,
        "cpu_s": cpu,
        "peak_rss_mb": peak_rss_mb(),
        **{f"{k}_s": v for k, v in summary["timings_s"].items()},
        "n_unique_arguments": summary["n_unique_arguments"],
        "n_campaigns": summary["n_campaigns"],
    }


def phase_baseline(n: int, distinct: bool) -> dict[str, float]:
    from analysis.catalogue import load_catalogue
    from benchmarks.devset_common import naive_assign, naive_clusters

    labelled = generate_labelled(n, distinct=distinct)
    catalogue = load_catalogue(CATALOGUES["main"])
    cpu, started = cpu_seconds(), time.perf_counter()
    answers, X = naive_assign(
        [str(r["text"]) for r, _ in labelled], [(c.code, c.text) for c in catalogue.commitments]
    )
    elapsed, cpu_used = time.perf_counter() - started, cpu_seconds() - cpu
    cpu, started = cpu_seconds(), time.perf_counter()
    naive_clusters(X, len(catalogue.codes) + 1)
    return {
        "analysis_s": elapsed,
        "cpu_s": cpu_used,
        "kmeans_s": time.perf_counter() - started,
        "kmeans_cpu_s": cpu_seconds() - cpu,
        "peak_rss_mb": peak_rss_mb(),
        "accuracy": sum(a == g for a, (_, g) in zip(answers, labelled, strict=True)) / max(1, n),
    }


def phase_embeddings(n: int, distinct: bool, pairs: int = 2) -> dict[str, Any]:
    """``analyse`` in memory with the default (sentence embeddings) and an empty vector cache, then
    again with the vectors cached, against the lexical path in the same process (the dictionary loaded
    before any of them is timed, so the three are like for like): cold, then ``pairs`` pairs of a
    lexical and a cached run, each pair in the other order than the one before. The best of each kind is
    kept, and every pair's two times (``pair_walls``), whose ratios' median is printed: on a shared machine
    one lucky lexical run moves the ratio of the best runs by a tenth."""
    from analysis.catalogue import load_catalogue
    from analysis.run import analyse
    from storage.corpus import TextItem

    labelled = generate_labelled(n, distinct=distinct)
    items = [TextItem("import", str(r["item_id"]), str(r["text"])) for r, _ in labelled]
    catalogue = load_catalogue(CATALOGUES["main"])
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = tmp  # a cold vector cache (the jieba dictionary is rebuilt too)
        analyse(items[:50], catalogue, seed=0, params={"embeddings": "off"})  # dictionary, not timed

        def timed(label: str, mode: str) -> float:
            cpu, started = cpu_seconds(), time.perf_counter()
            result = analyse(items, catalogue, seed=0, params={"embeddings": mode})
            wall, used = time.perf_counter() - started, cpu_seconds() - cpu
            if wall < out.get(f"{label}_s", float("inf")):
                out[f"{label}_s"], out[f"{label}_cpu_s"] = wall, used
                out[f"{label}_assign_s"] = result.summary["timings_s"]["assign"]
            if mode == "auto":
                out["accuracy"] = accuracy(result, [gold for _, gold in labelled])
            return wall

        timed("cold", "auto")
        out["pair_walls"] = []
        for pair in range(pairs):
            order = [("lexical", "off"), ("cached", "auto")]
            if pair % 2:
                order.reverse()
            wall = {label: timed(label, mode) for label, mode in order}
            out["pair_walls"].append([wall["lexical"], wall["cached"]])
    out["analysis_s"] = out["cold_s"]
    out["peak_rss_mb"] = peak_rss_mb()
    out["load_average"] = os.getloadavg()[0]
    return out


PHASES: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "ours": lambda args: phase_ours(args.n, args.distinct),
    "memory": lambda args: phase_memory(args.n, args.distinct),
    "baseline": lambda args: phase_baseline(args.n, args.distinct),
    "embeddings": lambda args: phase_embeddings(args.n, args.distinct, args.pairs),
}


def run_phase(name: str, n: int, distinct: bool, pairs: int = 2) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--phase",
        name,
        "--n",
        str(n),
        "--pairs",
        str(pairs),
        *(["--distinct"] if distinct else []),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    return min(runs, key=lambda r: r["analysis_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    # Three by default: on a shared 2-core machine one run of any phase varies by up to 1.5x.
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each phase; best kept")
    parser.add_argument("--phase", choices=sorted(PHASES))
    parser.add_argument(
        "--no-embeddings",
        action="store_true",
        help="skip the default path with sentence embeddings (its first run encodes every distinct text)",
    )
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="N comments whose texts all differ (no exact copies): the first run encodes N texts",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=2,
        help="pairs of a lexical and a cached run, alternating, after the first run (median ratio printed)",
    )
    args = parser.parse_args()
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in ("baseline", "memory", "ours")}
    for _ in range(args.repeat):
        for name in runs:
            runs[name].append(run_phase(name, args.n, args.distinct))
    base, memory, ours = best(runs["baseline"]), best(runs["memory"]), best(runs["ours"])
    shape = "generated comments, every text distinct" if args.distinct else "generated comments"
    print(f"{args.n} {shape}, catalogue benchmarks/devset/topics.csv, best of {args.repeat}")
    print(
        f"naive baseline (jieba default+HMM, TfidfVectorizer, cosine): {base['analysis_s']:.1f} s wall, "
        f"{base['cpu_s']:.1f} s CPU, peak RSS {base['peak_rss_mb']:.0f} MB "
        f"(+ KMeans clustering {base['kmeans_s']:.1f} s); accuracy {base['accuracy']:.3f}"
    )
    print(
        f"joinfeedback analyse, lexical (same texts in memory): {memory['analysis_s']:.1f} s wall, "
        f"{memory['cpu_s']:.1f} s CPU, peak RSS {memory['peak_rss_mb']:.0f} MB ("
        + ", ".join(
            f"{k[:-2]} {v:.1f} s"
            for k, v in memory.items()
            if k.endswith("_s") and k not in {"analysis_s", "cpu_s"}
        )
        + f"); accuracy {memory['accuracy']:.3f}"
    )
    print(
        f"joinfeedback run_analysis, lexical (SQLite load + store): {ours['analysis_s']:.1f} s wall, "
        f"{ours['cpu_s']:.1f} s CPU, peak RSS {ours['peak_rss_mb']:.0f} MB "
        f"(import {ours['import_s']:.1f} s), "
        f"{int(ours['n_unique_arguments'])} unique arguments, {int(ours['n_campaigns'])} campaigns"
    )
    with_kmeans = base["analysis_s"] + base["kmeans_s"]
    print(
        "speed-up, like for like (analyse vs baseline): "
        f"{base['analysis_s'] / memory['analysis_s']:.2f}x wall, "
        f"{base['cpu_s'] / memory['cpu_s']:.2f}x CPU; against baseline + KMeans "
        f"{with_kmeans / memory['analysis_s']:.2f}x wall, "
        f"{(base['cpu_s'] + base['kmeans_cpu_s']) / memory['cpu_s']:.2f}x CPU"
    )
    print(
        "speed-up, end to end (run_analysis incl. storage vs baseline): "
        f"{base['analysis_s'] / ours['analysis_s']:.2f}x; against baseline + KMeans "
        f"{with_kmeans / ours['analysis_s']:.2f}x"
    )
    if not args.no_embeddings:
        extra = run_phase("embeddings", args.n, args.distinct, args.pairs)
        ratio = extra["cached_s"] / extra["lexical_s"]
        pairs = extra["pair_walls"]
        median_ratio = statistics.median(cached / lexical for lexical, cached in pairs)
        print(
            "default (embeddings = auto, sentence vectors at any size): "
            f"analyse {extra['cold_s']:.1f} s wall with an empty vector cache "
            f"({extra['cold_cpu_s']:.1f} s CPU), {extra['cached_s']:.1f} s with the vectors cached "
            f"({extra['cached_cpu_s']:.1f} s CPU): {ratio:.2f}x "
            f"the lexical {extra['lexical_s']:.1f} s ({extra['lexical_cpu_s']:.1f} s CPU) run in the same "
            f"process, best of {len(pairs)} each; median ratio of the {len(pairs)} "
            f"alternating pairs {median_ratio:.2f}x; peak RSS {extra['peak_rss_mb']:.0f} MB; "
            f"load average {extra['load_average']:.1f}; accuracy {extra['accuracy']:.3f}"
        )
        print(
            "pairs (lexical s, cached s): "
            + ", ".join(f"{lexical:.2f}/{cached:.2f}" for lexical, cached in pairs)
        )
    print(
        "accuracy: share of the comments answered with the conversation their text was taken from "
        "(uncertain counts as its best commitment; none where the catalogue leaves it out)"
    )


if __name__ == "__main__":
    main()
