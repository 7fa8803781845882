"""A facilitator's examples: a few comments placed by hand that steer the assignment.

``analyze --examples FILE.csv`` reads ``item_id,commitment_id`` (``none`` allowed, rows with an empty
``commitment_id`` skipped, so a half-filled ``suggest-examples`` file works as it is). The assigner adds
each example to its commitment's definition and keeps its label in the output.

``suggest-examples`` picks the comments whose labels would help most: for each commitment (and the
comments answered ``none``) in turn, the least confident representative of its largest theme not yet
drawn from, so that the list covers the commitments and the big groups first and asks about what
the analysis was least sure of.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine

from analysis.assignment.decisions import NONE
from analysis.catalogue import Catalogue
from base.errors import UserError
from storage.corpus import TextItem
from storage.db import session_factory
from storage.items import ItemIndex, ItemKey, ambiguity
from storage.queries import items as item_queries
from storage.queries import runs as run_queries
from storage.scope import EVERYTHING, ItemScope, NothingSelected

HEADER = ("item_id", "commitment_id")
SUGGESTED = 30  # how many comments suggest-examples and the report's review page ask about
SUGGESTION_HEADER = (
    "item_id",
    "text",
    "analysis_status",
    "analysis_commitment",
    "confidence",
    "commitment_id",
)


def read_examples(path: Path, codes: Sequence[str]) -> list[tuple[int, str, str]]:
    """The placed rows as ``(line, item id as written, commitment code or "none")``; errors name the
    file, line and column."""
    if not path.is_file():
        raise UserError(f"examples {path}: not a regular file")
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"examples {path}: cannot read as UTF-8 ({exc})") from exc
    reader = csv.DictReader(content.splitlines())
    missing = [h for h in HEADER if h not in (reader.fieldnames or [])]
    if missing:
        raise UserError(
            f"examples {path}: line 1: missing column(s) {', '.join(missing)} (need {','.join(HEADER)})"
        )
    known = set(codes)
    rows: list[tuple[int, str, str]] = []
    for row in reader:
        line = reader.line_num
        item_id = (row.get("item_id") or "").strip()
        code = (row.get("commitment_id") or "").strip()
        if not code:
            continue
        if not item_id:
            raise UserError(f"examples {path}: line {line}, column item_id: empty")
        if code.lower() == NONE:
            code = NONE
        elif code not in known:
            raise UserError(
                f"examples {path}: line {line}, column commitment_id: {code!r} is not in the catalogue"
            )
        rows.append((line, item_id, code))
    return rows


def load_examples(path: Path, codes: Sequence[str]) -> dict[str, str]:
    """Item id as written → commitment code or ``"none"``; errors name the file, line and column."""
    examples: dict[str, str] = {}
    for line, item_id, code in read_examples(path, codes):
        if examples.get(item_id, code) != code:
            raise UserError(f"examples {path}: line {line}: item {item_id!r} is placed twice, differently")
        examples[item_id] = code
    return examples


def examples_for_run(
    path: str | None, catalogue: Catalogue | None, items: Sequence[TextItem]
) -> dict[str, str]:
    """The examples file read and checked against the catalogue and the items to analyse: item key
    (``storage.items``: a written key, or a bare id naming one item) → code; ``{}`` without a file."""
    if path is None:
        return {}
    if catalogue is None:
        raise UserError("--examples needs a catalogue (not --commitments none)")
    index = ItemIndex(item.key for item in items)
    placed: dict[str, str] = {}
    unknown: list[str] = []
    for line, written, code in read_examples(Path(path), catalogue.codes):
        found = index.candidates(written)
        if len(found) > 1:
            raise UserError(f"examples {path}: line {line}, column item_id: {ambiguity(written, found)}")
        if not found:
            unknown.append(written)
            continue
        key = found[0].text
        if placed.get(key, code) != code:
            raise UserError(f"examples {path}: line {line}: item {written!r} is placed twice, differently")
        placed[key] = code
    if unknown:
        shown = ", ".join(repr(u) for u in sorted(set(unknown))[:5])
        raise UserError(
            f"examples {path}: {len(set(unknown))} item id(s) not among the items analysed, e.g. {shown}"
        )
    return placed


@dataclass(frozen=True, slots=True)
class Placed:
    """One item as the latest run placed it; ``item_id`` is its written key, what ``--examples`` reads."""

    item_id: str
    text: str
    status: str
    commitment: str | None
    confidence: float
    theme: str | None
    key: ItemKey | None = None


def suggest(placed: Sequence[Placed], n: int) -> list[Placed]:
    """``n`` items to label: round-robin over the commitments (and ``none``), largest groups first;
    within a group, its largest theme not yet drawn from, and there the least confident item."""
    groups: dict[str, dict[str, list[Placed]]] = {}
    for item in placed:
        groups.setdefault(item.commitment or NONE, {}).setdefault(item.theme or "", []).append(item)
    for themes in groups.values():
        for members in themes.values():
            members.sort(key=lambda p: (p.status == "assigned", p.confidence, p.item_id))
    order = sorted(groups, key=lambda g: (-sum(len(m) for m in groups[g].values()), g))
    chosen: list[Placed] = []
    while len(chosen) < n and any(groups.values()):
        for code in order:
            by_theme = groups[code]
            if not by_theme or len(chosen) >= n:
                continue
            theme = max(sorted(by_theme), key=lambda t: len(by_theme[t]))
            chosen.append(by_theme[theme].pop(0))
            if not by_theme[theme]:
                del by_theme[theme]
    return chosen


def suggested(engine: Engine, n: int, scope: ItemScope = EVERYTHING) -> list[Placed]:
    """The ``n`` items of the latest complete run (those in ``scope``) whose labels would help most, with
    their texts; empty when there is no complete run."""
    if n < 1:
        raise UserError(f"--n must be at least 1, got {n}")
    with session_factory(engine)() as session:
        run = run_queries.latest_complete_run(session)
        if run is None:
            return []
        rows = run_queries.assignments(session, run.id)
        if not scope.is_everything:
            rows = [r for r in rows if scope.admits(r.kind, r.policy_uuid, r.created_at)]
        chosen = suggest(
            [
                Placed(r.key.text, "", r.status, r.commitment_code, r.confidence, r.cluster_key, r.key)
                for r in rows
                if r.duplicate_of is None  # one copy of a form letter is enough
            ],
            n,
        )
        texts = item_queries.item_texts(session, [p.key for p in chosen if p.key])
    return [replace(p, text=t.text if p.key and (t := texts.get(p.key)) else "") for p in chosen]


def suggestions(
    engine: Engine, n: int, scope: ItemScope = EVERYTHING
) -> list[tuple[str, str, str, str, float, str]]:
    """``n`` suggestions from the latest complete run, as rows of :data:`SUGGESTION_HEADER` (the last
    column, ``commitment_id``, empty for a person to fill in)."""
    chosen = suggested(engine, n, scope)
    if not chosen:
        with session_factory(engine)() as session:
            run = run_queries.latest_complete_run(session)
        if run is None:
            raise UserError("no complete analysis run to suggest from: run `joinfeedback analyze` first")
        if not scope.is_everything:
            raise scope.nothing(f"item of analysis run #{run.id}", "nothing written")
        raise NothingSelected(f"analysis run #{run.id} holds no item to suggest: nothing written")
    return [(p.item_id, p.text, p.status, p.commitment or NONE, round(p.confidence, 4), "") for p in chosen]


__all__ = [
    "HEADER",
    "SUGGESTED",
    "SUGGESTION_HEADER",
    "Placed",
    "examples_for_run",
    "load_examples",
    "suggest",
    "suggested",
    "suggestions",
]
