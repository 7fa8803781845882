"""``evaluate``: score the latest complete run against a labels CSV (``item_id,gold``)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, normalized_mutual_info_score
from sqlalchemy import Engine

from base.errors import UserError
from storage.db import session_factory
from storage.items import ItemIndex, ItemKey, ambiguity
from storage.queries import runs as run_queries

NONE = "none"


def read_labels(path: str | Path) -> list[tuple[int, str, str]]:
    """``item_id,gold`` rows as ``(line, item id as written, gold)`` (gold a commitment id or ``none``);
    UTF-8 with or without BOM."""
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
    rows: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    for row in reader:
        if not any(c.strip() for c in row):
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise UserError(f"labels {path}: line {reader.line_num}: expected item_id,gold")
        item_id, gold = row[0].strip(), row[1].strip()
        if item_id in seen:
            raise UserError(f"labels {path}: line {reader.line_num}, column item_id: duplicate {item_id!r}")
        seen.add(item_id)
        rows.append((reader.line_num, item_id, NONE if gold.lower() == NONE else gold))
    if not rows:
        raise UserError(f"labels {path}: no labelled items")
    return rows


def load_labels(path: str | Path) -> dict[str, str]:
    """Item id as written → gold label (a commitment id or ``none``)."""
    return {item_id: gold for _, item_id, gold in read_labels(path)}


def _gold_by_item(
    path: str | Path, rows: list[tuple[int, str, str]], index: ItemIndex, codes: set[str] | None
) -> tuple[dict[ItemKey, str], int]:
    """Each labelled item of the run with its gold label, and how many labelled ids the run lacks.

    A gold label must be a commitment of the run's catalogue (or ``none``), as ``analyze --examples``
    asks: a label from another catalogue would only ever be scored wrong. ``codes`` is None for a run
    without a catalogue. Item ids are keys or bare ids naming one item (``storage.items``).
    """
    gold: dict[ItemKey, str] = {}
    missing = 0
    for line, written, label in rows:
        if codes is not None and label != NONE and label not in codes:
            raise UserError(f"labels {path}: line {line}, column gold: {label!r} is not in the catalogue")
        found = index.candidates(written)
        if len(found) > 1:
            raise UserError(f"labels {path}: line {line}, column item_id: {ambiguity(written, found)}")
        if not found:
            missing += 1
            continue
        if found[0] in gold:
            raise UserError(f"labels {path}: line {line}, column item_id: {written!r} is labelled twice")
        gold[found[0]] = label
    return gold, missing


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
    rows = read_labels(labels_path)
    with session_factory(engine)() as session:
        run = run_queries.latest_complete_run(session)
        if run is None:
            raise UserError(
                "evaluate: no complete analysis run in this database (run `joinfeedback analyze` first)"
            )
        assignments = {a.key: a for a in run_queries.assignments(session, run.id)}
        catalogue = run_queries.commitments(session, run.catalogue) if run.catalogue != "none" else None
    codes = {c.code for c in catalogue} if catalogue is not None else None
    labels, missing = _gold_by_item(labels_path, rows, ItemIndex(assignments), codes)
    if not labels:
        raise UserError(f"labels {labels_path}: none of the {len(rows)} labelled item ids is in run {run.id}")
    gold, predicted, grouping, themes = [], [], [], []
    uncertain = 0
    for key, label in labels.items():
        a = assignments[key]
        p = a.commitment_code if a.status != NONE and a.commitment_code else NONE
        uncertain += a.status == "uncertain"
        gold.append(label)
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
        f"analysis run {run.id} (catalogue {run.catalogue}, seed {run.seed}): {len(labels)} labelled items"
        + (f", {missing} labelled ids not in the run" if missing else ""),
        f"accuracy        {accuracy:.3f}",
        f"macro-F1        {macro_f1:.3f}",
        f"none precision  {none_p:.3f}  ({tp}/{n_pred_none} predicted none)",
        f"none recall     {none_r:.3f}  ({tp}/{n_gold_none} gold none)",
        f"NMI (grouping)  {nmi:.3f}",
        f"NMI (themes)    {nmi_themes:.3f}",
        f"uncertain       {uncertain} ({uncertain / len(labels):.1%}, scored as their best candidate)",
        "",
        *_table(gold, predicted),
    ]
    return "\n".join(lines)


__all__ = ["evaluate", "load_labels", "read_labels"]
