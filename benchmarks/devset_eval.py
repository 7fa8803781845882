"""Development-set evaluation: import the polis devset into a temporary SQLite database, analyse it
through the real entry points and print the scores next to the naive baseline.

    .venv/bin/python benchmarks/devset_eval.py            # both catalogues (cross-check)
    .venv/bin/python benchmarks/devset_eval.py --catalogue main

The devset (CC0) is benchmarks/devset/polis/comments.csv: 970 real comments from 18 polis
conversations; the conversation is the topic. benchmarks/devset/topics.csv describes 14 of them (written
by reading the comments) and leaves 4 out to measure ``none``; topics_alt.csv leaves out 4 different ones,
including the second-largest conversation.

``--catalogue join`` evaluates real join.gov.tw comments instead (benchmarks/devset/join_comments.csv,
11 consultations in join_topics.csv, 4 left out as ``none``; sources in benchmarks/devset/README.md).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.catalogue import load_catalogue
from analysis.evaluate import evaluate
from analysis.run import run_analysis
from benchmarks.devset_common import CATALOGUES, gold_labels, load_rows, naive_baseline, scores
from storage.db import open_database, transaction, upsert
from storage.models import ImportedItem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", choices=[*CATALOGUES, "all"], default="all")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    names = list(CATALOGUES) if args.catalogue == "all" else [args.catalogue]
    for name in names:
        rows = load_rows(name)
        path = CATALOGUES[name]
        catalogue = load_catalogue(path)
        gold = gold_labels(rows, set(catalogue.codes))
        with tempfile.TemporaryDirectory() as tmp:
            engine = open_database(f"sqlite:///{Path(tmp) / 'devset.db'}")
            with transaction(engine) as session:
                upsert(
                    session,
                    ImportedItem,
                    [
                        {
                            "dataset": "polis",
                            "item_id": r["id"],
                            "text": r["text"],
                            "source_file": "comments.csv",
                            "source_line": i + 2,
                        }
                        for i, r in enumerate(rows)
                    ],
                    keys=["dataset", "item_id"],
                )
            labels = Path(tmp) / "labels.csv"
            labels.write_text(
                "item_id,gold\n" + "".join(f"{r['id']},{g}\n" for r, g in zip(rows, gold, strict=True)),
                encoding="utf-8",
            )
            started = time.perf_counter()
            run_analysis(engine, catalogue=str(path), seed=args.seed, quiet=True)
            elapsed = time.perf_counter() - started
            report = evaluate(engine, labels)
            engine.dispose()
        started = time.perf_counter()
        base_pred, base_clusters = naive_baseline(
            [r["text"] for r in rows],
            [(c.code, c.text) for c in catalogue.commitments],
            len(catalogue.codes) + 1,
        )
        base_elapsed = time.perf_counter() - started
        base = scores(gold, base_pred)
        base_nmi = scores(gold, base_pred, [str(c) for c in base_clusters])["nmi"]
        print(
            f"=== catalogue {name} ({path.name}): {len(catalogue.codes)} topics, "
            f"{sum(g == 'none' for g in gold)} of {len(gold)} comments fit none"
        )
        print(
            f"naive baseline: accuracy {base['accuracy']:.3f}  macro-F1 {base['macro_f1']:.3f}  "
            f"none P/R {base['none_precision']:.3f}/{base['none_recall']:.3f}  "
            f"NMI (assignments) {base['nmi']:.3f}  NMI (KMeans k={len(catalogue.codes) + 1}) {base_nmi:.3f}  "
            f"[{base_elapsed:.1f} s]"
        )
        print(f"joinfeedback [{elapsed:.1f} s incl. storage]:")
        print(report)
        print()


if __name__ == "__main__":
    main()
