"""Assignment quality as the catalogue gets leaner: full rows, no keywords, titles only.

    .venv/bin/python benchmarks/catalogue_stress.py                 # every devset, all three forms
    .venv/bin/python benchmarks/catalogue_stress.py --forms title   # titles only
    .venv/bin/python benchmarks/catalogue_stress.py --params '{"char_ngram": [1, 2]}'   # other parameters
    .venv/bin/python benchmarks/catalogue_stress.py --topics 6      # 3 random 6-topic catalogues each

The polis catalogues (benchmarks/devset/topics*.csv) were written by reading the comments, so their
keywords are easier than a catalogue written beforehand; held-out catalogues may hold little more
than a title. Each devset catalogue is rewritten without keywords (``nokw``) and without keywords or
descriptions (``title``), and ``analysis.run.analyse`` (in memory, seed 0) is scored on the same
comments next to the naive baseline (benchmarks/devset_common.naive_baseline) on the same catalogue.

``--topics N`` instead keeps N of a catalogue's rows (three random draws, seeds 0-2; full rows): the
comments of every conversation left out are then ``none``, often the majority, and some of those
conversations are neighbours of a kept one (television drama beside new media).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
from pathlib import Path

from sklearn.metrics import normalized_mutual_info_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.catalogue import load_catalogue
from analysis.run import analyse
from benchmarks.devset_common import CATALOGUES, gold_labels, load_rows, naive_baseline, scores
from storage.corpus import TextItem

FORMS = ("full", "nokw", "title")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _written(rows: list[dict[str, str]], out: Path) -> Path:
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "title", "description", "keywords"])
        writer.writeheader()
        writer.writerows(rows)
    return out


def leaner(path: Path, form: str, folder: Path) -> Path:
    """The catalogue at ``path`` rewritten in ``form`` (``full`` is the file itself)."""
    if form == "full":
        return path
    rows = [
        {
            "id": row["id"],
            "title": row["title"],
            "description": "" if form == "title" else row["description"],
            "keywords": "",
        }
        for row in _rows(path)
    ]
    return _written(rows, folder / f"{path.stem}-{form}.csv")


def subset(path: Path, size: int, draw: int, folder: Path) -> Path:
    """``size`` rows of the catalogue at ``path``, drawn with seed ``draw``."""
    rows = _rows(path)
    return _written(
        random.Random(draw).sample(rows, min(size, len(rows))), folder / f"{path.stem}-{size}-{draw}.csv"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", choices=[*CATALOGUES, "all"], default="all")
    parser.add_argument("--forms", nargs="+", choices=FORMS, default=list(FORMS))
    parser.add_argument(
        "--params", type=json.loads, default={}, help="analysis parameters (JSON) to override"
    )
    parser.add_argument("--topics", type=int, help="random catalogues of this many topics instead of --forms")
    args = parser.parse_args()
    names = list(CATALOGUES) if args.catalogue == "all" else [args.catalogue]
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            rows = load_rows(name)
            topics = [r["conversation"] for r in rows]
            items = [TextItem("import", r["id"], r["text"]) for r in rows]
            variants = (
                [
                    (f"{args.topics}t-{draw}", subset(CATALOGUES[name], args.topics, draw, Path(tmp)))
                    for draw in range(3)
                ]
                if args.topics
                else [(form, leaner(CATALOGUES[name], form, Path(tmp))) for form in args.forms]
            )
            for form, catalogue_path in variants:
                catalogue = load_catalogue(catalogue_path)
                gold = gold_labels(rows, set(catalogue.codes))
                result = analyse(items, catalogue, seed=0, params=args.params)
                predicted = [a["commitment_code"] or "none" for a in result.assignments]
                ours = scores(gold, predicted)
                themes = [a["cluster_key"] or "" for a in result.assignments]
                naive, naive_groups = naive_baseline(
                    [r["text"] for r in rows],
                    [(c.code, c.text) for c in catalogue.commitments],
                    len(catalogue.codes) + 1,
                )
                base = scores(gold, naive)
                naive_nmi = normalized_mutual_info_score(topics, naive_groups)
                print(
                    f"{name:5s} {form:5s} accuracy {ours['accuracy']:.3f}  macro-F1 {ours['macro_f1']:.3f}  "
                    f"none P/R {ours['none_precision']:.2f}/{ours['none_recall']:.2f}  "
                    f"NMI assignments {ours['nmi']:.3f} themes "
                    f"{normalized_mutual_info_score(topics, themes):.3f}  | naive accuracy "
                    f"{base['accuracy']:.3f}, KMeans NMI {naive_nmi:.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
