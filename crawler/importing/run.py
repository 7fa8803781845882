"""``joinfeedback import FILE``: bring a comments CSV or a join.gov.tw open-data JSON file into the database.

All or nothing: the whole file is read, decoded and validated before anything is written, then written
in one transaction, so a bad file leaves the database exactly as it was. Every problem is a one-line
``UserError`` naming the file and the line/field.

Formats (recognised by content, not by file name: JSON starts with ``[`` or ``{``):

- CSV with a header of ``id,text`` and optionally ``author,created_at,url`` (any order) → ``ImportedItem``
  rows keyed by (dataset, id);
- open-data JSON of ``/toOpenData/v2/ey/idea`` → ``Idea`` rows; of ``/toOpenData/ey/policy`` → ``Policy``
  rows (and ``Comment`` rows for the 2017 shape with embedded ``messages``).

Agency replies: imported messages carry no author account (the 2017 open data names only ``authorName``; a
CSV holds whatever it was given), so every imported row is public input — ``comment.author_kind`` is
``citizen`` and ``ImportedItem`` has no such column. Only a crawl of the comment board tells agency replies
apart (``crawler.pages.comment_board.author_kind``); leave agency answers out of a CSV before importing it.
A later import never overwrites the ``author_kind`` a crawl stored.

Encoding: UTF-8 (with or without BOM), UTF-16/32 with a BOM, UTF-16 without one; anything else (Big5 …)
only with ``encoding=`` (CLI ``--encoding``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from crawler.importing.csv_items import parse_csv
from crawler.importing.decoding import decode, read_bytes
from crawler.importing.opendata_rows import parse_opendata_file
from crawler.importing.problems import bad_file, check_storable
from crawler.items import ImportedItem as ImportedItemRecord
from storage.imports import RawFile, RowBatch, write_import
from storage.models import ImportedItem

COMPARED_COLUMNS = ("text", "author", "created_at", "url")
# Where the row came from: a file re-saved with its rows moved holds no changed comment.
PROVENANCE_COLUMNS = ("source_file", "source_line")


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What one import did; ``new + updated + unchanged`` rows were in the file."""

    file: str
    format: str
    rows_read: int
    new: int
    updated: int
    unchanged: int
    crawl_run_id: int | None = None

    def __str__(self) -> str:
        return (
            f"imported {self.file} ({self.format}): {self.rows_read} rows read, {self.new} new, "
            f"{self.updated} updated, {self.unchanged} unchanged"
        )


def _looks_like_json(text: str) -> bool:
    stripped = text.lstrip()
    return stripped.startswith(("[", "{"))


def _imported_batch(items: list[ImportedItemRecord], dataset: str, source_file: str) -> RowBatch:
    rows = [
        {
            "dataset": dataset,
            "item_id": item.item_id,
            "text": item.text,
            "author": item.author,
            "created_at": item.created_at,
            "url": item.url,
            "source_file": source_file[:1000],
            "source_line": item.source_line,
        }
        for item in items
    ]
    return RowBatch(
        ImportedItem, ("dataset", "item_id"), COMPARED_COLUMNS, rows, also_update=PROVENANCE_COLUMNS
    )


def import_file(
    path: Path, engine: Engine, *, dataset: str = "import", encoding: str | None = None
) -> ImportSummary:
    """Import ``path``; raises ``UserError`` (file + line/field) and writes nothing when anything is wrong."""
    label = str(path)
    dataset = dataset.strip()
    if not dataset:
        raise bad_file(label, "--dataset", "must not be empty")
    check_storable(label, "--dataset", "the dataset name", dataset, max_chars=100)
    raw = read_bytes(path, label)
    if not raw.strip():
        raise bad_file(label, "", "file is empty")
    decoded = decode(raw, label, encoding=encoding)
    if not decoded.text.strip():
        raise bad_file(label, "", "file is empty")
    if _looks_like_json(decoded.text):
        opendata = parse_opendata_file(decoded.text, label)
        fmt, batches, rows_read, content_type = (
            opendata.shape,
            opendata.batches,
            opendata.rows_read,
            "application/json",
        )
    else:
        items = parse_csv(decoded.text, label)
        fmt, rows_read, content_type = "csv", len(items), "text/csv"
        batches = (_imported_batch(items, dataset, path.name),)
    uri = path.resolve().as_uri()
    run_id, counts = write_import(
        engine, RawFile(uri, raw, f"{content_type}; charset={decoded.encoding}"), fmt, batches
    )
    return ImportSummary(label, fmt, rows_read, counts.new, counts.updated, counts.unchanged, run_id)


__all__ = ["ImportSummary", "import_file"]
