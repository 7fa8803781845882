"""Honest ``none``: accuracy, none precision/recall and macro-F1 before/after the evidence gate.

    .venv/bin/python benchmarks/none_eval.py                 # replica seeds 1, 2 × small, medium + devset
    .venv/bin/python benchmarks/none_eval.py --quick         # replica seed 1 small + devset

"before" is the assigner's earlier rule (the feedback prototypes' best score against the π0 cut of
their runner-up scores, ``analysis.fit.storey_cut``); "after" is what ``decide`` returns now
(analysis/fit.py ``EvidenceGate``). Both share one fitted assigner, so only the ``none`` rule differs.
Uncertain items count under their best candidate, as ``joinfeedback evaluate`` does.

Replica gold: kind commitment/campaign/idea with one commitment → that commitment; kind offtopic →
``none``; other kinds (generic, hostile, reply, several commitments) are not scored. Items are built
as the crawler stores them (comment HTML → text, idea title + outline). Devset gold: see
benchmarks/devset_eval.py. The reliability table bins the reported confidence of every decision
(assigned, uncertain and none) and shows how often that decision was right.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from itertools import pairwise
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.catalogue import Catalogue, load_catalogue, resolve_catalogue
from analysis.fit import storey_cut
from analysis.pipeline import assign, prepare
from benchmarks.devset_common import CATALOGUES, gold_labels, load_rows, scores
from crawler.pages.common import html_to_text
from replica.data import generate
from replica.model import Label

BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0001)


def replica_gold(label: Label) -> str | None:
    if label.kind in {"commitment", "campaign", "idea"} and len(label.commitments) == 1:
        return label.commitments[0]
    return "none" if label.kind == "offtopic" else None


def replica_corpus(seed: int, size: str) -> tuple[list[str], list[str | None]]:
    data = generate(seed, size)
    labels = data.labels
    texts: list[str] = []
    gold: list[str | None] = []
    for view in data.views.values():
        for message in view.all_messages(data.now_ms):
            text = html_to_text(message.html)
            if message.deleted or not text.strip():
                continue
            texts.append(text)
            gold.append(replica_gold(labels[("comment", str(message.msg_uid))]))
    for idea in data.visible_ideas():
        text = "\n".join(part for part in (idea.title, idea.outline) if part)
        if text.strip():
            texts.append(text)
            gold.append(replica_gold(labels[("idea", idea.uuid)]))
    return texts, gold


def evaluate_corpus(
    name: str,
    texts: list[str],
    gold: list[str | None],
    catalogue: Catalogue,
    seed: int,
    params: dict[str, object] | None = None,
) -> dict[str, dict[str, float]]:
    started = time.perf_counter()
    prepared = prepare(texts, catalogue, params)
    assigner, decisions = assign(prepared, catalogue, seed=seed, params=params)
    elapsed = time.perf_counter() - started
    codes = np.array(catalogue.codes, dtype=object)
    best = codes[assigner.predict_proba(prepared.X).argmax(axis=1)]
    after = np.array([d.code if d.code else "none" for d in decisions], dtype=object)
    # The earlier rule, on the same fitted assigner: π0 cut of the feedback prototypes' scores.
    lexical = assigner.lexical_scores(prepared.X)
    cut = storey_cut(lexical, assigner.null_ceiling, assigner.none_share)[0]
    before = np.where(lexical.max(axis=1) > cut, best, "none")
    keep = np.array([g is not None for g in gold])
    g = [str(x) for x in np.array(gold, dtype=object)[keep]]
    out = {"before": scores(g, list(before[keep])), "after": scores(g, list(after[keep]))}
    print(
        f"=== {name}: {keep.sum()} scored items ({g.count('none')} gold none), {len(codes)} commitments "
        f"[{elapsed:.1f} s]"
    )
    for which, s in out.items():
        print(
            f"  {which:6s} accuracy {s['accuracy']:.3f}  macro-F1 {s['macro_f1']:.3f}  "
            f"none P/R {s['none_precision']:.3f}/{s['none_recall']:.3f}"
        )
    confidence = np.array([d.confidence for d in decisions])[keep]
    right = after[keep] == np.array(g, dtype=object)
    cells = []
    ece = 0.0
    for lo, hi in pairwise(BINS):
        inside = (confidence >= lo) & (confidence < hi)
        if inside.any():
            cells.append(f"[{lo:.1f},{min(hi, 1):.1f}) {right[inside].mean():.2f} n={inside.sum()}")
            ece += inside.mean() * abs(right[inside].mean() - confidence[inside].mean())
    print(f"  reliability (confidence bin: share right): {'; '.join(cells)}  ECE {ece:.3f}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="replica seed 1 small and the devset only")
    parser.add_argument("--seed", type=int, default=0, help="analysis seed (default: %(default)s)")
    parser.add_argument(
        "--params", type=json.loads, default={}, help="analysis parameters (JSON) to override"
    )
    args = parser.parse_args()
    runs = [(1, "small")] if args.quick else [(1, "small"), (2, "small"), (1, "medium"), (2, "medium")]
    results: dict[str, dict[str, dict[str, float]]] = {}
    bundled = resolve_catalogue(None)
    assert bundled is not None
    for replica_seed, size in runs:
        texts, gold = replica_corpus(replica_seed, size)
        results[f"replica {replica_seed} {size}"] = evaluate_corpus(
            f"replica seed {replica_seed} {size} (ogp2020)", texts, gold, bundled, args.seed, args.params
        )
    for name, path in CATALOGUES.items():
        rows = load_rows(name)
        catalogue = load_catalogue(path)
        gold_dev: list[str | None] = list(gold_labels(rows, set(catalogue.codes)))
        results[f"devset {name}"] = evaluate_corpus(
            f"devset {name} ({path.name})",
            [r["text"] for r in rows],
            gold_dev,
            catalogue,
            args.seed,
            args.params,
        )
    print("\nsummary (accuracy / none P / none R / macro-F1, before → after):")
    for name, pair in results.items():
        b, a = pair["before"], pair["after"]
        print(
            f"  {name:18s} "
            + "  ".join(
                f"{k} {b[k]:.3f}→{a[k]:.3f}"
                for k in ("accuracy", "none_precision", "none_recall", "macro_f1")
            )
        )


if __name__ == "__main__":
    main()
