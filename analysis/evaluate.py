"""``evaluate``: score the latest complete run against a labels CSV (``item_id,gold``)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, normalized_mutual_info_score
from sqlalchemy import Engine

from base.errors import UserError
from storage import analysis_store
from storage.db import session_factory

NONE = "none"


def load_labels(path: str | Path) -> dict[str, str]:
    """``item_id,gold`` (gold a commitment id or ``none``); UTF-8 with or without BOM."""
    path = Path(path)
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise UserError(f"labels {path}: cannot read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"labels {path}: not valid UTF-8 (byte {exc.start})") from exc
    reader = csv.reader(content.splitlines())
    header = [h.strip() for h in next(reader, [])]
    if header != ["item_id", "gold"]:
        raise UserError(
            f"labels {path}: line 1: header must be exactly item_id,gold (found {','.join(header)})"
        )
    labels: dict[str, str] = {}
    for row in reader:
        if not any(c.strip() for c in row):
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise UserError(f"labels {path}: line {reader.line_num}: expected item_id,gold")
        item_id, gold = row[0].strip(), row[1].strip()
        if item_id in labels:
            raise UserError(f"labels {path}: line {reader.line_num}, column item_id: duplicate {item_id!r}")
        labels[item_id] = NONE if gold.lower() == NONE else gold
    if not labels:
        raise UserError(f"labels {path}: no labelled items")
    return labels


def _table(gold: list[str], predicted: list[str]) -> list[str]:
    """Confusion table: rows gold, columns predicted (``?`` = uncertain counted under its best candidate)."""
    labels = sorted(set(gold) | set(predicted), key=lambda x: (x == NONE, x))
    counts = Counter(zip(gold, predicted, strict=True))
    width = max(6, *(len(x) for x in labels))
    lines = ["gold \\ predicted".ljust(width + 2) + " ".join(x[:width].rjust(width) for x in labels)]
    for g in labels:
        if g not in gold:
            continue
        lines.append(
            g[:width].ljust(width + 2) + " ".join(str(counts.get((g, p), 0)).rjust(width) for p in labels)
        )
    return lines


def evaluate(engine: Engine, labels_path: str | Path) -> str:
    """Accuracy, macro-F1, none precision/recall, NMI and a confusion table for the latest complete run.

    The prediction for an ``uncertain`` item is its best candidate (the share of uncertain items is
    printed too). NMI compares the gold labels with the run's grouping: the commitment for items that
    fit one, the theme for items that fit none; a second NMI uses the themes alone.
    """
    labels = load_labels(labels_path)
    with session_factory(engine)() as session:
        run = analysis_store.latest_complete_run(session)
        if run is None:
            raise UserError(
                "evaluate: no complete analysis run in this database (run `joinfeedback analyze` first)"
            )
        assignments = analysis_store.assignments_for_run(session, run.id)
    by_id = {a.item_id: a for a in assignments}
    missing = [i for i in labels if i not in by_id]
    matched = [i for i in labels if i in by_id]
    if not matched:
        raise UserError(
            f"labels {labels_path}: none of the {len(labels)} labelled item ids is in run {run.id}"
        )
    gold, predicted, grouping, themes = [], [], [], []
    uncertain = 0
    for item_id in matched:
        a = by_id[item_id]
        p = a.commitment_code if a.status != NONE and a.commitment_code else NONE
        uncertain += a.status == "uncertain"
        gold.append(labels[item_id])
        predicted.append(p)
        grouping.append(p if p != NONE else f"theme:{a.cluster_key}")
        themes.append(a.cluster_key or "")
    g, pr = np.array(gold, dtype=object), np.array(predicted, dtype=object)
    accuracy = float((g == pr).mean())
    gold_classes = sorted(set(gold))
    macro_f1 = float(f1_score(g, pr, labels=gold_classes, average="macro", zero_division=0))
    tp = int(((g == NONE) & (pr == NONE)).sum())
    n_pred_none, n_gold_none = int((pr == NONE).sum()), int((g == NONE).sum())
    none_p = tp / n_pred_none if n_pred_none else float("nan")
    none_r = tp / n_gold_none if n_gold_none else float("nan")
    nmi = float(normalized_mutual_info_score(gold, grouping))
    nmi_themes = float(normalized_mutual_info_score(gold, themes))
    lines = [
        f"analysis run {run.id} (catalogue {run.catalogue}, seed {run.seed}): {len(matched)} labelled items"
        + (f", {len(missing)} labelled ids not in the run" if missing else ""),
        f"accuracy        {accuracy:.3f}",
        f"macro-F1        {macro_f1:.3f}",
        f"none precision  {none_p:.3f}  ({tp}/{n_pred_none} predicted none)",
        f"none recall     {none_r:.3f}  ({tp}/{n_gold_none} gold none)",
        f"NMI (grouping)  {nmi:.3f}",
        f"NMI (themes)    {nmi_themes:.3f}",
        f"uncertain       {uncertain} ({uncertain / len(matched):.1%}, scored as their best candidate)",
        "",
        *_table(gold, predicted),
    ]
    return "\n".join(lines)


__all__ = ["evaluate", "load_labels"]
