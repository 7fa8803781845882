"""Catalogues of commitments: the bundled OGP 2020 draft or a CSV ``id,title,description,keywords``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from joinfeedback.errors import UserError

BUNDLED = Path(__file__).with_name("data") / "ogp2020.csv"
HEADER = ("id", "title", "description", "keywords")


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
    reader = csv.reader(content.splitlines(keepends=True))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise UserError(f"catalogue {where}: line 1: {exc}") from exc
    header = [h.strip() for h in header]
    if tuple(header) != HEADER:
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
    entries: list[CommitmentEntry] = []
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(HEADER):
                raise UserError(
                    f"catalogue {where}: line {line}: expected {len(HEADER)} columns, found {len(row)}"
                )
            code, title, description, keywords = (cell.strip() for cell in row)
            if not code:
                raise UserError(f"catalogue {where}: line {line}, column id: empty id")
            if len(code) > 50:
                raise UserError(f"catalogue {where}: line {line}, column id: id longer than 50 characters")
            if code.lower() == "none":
                raise UserError(f"catalogue {where}: line {line}, column id: 'none' is reserved")
            if code in seen:
                raise UserError(
                    f"catalogue {where}: line {line}, column id: duplicate id {code!r} "
                    f"(first on line {seen[code]})"
                )
            if not title:
                raise UserError(f"catalogue {where}: line {line}, column title: empty title")
            seen[code] = line
            words = tuple(k.strip() for k in keywords.split(";") if k.strip())
            entries.append(CommitmentEntry(code, title, description, words))
    except csv.Error as exc:
        raise UserError(f"catalogue {where}: line {reader.line_num}: {exc}") from exc
    if not entries:
        raise UserError(f"catalogue {where}: no commitments after the header")
    return Catalogue(path.stem, tuple(entries), str(path))


def resolve_catalogue(catalogue: str | None) -> Catalogue | None:
    """``None`` → the bundled OGP 2020 catalogue; ``"none"`` → none (cluster only); else a CSV path."""
    if catalogue is None:
        return load_catalogue(BUNDLED)
    if catalogue.strip().lower() == "none":
        return None
    return load_catalogue(catalogue)


__all__ = ["BUNDLED", "Catalogue", "CommitmentEntry", "load_catalogue", "resolve_catalogue"]
