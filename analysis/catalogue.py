"""Catalogues of commitments: the bundled OGP 2020 draft or a CSV ``id,title,description,keywords``."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from base.errors import UserError

if TYPE_CHECKING:
    from _csv import _reader as _Reader

BUNDLED = Path(__file__).with_name("data") / "ogp2020.csv"
HEADER = ("id", "title", "description", "keywords")
# The bundled commitments' English titles (analysis/data/SOURCES.md), for reports in English
BUNDLED_TITLES_EN = BUNDLED.with_name("ogp2020_titles_en.csv")


@dataclass(frozen=True, slots=True)
class CommitmentEntry:
    """One commitment as the analysis sees it; ``code`` is the catalogue's own id."""

    code: str
    title: str
    description: str = ""
    keywords: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return " ".join([self.title, self.description, *self.keywords])


@dataclass(frozen=True, slots=True)
class Catalogue:
    name: str
    commitments: tuple[CommitmentEntry, ...]
    source: str = ""

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.commitments]


def load_catalogue(path: str | Path) -> Catalogue:
    """Read and validate a catalogue CSV (UTF-8, with or without BOM); errors name the file and line."""
    path = Path(path)
    where = str(path)
    reader = csv.reader(_read_text(path, where).splitlines(keepends=True))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise UserError(f"catalogue {where}: line 1: {exc}") from exc
    _check_header([h.strip() for h in header], where)
    try:
        entries = _entries(reader, where)
    except csv.Error as exc:
        raise UserError(f"catalogue {where}: line {reader.line_num}: {exc}") from exc
    if not entries:
        raise UserError(f"catalogue {where}: no commitments after the header")
    return Catalogue(path.stem, tuple(entries), str(path))


def _read_text(path: Path, where: str) -> str:
    """The file's text; unreadable, non-UTF-8 and empty files are errors."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"catalogue {where}: cannot read ({exc.strerror or exc})") from exc
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UserError(f"catalogue {where}: line {line}: not valid UTF-8 (byte {exc.start})") from exc
    if not content.strip():
        raise UserError(f"catalogue {where}: the file is empty (expected header {','.join(HEADER)})")
    return content


def _check_header(header: list[str], where: str) -> None:
    if tuple(header) == HEADER:
        return
    missing = [h for h in HEADER if h not in header]
    extra = [h for h in header if h not in HEADER]
    detail = []
    if missing:
        detail.append(f"missing column(s) {', '.join(missing)}")
    if extra:
        detail.append(f"unexpected column(s) {', '.join(extra) or '(empty name)'}")
    if not detail:
        detail.append("columns out of order")
    raise UserError(
        f"catalogue {where}: line 1: header must be exactly {','.join(HEADER)} ({'; '.join(detail)})"
    )


def _entries(reader: _Reader, where: str) -> list[CommitmentEntry]:
    """The commitments of the rows after the header (blank rows skipped); errors name the line and column."""
    entries: list[CommitmentEntry] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(HEADER):
            raise UserError(
                f"catalogue {where}: line {line}: expected {len(HEADER)} columns, found {len(row)}"
            )
        code, title, description, keywords = (cell.strip() for cell in row)
        _check_id(code, seen, where, line)
        if not title:
            raise UserError(f"catalogue {where}: line {line}, column title: empty title")
        seen[code] = line
        words = tuple(k.strip() for k in keywords.split(";") if k.strip())
        entries.append(CommitmentEntry(code, title, description, words))
    return entries


def _check_id(code: str, seen: dict[str, int], where: str, line: int) -> None:
    if not code:
        raise UserError(f"catalogue {where}: line {line}, column id: empty id")
    if len(code) > 50:
        raise UserError(f"catalogue {where}: line {line}, column id: id longer than 50 characters")
    if code.lower() == "none":
        raise UserError(f"catalogue {where}: line {line}, column id: 'none' is reserved")
    if code in seen:
        raise UserError(
            f"catalogue {where}: line {line}, column id: duplicate id {code!r} (first on line {seen[code]})"
        )


@cache
def bundled_titles_en() -> Mapping[str, str]:
    """The bundled catalogue's titles in English, by the title as the catalogue gives it."""
    with BUNDLED_TITLES_EN.open(encoding="utf-8", newline="") as file:
        return {row["title"]: row["title_en"] for row in csv.DictReader(file)}


def resolve_catalogue(catalogue: str | None) -> Catalogue | None:
    """``None`` → the bundled OGP 2020 catalogue; ``"none"`` → none (cluster only); else a CSV path."""
    if catalogue is None:
        return load_catalogue(BUNDLED)
    if catalogue.strip().lower() == "none":
        return None
    return load_catalogue(catalogue)


__all__ = [
    "BUNDLED",
    "Catalogue",
    "CommitmentEntry",
    "bundled_titles_en",
    "load_catalogue",
    "resolve_catalogue",
]
