"""Compare, then upsert: write only the rows that are new or changed, and say how many of each there were.

The crawler and file import both store rows this way (``storage.crawlstate``, ``storage.imports``), so a
re-crawl or a second import of the same file changes no data row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import upsert
from storage.models import Base, RawPayload

# Keys are looked up with IN (...) lists of KEY_CHUNK; above ONE_PASS_KEYS keys of one site (or dataset) the
# stored rows of the whole site are read once instead: right after a bulk insert PostgreSQL has no statistics
# yet and runs each IN list as a sequential scan. A crawl's batches (a few hundred rows) stay below it, so a
# flush reads what it compares, not the whole site again.
KEY_CHUNK = 500
ONE_PASS_KEYS = 5000


class FetchedPayload(TypedDict):
    """A fetched body, compressed, identified by its hash."""

    sha256: str
    url: str
    content_type: str
    size: int
    body_zlib: bytes


class PayloadRow(FetchedPayload):
    """A ``raw_payload`` row: the body, when it was fetched and by which crawl run."""

    fetched_at: datetime
    crawl_run_id: int | None


@dataclass(frozen=True, slots=True)
class StoreCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: StoreCounts) -> StoreCounts:
        return StoreCounts(
            self.new + other.new, self.updated + other.updated, self.unchanged + other.unchanged
        )


def comparable(value: object) -> object:
    """A value as it is compared with the stored one.

    Times as UTC instants to the second: the site serves one instant to the millisecond in its embedded
    JSON and to the second in its HTML and open data, and that is no change. (Stored times are read back
    tz-aware, see ``UTCDateTime``.) Tuples as lists, because JSON columns read back as lists.
    """
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(microsecond=0)
    if isinstance(value, tuple):
        return list(value)
    return value


def _stored(
    session: Session,
    model: type[Base],
    keys: tuple[str, str],
    compared: Sequence[str],
    group: object,
    ids: list[object],
) -> dict[object, dict[str, object]]:
    """The ``compared`` values, by column, of the stored rows of one group (``keys[0] == group``) whose
    ``keys[1]`` is in ``ids``."""
    table = model.__table__
    first, second = (table.c[name] for name in keys)
    columns = [second, *(table.c[name] for name in compared)]
    query = select(*columns).where(first == group)
    if len(ids) > ONE_PASS_KEYS:
        queries = [query]
    else:
        queries = [query.where(second.in_(ids[at : at + KEY_CHUNK])) for at in range(0, len(ids), KEY_CHUNK)]
    wanted = set(ids)
    return {
        record[0]: {name: comparable(value) for name, value in zip(compared, record[1:], strict=True)}
        for each in queries
        for record in session.execute(each)
        if record[0] in wanted
    }


def upsert_changed(
    session: Session,
    model: type[Base],
    rows: Iterable[Mapping[str, object]],
    *,
    keys: tuple[str, str],
    compared: Sequence[str],
    stamp: Mapping[str, object] | None = None,
    keep: Iterable[str] = (),
    revise: Callable[[Mapping[str, object], Mapping[str, object]], Mapping[str, object]] | None = None,
) -> StoreCounts:
    """Insert the new rows and update the changed ones; leave unchanged rows as they are.

    ``keys`` identify a row (site or dataset first); the ``compared`` columns tell a changed row from an
    unchanged one. A written row gets the ``stamp`` values too (e.g. its raw payload, when it was seen). An
    update writes every column the row names except the keys and ``keep`` (e.g. when it was first seen).
    ``revise(row, stored)`` may amend a row that is already stored, given its stored ``compared`` values
    (e.g. keep what a page no longer gave).
    """
    by_group: dict[object, list[Mapping[str, object]]] = {}
    for row in rows:
        by_group.setdefault(row[keys[0]], []).append(row)
    new = updated = unchanged = 0
    writes: list[dict[str, object]] = []
    for group, group_rows in by_group.items():
        stored = _stored(session, model, keys, compared, group, [row[keys[1]] for row in group_rows])
        for row in group_rows:
            before = stored.get(row[keys[1]])
            if before is not None and revise is not None:
                row = revise(row, before)
            if before is None:
                new += 1
            # a column the row does not carry (author_kind of a caller that predates it) is no change
            elif all(before[name] == comparable(row[name]) for name in compared if name in row):
                unchanged += 1
                continue  # an unchanged row keeps the payload that first brought it
            else:
                updated += 1
            writes.append({**row, **(stamp or {})})
    skip = {*keys, *keep}
    update = [name for name in dict.fromkeys(c for row in writes for c in row) if name not in skip]
    upsert(session, model, writes, keys=keys, update=update)
    return StoreCounts(new, updated, unchanged)


def store_payloads(session: Session, payloads: Sequence[PayloadRow]) -> dict[str, int]:
    """Store raw payloads once per sha256 (a payload already stored is kept); their ids by sha256."""
    upsert(session, RawPayload, payloads, keys=("sha256",))
    shas = [payload["sha256"] for payload in payloads]
    ids: dict[str, int] = {}
    for start in range(0, len(shas), KEY_CHUNK):
        query = select(RawPayload.sha256, RawPayload.id).where(
            RawPayload.sha256.in_(shas[start : start + KEY_CHUNK])
        )
        ids.update({sha: int(payload_id) for sha, payload_id in session.execute(query)})
    return ids


__all__ = [
    "KEY_CHUNK",
    "ONE_PASS_KEYS",
    "FetchedPayload",
    "PayloadRow",
    "StoreCounts",
    "comparable",
    "store_payloads",
    "upsert_changed",
]
