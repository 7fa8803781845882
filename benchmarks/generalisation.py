"""Assignment quality on every development set and catalogue form, next to the naive baseline.

    .venv/bin/python benchmarks/generalisation.py                    # the whole table (markdown)
    .venv/bin/python benchmarks/generalisation.py --cases polis-all/title join/full
    .venv/bin/python benchmarks/generalisation.py --params '{"embeddings": "off"}'
    .venv/bin/python benchmarks/generalisation.py --examples 0 1 3   # facilitator's examples per commitment

With ``--examples``, every count is scored on the same rows: those not among the largest count's
examples (the smaller sets of examples are the first of the same draw).

Every case runs ``analysis.run.analyse`` (in memory, seed 0, default parameters unless ``--params``) on a
devset's comments against one catalogue form, and the naive script (jieba + TF-IDF + argmax cosine,
``benchmarks/devset_common.naive_assign``) on the same rows and catalogue. Accuracy counts ``none`` as an
answer and ``uncertain`` as its best commitment. Columns:

- ``none gold``: share of comments whose topic is not in the catalogue; ``none said``: share answered none;
- ``none P/R``: precision and recall of ``none`` (only where some are truly none);
- ``ECE``: expected calibration error of the confidence of assigned items (10 equal-width bins).

The sets (``benchmarks/devset/README.md`` has their sources and licences):

- ``polis-all``: 970 Pol.is comments, 18 conversations, a catalogue of all 18 (every comment belongs);
- ``polis-3out-N``: the same catalogue less 3 random conversations (draw N), titles only;
- ``polis-main``, ``polis-alt``: two catalogues of 14 (4 conversations left out each);
- ``join``: 213 join.gov.tw comments, 11 consultations (15 comments on others);
- ``taipei``: 5,947 Taipei citizen questions, catalogue of the 149 agency names (every question belongs);
- ``longterse``: 201 legislators' budget motions of 100–600 characters, catalogue of the 20 agency names they
  concern (terse titles, no description); ``longterse-5out-N`` leaves 5 random agencies out (draw N);
- ``ogp``: the 24 comments of the 2020 OGP action-plan consultation as a volunteer tallied them, 5
  commitments (6 comments fit none);
- ``legis``: 138 legislators' statements and motions (35–434 characters) on 6 described issues;
  ``legis-2out-N/full`` leaves 2 random issues out (draw N).

Forms: ``full`` (title, description, keywords), ``nokw`` (no keywords), ``title`` (titles only).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import normalized_mutual_info_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.catalogue import Catalogue, CommitmentEntry
from analysis.pipeline import AnalysisParams
from analysis.run import analyse
from benchmarks.devset_common import JOIN_DEVSET, load_devset, naive_assign, naive_clusters
from storage.corpus import TextItem

HERE = Path(__file__).resolve().parent / "devset"
FORMS = ("full", "nokw", "title")


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    texts: list[str]
    gold_topics: list[str]  # the comment's topic (may be outside the catalogue)
    catalogue: Catalogue

    def gold(self) -> list[str]:
        codes = set(self.catalogue.codes)
        return [g if g in codes else "none" for g in self.gold_topics]


def _catalogue_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _catalogue(rows: Iterable[dict[str, str]], form: str, name: str) -> Catalogue:
    commitments = []
    for row in rows:
        description = "" if form == "title" else row.get("description", "")
        keywords = () if form != "full" else tuple(k for k in row.get("keywords", "").split(";") if k)
        commitments.append(CommitmentEntry(row["id"], row["title"], description, keywords))
    return Catalogue(name, tuple(commitments), source="")


def _polis() -> tuple[list[str], list[str]]:
    rows = load_devset()
    return [r["text"] for r in rows], [r["conversation"] for r in rows]


def _join() -> tuple[list[str], list[str]]:
    rows = load_devset(JOIN_DEVSET)
    return [r["text"] for r in rows], [r["label"] for r in rows]


def _taipei() -> tuple[list[str], list[str]]:
    with (HERE / "taipei-qa" / "questions.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["agency"] for r in rows]


def _labelled(name: str) -> tuple[list[str], list[str]]:
    """A devset folder's ``items.csv`` (``id,text,label``): texts and their labels."""
    with (HERE / name / "items.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def _kept_rows(rows: list[dict[str, str]], leave_out: int, draw: int) -> list[dict[str, str]]:
    """Draw ``draw`` of the catalogue less ``leave_out`` random entries: ``random.Random(draw)``'s sample,
    unless an earlier draw left the same entries out, then the first of ``Random(draw + 100 k)`` that
    leaves a new set out (a small catalogue would otherwise repeat a draw)."""
    seen: list[set[str]] = []
    kept: list[dict[str, str]] = []
    for d in range(draw + 1):
        for seed in range(d, d + 100 * 50, 100):
            kept = random.Random(seed).sample(rows, len(rows) - leave_out)
            codes = {r["id"] for r in kept}
            if codes not in seen:
                break
        seen.append(codes)
    return kept


def _left_out_cases(name: str, form: str, leave_out: int, draws: int) -> dict[str, Callable[[], Case]]:
    """``name``'s catalogue less ``leave_out`` random entries, one draw per case (no two alike); the items
    of the entries left out are gold ``none``."""
    cases: dict[str, Callable[[], Case]] = {}
    for draw in range(draws):
        case_name = f"{name}-{leave_out}out-{draw}/{form}"

        def left_out(draw: int = draw, case_name: str = case_name) -> Case:
            texts, topics = _labelled(name)
            rows = _catalogue_rows(HERE / name / "catalogue.csv")
            kept = _kept_rows(rows, leave_out, draw)
            return Case(case_name, texts, topics, _catalogue(kept, form, name))

        cases[case_name] = left_out
    return cases


def all_cases() -> dict[str, Callable[[], Case]]:
    """Every case by name, built lazily (the Taipei set is the largest)."""
    cases: dict[str, Callable[[], Case]] = {}
    sets: list[tuple[str, Callable[[], tuple[list[str], list[str]]], Path]] = [
        ("polis-all", _polis, HERE / "polis_all.csv"),
        ("polis-main", _polis, HERE / "topics.csv"),
        ("polis-alt", _polis, HERE / "topics_alt.csv"),
        ("join", _join, HERE / "join_topics.csv"),
        ("ogp", lambda: _labelled("ogp"), HERE / "ogp" / "catalogue.csv"),
        ("legis", lambda: _labelled("legis"), HERE / "legis" / "catalogue.csv"),
    ]
    for name, load, path in sets:
        for form in FORMS:

            def build(load: Any = load, path: Path = path, form: str = form, name: str = name) -> Case:
                texts, topics = load()
                return Case(f"{name}/{form}", texts, topics, _catalogue(_catalogue_rows(path), form, name))

            cases[f"{name}/{form}"] = build
    for draw in range(3):

        def left_out(draw: int = draw) -> Case:
            texts, topics = _polis()
            rows = _catalogue_rows(HERE / "polis_all.csv")
            kept = random.Random(draw).sample(rows, len(rows) - 3)
            return Case(f"polis-3out-{draw}/title", texts, topics, _catalogue(kept, "title", "polis-3out"))

        cases[f"polis-3out-{draw}/title"] = left_out

    def taipei() -> Case:
        texts, agencies = _taipei()
        with (HERE / "taipei-qa" / "agencies.csv").open(encoding="utf-8") as handle:
            names = [r["agency"] for r in csv.DictReader(handle)]
        rows = [{"id": n, "title": n} for n in names]
        return Case("taipei/title", texts, agencies, _catalogue(rows, "title", "taipei"))

    cases["taipei/title"] = taipei

    def longterse() -> Case:
        texts, agencies = _labelled("longterse")
        rows = _catalogue_rows(HERE / "longterse" / "catalogue.csv")
        return Case("longterse/title", texts, agencies, _catalogue(rows, "title", "longterse"))

    cases["longterse/title"] = longterse
    cases.update(_left_out_cases("longterse", "title", leave_out=5, draws=3))
    cases.update(_left_out_cases("legis", "full", leave_out=2, draws=3))
    return cases


def _set_of(case: str) -> str:
    return case.split("/")[0].split("-")[0]


# The polis and join.gov.tw cases; the newer sets built to resemble other shapes of data are SHAPES.
SMALL = [name for name in all_cases() if _set_of(name) in ("polis", "join")]
SHAPES = [name for name in all_cases() if _set_of(name) not in ("polis", "join", "taipei")]


def calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: the count-weighted mean |accuracy − mean confidence| over equal bins."""
    if confidence.size == 0:
        return 0.0
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            total += members.sum() * abs(correct[members].mean() - confidence[members].mean())
    return float(total / confidence.size)


def examples_for(case: Case, per_commitment: int, seed: int = 0, drawn: int | None = None) -> dict[int, str]:
    """Row index → commitment code: ``per_commitment`` comments of each commitment, the first of
    ``drawn`` (default: as many) drawn with ``seed``, so that smaller sets are subsets of larger ones."""
    gold = case.gold()
    rng = random.Random(seed)
    chosen: dict[int, str] = {}
    for code in case.catalogue.codes:
        rows = [i for i, g in enumerate(gold) if g == code]
        sample = rng.sample(rows, min(max(per_commitment, drawn or 0), len(rows)))
        for i in sample[:per_commitment]:
            chosen[i] = code
    return chosen


def evaluate(
    case: Case, params: AnalysisParams, n_examples: int = 0, seed: int = 0, scored_without: int = 0
) -> dict[str, float | int | str]:
    """Our analysis and the naive script on ``case``, scored on the rows that are not among the first
    ``max(n_examples, scored_without)`` examples of each commitment (the same rows for every count)."""
    gold = case.gold()
    examples = examples_for(case, n_examples, seed, drawn=scored_without) if n_examples else {}
    held = examples_for(case, max(n_examples, scored_without), seed) if scored_without else examples
    items = [TextItem("import", str(i), t) for i, t in enumerate(case.texts)]
    started = time.perf_counter()
    extra: dict[str, Any] = (
        {"examples": {items[i].key.text: c for i, c in examples.items()}} if examples else {}
    )
    result = analyse(items, case.catalogue, seed=seed, params=params, **extra)
    elapsed = time.perf_counter() - started
    keep = np.array([i not in held for i in range(len(items))])
    g = np.array(gold, dtype=object)[keep]
    status = np.array([a["status"] for a in result.assignments], dtype=object)[keep]
    code = np.array([a["commitment_code"] or "none" for a in result.assignments], dtype=object)[keep]
    conf = np.array([a["confidence"] for a in result.assignments], dtype=np.float64)[keep]
    naive, _ = naive_assign(case.texts, [(c.code, c.text) for c in case.catalogue.commitments])
    naive_arr = np.array(naive, dtype=object)[keep]
    said_none = code == "none"
    gold_none = g == "none"
    assigned = status == "assigned"
    return {
        "case": case.name,
        "n": int(keep.sum()),
        "k": len(case.catalogue.codes),
        "examples": n_examples,
        "naive": float((naive_arr == g).mean()),
        "ours": float((code == g).mean()),
        "none_gold": float(gold_none.mean()),
        "none_said": float(said_none.mean()),
        "none_p": float((said_none & gold_none).sum() / max(1, said_none.sum())),
        "none_r": float((said_none & gold_none).sum() / max(1, gold_none.sum())),
        "ece": calibration_error(conf[assigned], (code == g)[assigned]),
        "seconds": round(elapsed, 1),
    }


def table(rows: Sequence[dict[str, Any]]) -> str:
    lines = [
        "| case | n | k | examples | naive | ours | none gold | none said | none P/R | ECE |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        pr = f"{r['none_p']:.2f}/{r['none_r']:.2f}" if r["none_gold"] > 0 else "–"
        lines.append(
            f"| {r['case']} | {r['n']} | {r['k']} | {r['examples']} | {r['naive']:.3f} | {r['ours']:.3f} | "
            f"{r['none_gold']:.2f} | {r['none_said']:.2f} | {pr} | {r['ece']:.3f} |"
        )
    return "\n".join(lines)


def clustering(name: str, case: Case, params: AnalysisParams, seed: int = 0) -> dict[str, float | int | str]:
    """Themes without a catalogue (``analyze --commitments none``) against the true topics: NMI of the
    theme ids (the support group one theme), with the naive script's k-means (k = number of topics) on
    its TF-IDF rows beside it."""
    items = [TextItem("import", str(i), t) for i, t in enumerate(case.texts)]
    result = analyse(items, None, seed=seed, params=params)
    themes = [str(a["cluster_key"]) for a in result.assignments]
    topics = case.gold_topics
    _, rows = naive_assign(case.texts, [(c.code, c.text) for c in case.catalogue.commitments])
    naive = naive_clusters(rows, len(set(topics)))
    return {
        "set": name,
        "n": len(items),
        "topics": len(set(topics)),
        "themes": len(set(themes)),
        "nmi": float(normalized_mutual_info_score(topics, themes)),
        "naive_nmi": float(normalized_mutual_info_score(topics, naive)),
    }


CLUSTERING_SETS = ("polis-all/full", "join/full", "legis/full", "longterse/title")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cases = all_cases()
    parser.add_argument("--cases", nargs="+", choices=sorted(cases), default=list(cases))
    parser.add_argument("--params", type=json.loads, default={}, help="analysis parameters (JSON)")
    parser.add_argument("--examples", type=int, nargs="+", default=[0], help="examples per commitment")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument(
        "--clustering", action="store_true", help="NMI of themes without a catalogue, per data set, instead"
    )
    args = parser.parse_args()
    if args.clustering:
        for name in CLUSTERING_SETS:
            print(json.dumps(clustering(name.split("/")[0], cases[name](), args.params), ensure_ascii=False))
        return
    rows = []
    for name in args.cases:
        case = cases[name]()
        for n_examples in args.examples:
            row = evaluate(case, args.params, n_examples, scored_without=max(args.examples))
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), file=sys.stderr, flush=True)
    print(table(rows))
    ours, naive = np.mean([r["ours"] for r in rows]), np.mean([r["naive"] for r in rows])
    print(
        f"\nmean accuracy: ours {ours:.3f}, naive {naive:.3f}; cases below naive: "
        f"{sum(float(r['ours']) < float(r['naive']) for r in rows)} of {len(rows)}"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
