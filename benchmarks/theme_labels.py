"""Theme-label quality on the development sets: draw a sample of themes to judge by hand, and score it.

    .venv/bin/python benchmarks/theme_labels.py draw --stage after >> benchmarks/labels/themes_sample.csv
    .venv/bin/python benchmarks/theme_labels.py score            # prints the figures per stage and devset

``draw`` analyses the Pol.is devset (catalogue ``main``) and the join.gov.tw devset (catalogue ``join``),
lexical evidence only, seed 0, and picks 20 themes of each (themes of at least three items, the
support / no-argument group left out: its label is fixed) with five of their comments. A person then
fills ``judgement`` for each row, reading the comments first and the label last:

- ``yes``: the label names what most of the shown comments are about;
- ``partly``: it names one aspect of them, or a reader can guess the subject from it only with the terms;
- ``no``: it is chatter, a list of unrelated words, or not their subject.

``score`` counts the judgements per stage (``before``: labels of commit 60b6629, three top terms;
``after``: the phrase labels of ``analysis.themes.themes``).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.catalogue import load_catalogue
from analysis.run import analyse
from benchmarks.devset_common import CATALOGUES, load_rows
from storage.corpus import TextItem

SAMPLE = Path(__file__).resolve().parent / "labels" / "themes_sample.csv"
FIELDS = ("stage", "devset", "theme_key", "size", "label", "terms", "comments", "judgement")
PER_DEVSET = 20
SHOWN = 5


def draw(stage: str, seed: int) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for devset, catalogue_name in (("polis", "main"), ("join", "join")):
        rows = load_rows(catalogue_name)
        items = [TextItem("import", r["id"], r["text"]) for r in rows]
        text_of = {r["id"]: r["text"] for r in rows}
        catalogue = load_catalogue(CATALOGUES[catalogue_name])
        result = analyse(items, catalogue, seed=seed, params={"embeddings": "off"})
        members: dict[str, list[str]] = defaultdict(list)
        for a in result.assignments:
            if a["cluster_key"]:
                members[a["cluster_key"]].append(a["item_id"])
        themes = [
            c
            for c in result.clusters
            if c["size"] >= 3 and not c.get("is_support") and not str(c["cluster_key"]).endswith("#support")
        ]
        rng = random.Random(f"{seed}-{devset}")
        for c in sorted(rng.sample(themes, min(PER_DEVSET, len(themes))), key=lambda c: c["cluster_key"]):
            # representatives are written keys (import::<id> for items without a dataset)
            shown = [str(i).removeprefix("import::") for i in c["representative_ids"]][:3]
            rest = [i for i in members[c["cluster_key"]] if i not in shown]
            shown += rng.sample(rest, min(len(rest), SHOWN - len(shown)))
            out.append(
                {
                    "stage": stage,
                    "devset": devset,
                    "theme_key": c["cluster_key"],
                    "size": c["size"],
                    "label": c["label"],
                    "terms": " ".join(str(t) for t, _ in c["terms"][:6]),
                    "comments": " ｜ ".join(text_of[i][:80] for i in shown),
                    "judgement": "",
                }
            )
    return out


def score(path: Path) -> str:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row in rows:
        for devset in (row["devset"], "all"):
            counts[(row["stage"], devset)][row["judgement"] or "unjudged"] += 1
    lines = [f"{'stage':<8} {'devset':<6} {'n':>3} {'yes':>4} {'partly':>6} {'no':>3}  yes share  yes+partly"]
    for (stage, devset), c in sorted(counts.items()):
        n = sum(c.values())
        lines.append(
            f"{stage:<8} {devset:<6} {n:>3} {c['yes']:>4} {c['partly']:>6} {c['no']:>3}"
            f"  {c['yes'] / n:>9.2f}  {(c['yes'] + c['partly']) / n:>10.2f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("draw", help="print a sample of themes as CSV rows (judgement empty)")
    d.add_argument("--stage", required=True)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--header", action="store_true", help="print the CSV header first")
    s = sub.add_parser("score", help="count the judgements of a sample")
    s.add_argument("sample", nargs="?", type=Path, default=SAMPLE)
    args = parser.parse_args()
    if args.command == "draw":
        writer = csv.DictWriter(sys.stdout, FIELDS, lineterminator="\n")
        if args.header:
            writer.writeheader()
        writer.writerows(draw(args.stage, args.seed))
    else:
        print(score(args.sample))


if __name__ == "__main__":
    main()
