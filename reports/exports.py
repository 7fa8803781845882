"""CSV and JSON exports: every report table, and the assignments of the latest complete run.

CSV formula injection: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is written with a leading apostrophe (``'=1+1``), so spreadsheet programs show it as text instead of
evaluating it. Numbers are written as numbers. JSON files hold the values unchanged.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import itertools
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

from base.errors import UserError
from base.forked import ChildFailed, can_fork, in_child, several_cores
from reports.model import Table
from storage.db import session_factory
from storage.items import written_key
from storage.queries import exports as export_queries
from storage.queries import runs as run_queries
from storage.queries.exports import COMMENT_EXPORT, PROPOSAL_EXPORT, RESPONSE_EXPORT, ExportedAssignment
from storage.queries.runs import CommentKey
from storage.scope import EVERYTHING, ItemScope

ASSIGNMENT_HEADER = (
    "item_id",
    "text",
    "status",
    "commitment_id",
    "confidence",
    "cluster_id",
    "cluster_label",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str | int | float:
    """A value made safe for spreadsheets (see the module docstring)."""
    if type(value) is str:  # most cells: one check instead of the chain below
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def write_csv(
    path: Path,
    header: Sequence[str] | None,
    rows: Iterable[Sequence[object]],
    *,
    bom: bool = False,
    guarded: bool = False,
) -> int:
    """Write a CSV; ``bom`` (report tables) lets Excel on Windows, common in agencies, read the CJK text.

    ``guarded``: each row's cells are already what ``csv_cell`` makes of them (the assignments export makes
    them in one step per row); ``header`` None: no header line (the second part of a file written in two).
    """
    count = 0
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if header is not None:
            writer.writerow(header)
        if guarded:
            for row in rows:
                writer.writerow(row)
                count += 1
            return count
        for row in rows:
            writer.writerow([csv_cell(value) for value in row])
            count += 1
    return count


def write_table(table: Table, folder: Path) -> tuple[Path, Path]:
    """``<folder>/<name>.csv`` and ``.json`` with every row of the table (the HTML may show only its head)."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = table.export_keys()
    csv_path = folder / f"{table.name}.csv"
    json_path = folder / f"{table.name}.json"
    write_csv(csv_path, keys, ([row.get(key) for key in keys] for row in table.rows), bom=True)
    payload = {
        "name": table.name,
        "title": table.title,
        "columns": [{"key": c.key, "label": c.label} for c in table.columns],
        "rows": [{key: row.get(key) for key in keys} for row in table.rows],
    }
    json_path.write_text(
        json.dumps(payload, ensure_ascii=False, indent=1, default=_json_default), encoding="utf-8"
    )
    return csv_path, json_path


EXPORTS = ("comments", "proposals", "responses", "assignments")
FORMATS = ("csv", "json")


def _check_target(out_path: Path) -> None:
    if out_path.parent and not out_path.parent.exists():
        raise UserError(f"cannot write {out_path}: folder {out_path.parent} does not exist")


def write_records(
    out_path: Path, header: Sequence[str], records: Iterable[Sequence[object]], fmt: str
) -> int:
    """CSV (formula-guarded) or JSON (a list of objects, values unchanged).

    Written to a temporary file beside the target and renamed over it when complete: a full disk or a kill
    mid-way leaves the previous export whole instead of a truncated one. A target that is not a regular file
    (``/dev/stdout``, a FIFO) is a stream and written as such.
    """
    _check_target(out_path)

    def write(path: Path) -> int:
        if fmt == "csv":
            return write_csv(path, header, records)
        rows = [dict(zip(header, record, strict=True)) for record in records]
        path.write_text(
            json.dumps(rows, ensure_ascii=False, indent=1, default=_json_default), encoding="utf-8"
        )
        return len(rows)

    return _write_whole(out_path, write)


def _write_whole(out_path: Path, write: Callable[[Path], int]) -> int:
    """``write(path)`` to a partial file renamed over ``out_path`` when complete (a stream: to itself)."""
    if out_path.exists() and not out_path.is_file():
        try:
            return write(out_path)
        except OSError as exc:
            raise _write_error(out_path, exc) from exc
    partial = out_path.with_name(f".{out_path.name}.partial-{os.getpid()}")
    try:
        count = write(partial)
        if out_path.exists():
            shutil.copymode(out_path, partial)
        os.replace(partial, out_path)
        return count
    except OSError as exc:
        raise _write_error(out_path, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()


def _write_error(path: Path, exc: OSError) -> UserError:
    full = exc.errno in {errno.ENOSPC, errno.EDQUOT}
    kept = " (the previous file is unchanged)" if path.is_file() else ""
    return UserError(f"cannot write {path}: {exc.strerror}{kept}", exit_code=4 if full else 2)


def export_corpus(
    engine: Engine, what: str, out_path: Path, *, fmt: str = "csv", scope: ItemScope = EVERYTHING
) -> int:
    """The stored comments, proposals or agency responses in ``scope`` (``assignments``: the latest run's)."""
    if what == "assignments":
        return export_assignments(engine, out_path, fmt=fmt, scope=scope)
    header: tuple[str, ...]
    with session_factory(engine)() as session:
        if what == "comments":
            header = COMMENT_EXPORT
            rows = [
                r
                for r in export_queries.export_comments(session)
                if scope.admits("comment", r["policy_uuid"], r["created_at"])
            ]
        elif what == "proposals":
            header = PROPOSAL_EXPORT
            rows = [
                r
                for r in export_queries.export_proposals(session)
                if scope.admits("idea", None, r["published_at"])
            ]
        elif what == "responses":
            header = RESPONSE_EXPORT
            rows = [
                r
                for r in export_queries.export_responses(session)
                if scope.admits("idea", None, r["responded_at"])
            ]
        else:
            raise UserError(f"cannot export {what!r}: one of {', '.join(EXPORTS)}")
    if not rows:
        raise scope.nothing(what, f"nothing written to {out_path}")
    return write_records(out_path, header, ([r[k] for k in header] for r in rows), fmt)


# A whole-run CSV export of at least this many comments is written by two processes (the first half of the
# rows here, the second in a forked child), each reading, building and writing its rows, when this process
# has more than one core (``base.forked.several_cores``); below it, forking costs more than it saves.
SPLIT_FROM_COMMENTS = 100_000

AssignmentRecord = tuple[str, str, str, str, float, str, str]


def export_assignments(
    engine: Engine, out_path: Path, *, fmt: str = "csv", scope: ItemScope = EVERYTHING
) -> int:
    """Every item of public input of the latest complete run (in ``scope``), once, named by its key
    (``storage.items``), with its status, commitment, confidence and theme.

    The assignments are streamed from the database to the file (only the texts are held, by item);
    the file is written only if the scope selects something. A large whole-run CSV is written in two parts
    at once (:func:`_write_in_two_parts`): the same bytes.
    """
    with session_factory(engine)() as session:
        run = run_queries.latest_complete_run(session)
        if run is None:
            raise UserError("no complete analysis run to export: run `joinfeedback analyze` first")
        labels = {c.cluster_key: c.label for c in run_queries.clusters(session, run.id)}
        streamed = out_path.exists() and not out_path.is_file()  # /dev/stdout, a FIFO: written in one go
        if fmt == "csv" and scope.is_everything and not streamed and can_fork() and several_cores():
            cut = run_queries.comment_split_keys(session, run.id, 2, smallest=SPLIT_FROM_COMMENTS // 2)
            if cut:
                return _write_in_two_parts(engine, out_path, run.id, labels, cut[0])
        rows = export_queries.run_assignments_with_texts(session, run.id, dated=not scope.is_everything)
        if not scope.is_everything:
            rows = (r for r in rows if scope.admits(r[0], r[9], r[8]))  # kind, consultation, date
        first = next(rows, None)
        if first is None:
            raise scope.nothing(f"item of analysis run #{run.id}", f"nothing written to {out_path}")
        _check_target(out_path)
        every = itertools.chain([first], rows)
        if fmt == "csv":
            return _write_whole(out_path, lambda path: _write_assignments_csv(path, every, labels))
        return write_records(out_path, ASSIGNMENT_HEADER, _records(every, labels), fmt)


def _records(rows: Iterable[ExportedAssignment], labels: dict[str, str]) -> Iterator[AssignmentRecord]:
    for kind, source, item_id, status, code, confidence, cluster, text, _, _ in rows:
        # An uncertain item keeps its best commitment (the status says how sure that is).
        yield (
            written_key(kind, source, item_id),  # what analyze --examples and evaluate read
            text,
            status,
            code or "",
            round(confidence, 4),
            cluster or "",
            labels.get(cluster or "", ""),
        )


def _csv_records(rows: Iterable[ExportedAssignment], labels: dict[str, str]) -> Iterator[AssignmentRecord]:
    """The rows of :func:`_records` with each cell as ``csv_cell`` makes it, made in one step for a million
    rows: the key (``comment:…``, ``idea:…``, ``import:…``) never starts with a formula prefix, the confidence
    is a number, every other cell is text and guarded."""
    prefixes = FORMULA_PREFIXES
    for kind, source, item_id, status, code, confidence, cluster, text, _, _ in rows:
        code, cluster = code or "", cluster or ""
        label = labels.get(cluster, "")
        yield (
            written_key(kind, source, item_id),
            "'" + text if text.startswith(prefixes) else text,
            "'" + status if status.startswith(prefixes) else status,
            "'" + code if code.startswith(prefixes) else code,
            round(confidence, 4),
            "'" + cluster if cluster.startswith(prefixes) else cluster,
            "'" + label if label.startswith(prefixes) else label,
        )


def _write_assignments_csv(
    path: Path, rows: Iterable[ExportedAssignment], labels: dict[str, str], *, header: bool = True
) -> int:
    """The assignments CSV, or without its header line (the second part of a file written in two)."""
    return write_csv(path, ASSIGNMENT_HEADER if header else None, _csv_records(rows, labels), guarded=True)


def _write_in_two_parts(
    engine: Engine, out_path: Path, run_id: int, labels: dict[str, str], cut: CommentKey
) -> int:
    """The whole run's CSV, its rows before the comment ``cut`` written here and the rest by a forked child
    into a file beside the target, appended when both are done: the bytes of one writer (a CSV row does not
    depend on the rows before it). Written as :func:`write_records` writes (a partial file renamed over the
    target); an error of the child is raised here and leaves the target as it was."""
    _check_target(out_path)
    tail = out_path.with_name(f".{out_path.name}.tail-{os.getpid()}")

    def write_tail() -> int:
        engine.dispose(close=False)  # the child's own connections; the parent's are left to the parent
        with session_factory(engine)() as session:
            rows = export_queries.run_assignments_with_texts(session, run_id, start=cut)
            return _write_assignments_csv(tail, rows, labels, header=False)

    def write(path: Path) -> int:
        with in_child(write_tail) as child:
            with session_factory(engine)() as session:
                rows = export_queries.run_assignments_with_texts(session, run_id, stop=cut)
                count = _write_assignments_csv(path, rows, labels)
            count += child.result()
        with path.open("ab") as whole, tail.open("rb") as rest:
            shutil.copyfileobj(rest, whole, 1 << 20)
        return count

    try:
        return _write_whole(out_path, write)
    except ChildFailed as exc:
        kept = " (the previous file is unchanged)" if out_path.is_file() else ""
        raise UserError(f"cannot write {out_path}: {exc}{kept}") from exc
    finally:
        with contextlib.suppress(OSError):
            tail.unlink()


__all__ = [
    "ASSIGNMENT_HEADER",
    "EXPORTS",
    "FORMATS",
    "FORMULA_PREFIXES",
    "SPLIT_FROM_COMMENTS",
    "csv_cell",
    "export_assignments",
    "export_corpus",
    "write_csv",
    "write_records",
    "write_table",
]
