"""A comments CSV (``id,text,author,created_at,url``) → ``ImportedItem`` items, validated as a whole.

Only ``id`` and ``text`` are required; columns may come in any order; header names are exact. Every
problem names the file, the line where the record starts and the column.
"""

from __future__ import annotations

import csv
import io

from crawler.importing.dates import parse_date
from crawler.importing.problems import bad_file, check_identifier, check_storable
from crawler.items import ImportedItem

COLUMNS = ("id", "text", "author", "created_at", "url")
REQUIRED = ("id", "text")
MAX_TEXT_BYTES = 1024 * 1024
# Column widths of storage.models.ImportedItem: PostgreSQL refuses longer values, so say so first.
MAX_CHARS = {"id": 200, "author": 200, "url": 1000}

# The csv module's own limit (128 KiB) would stop a huge field with a vague error before we can name it.
csv.field_size_limit(max(csv.field_size_limit(), 64 * MAX_TEXT_BYTES))


def _records(text: str, label: str) -> list[tuple[int, list[str]]]:
    """(first line, fields) of every non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for fields in reader:
            if fields and any(field.strip() for field in fields):
                records.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise bad_file(label, f"line {start}", f"broken CSV ({exc})") from None
    return records


def _header(fields: list[str], label: str) -> list[str]:
    names = [name.removeprefix("\ufeff") for name in fields]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        listed = ", ".join(f'"{name}"' for name in unknown)
        raise bad_file(
            label,
            "line 1",
            f"unknown column(s) {listed}; expected a header with id,text and "
            f"optionally author,created_at,url",
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise bad_file(
            label, "line 1", f"column(s) {', '.join(repeated)} appear more than once in the header"
        )
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise bad_file(
            label, "line 1", f"missing required column(s) {', '.join(missing)} (header: {','.join(names)})"
        )
    return names


def _item(line: int, fields: list[str], names: list[str], label: str, seen: dict[str, int]) -> ImportedItem:
    """One data row as an item; ``seen`` (id → first line) grows by its id."""
    where = f"line {line}"
    if len(fields) != len(names):
        raise bad_file(
            label,
            where,
            f"{len(fields)} fields but the header has {len(names)} "
            "(a comma or quote inside a value must be quoted)",
        )
    row = dict(zip(names, fields, strict=True))
    for name, value in row.items():
        check_storable(label, where, f'column "{name}"', value, max_chars=MAX_CHARS.get(name))
    item_id = row["id"].strip()
    if not item_id:
        raise bad_file(label, where, 'column "id" is empty')
    check_identifier(label, where, 'column "id"', item_id)
    body = row["text"].strip()
    if not body:
        raise bad_file(label, where, 'column "text" is empty')
    size = len(body.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise bad_file(label, where, f'column "text" is {size / 2**20:.1f} MB, over the 1 MB limit per item')
    if item_id in seen:
        raise bad_file(label, where, f'duplicate id "{item_id}" (first on line {seen[item_id]})')
    seen[item_id] = line
    try:
        created_at = parse_date(row.get("created_at", ""))
    except ValueError as exc:
        raise bad_file(label, where, f'column "created_at": {exc}') from None
    return ImportedItem(
        item_id=item_id,
        text=body,
        author=row.get("author", "").strip(),
        created_at=created_at,
        url=row.get("url", "").strip(),
        source_line=line,
    )


def parse_csv(text: str, label: str) -> list[ImportedItem]:
    """All rows of the file as items, or a ``BadImportFile`` for the first problem found."""
    if not text.strip():
        raise bad_file(label, "", "file is empty")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise bad_file(label, f"line {line}", "contains a NUL byte (is this a binary file, or UTF-16?)")
    records = _records(text, label)
    if not records:
        raise bad_file(label, "", "file is empty")
    first_line, header_fields = records[0]
    if first_line != 1:
        raise bad_file(
            label, f"line {first_line}", "the file starts with blank lines; the header must be line 1"
        )
    names = _header(header_fields, label)
    if len(records) == 1:
        raise bad_file(label, "", "has a header but no data rows")
    seen: dict[str, int] = {}
    return [_item(line, fields, names, label, seen) for line, fields in records[1:]]
