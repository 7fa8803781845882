"""Which items an analysis, a report or an export covers: consultations, a period, a source.

One definition, read by ``analysis.run`` (what is analysed), ``reports`` (what is shown) and the exports,
so that ``--policy``, ``--since``, ``--until`` and ``--source`` mean the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

TAIPEI = timezone(timedelta(hours=8), "Asia/Taipei")
SOURCES = ("all", "crawled", "imported")


def taipei_day(moment: datetime | None) -> date | None:
    """The calendar day in Taipei; a naive item time is Taipei wall time (SQLite drops offsets)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(TAIPEI).date()


@dataclass(frozen=True, slots=True)
class ItemScope:
    """``policies``: consultation uuids (their comments only; proposals and imported items belong to no
    consultation); ``since``/``until``: inclusive days, Taipei time (an item without a time is outside a
    bounded period); ``source``: ``crawled`` (comments, proposals), ``imported`` (files) or ``all``."""

    policies: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    source: str = "all"

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source {self.source!r} is not one of {', '.join(SOURCES)}")

    @property
    def is_everything(self) -> bool:
        return not self.policies and self.since is None and self.until is None and self.source == "all"

    def admits(self, kind: str, policy_uuid: str | None, created_at: datetime | None) -> bool:
        if self.source == "crawled" and kind == "import":
            return False
        if self.source == "imported" and kind != "import":
            return False
        if self.policies and (kind != "comment" or policy_uuid not in self.policies):
            return False
        if self.since is not None or self.until is not None:
            day = taipei_day(created_at)
            if day is None:
                return False
            if self.since is not None and day < self.since:
                return False
            if self.until is not None and day > self.until:
                return False
        return True

    def describe(self) -> dict[str, str | list[str]]:
        """For run manifests and report headers: only what narrows the scope."""
        out: dict[str, str | list[str]] = {}
        if self.policies:
            out["policies"] = list(self.policies)
        if self.since is not None:
            out["since"] = self.since.isoformat()
        if self.until is not None:
            out["until"] = self.until.isoformat()
        if self.source != "all":
            out["source"] = self.source
        return out


EVERYTHING = ItemScope()

__all__ = ["EVERYTHING", "SOURCES", "ItemScope", "taipei_day"]
