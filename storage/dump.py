"""A canonical text dump of the crawled tables: equal dumps mean equal data, whatever the crawl history.

Surrogate ids, audit timestamps, provenance links (raw payload ids) and per-run tables are left out; rows are
sorted by their natural keys. Endorsement snapshots are reduced to the distinct (idea, count) pairs seen,
since which run saw them depends on how often the crawl ran.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from storage.db import transaction
from storage.models import AgencyResponse, Base, Comment, EndorsementSnapshot, Idea, Policy

SKIPPED = {"id", "raw_payload_id", "first_seen_at", "last_seen_at", "crawl_run_id", "observed_at"}
TABLES: tuple[type[Base], ...] = (Policy, Comment, Idea, AgencyResponse)


def _value(value: object) -> object:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def canonical_dump(engine: Engine) -> str:
    """One JSON line per row, grouped by table, sorted; stable across SQLite and PostgreSQL."""
    lines: list[str] = []
    with transaction(engine) as session:
        for model in TABLES:
            table = model.__table__
            columns = [c for c in table.c if c.name not in SKIPPED]
            rows = [
                json.dumps(
                    {c.name: _value(r._mapping[c.name]) for c in columns}, ensure_ascii=False, sort_keys=True
                )
                for r in session.execute(select(*columns))
            ]
            lines.extend(f"{model.__tablename__}\t{row}" for row in sorted(rows))
        pairs = session.execute(
            select(
                EndorsementSnapshot.site, EndorsementSnapshot.idea_uuid, EndorsementSnapshot.endorse_count
            ).distinct()
        ).all()
        lines.extend(
            sorted(f"endorsement_snapshot\t{json.dumps(list(p), ensure_ascii=False)}" for p in pairs)
        )
    return "\n".join(lines) + "\n"


__all__ = ["canonical_dump"]
