"""The report's view model: plain frozen dataclasses that templates, exports and printers all read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import overload

from base.taiwan import TAIPEI
from reports.charts import Chart

SMALL_N = 30  # fewer unique arguments than this: the brief warns that shares are not meaningful
HTML_ROW_LIMIT = 60  # tables longer than this show their head in HTML; the CSV/JSON hold every row


@overload
def to_taipei(moment: datetime, *, naive_is_utc: bool = False) -> datetime: ...
@overload
def to_taipei(moment: datetime | None, *, naive_is_utc: bool = False) -> datetime | None: ...
def to_taipei(moment: datetime | None, *, naive_is_utc: bool = False) -> datetime | None:
    """A datetime in Taipei time. SQLite drops offsets: naive item times (written Taipei-aware by the
    crawler) are Taipei wall time; naive bookkeeping times (runs, snapshots: ``utcnow``) are UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC if naive_is_utc else TAIPEI).astimezone(TAIPEI)
    return moment.astimezone(TAIPEI)


def fmt_day(moment: datetime | date | None, *, naive_is_utc: bool = False) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        local = to_taipei(moment, naive_is_utc=naive_is_utc)
        return local.strftime("%Y-%m-%d") if local else ""
    return moment.isoformat()


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    numeric: bool = False
    link_key: str | None = None  # the row key holding this cell's (unchecked) URL


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the report; every table is also written as ``data/<name>.csv`` and ``.json``."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, object], ...]
    export_only: tuple[str, ...] = ()  # row keys written to CSV/JSON but not shown as HTML columns

    @property
    def html_rows(self) -> tuple[Mapping[str, object], ...]:
        return self.rows[:HTML_ROW_LIMIT]

    @property
    def truncated(self) -> bool:
        return len(self.rows) > HTML_ROW_LIMIT

    def export_keys(self) -> list[str]:
        keys = [column.key for column in self.columns]
        keys += [
            column.link_key for column in self.columns if column.link_key and column.link_key not in keys
        ]
        return keys + [key for key in self.export_only if key not in keys]


@dataclass(frozen=True, slots=True)
class Quote:
    """A verbatim excerpt of one item, with where it came from; ``print_text`` is redacted for print."""

    kind: str
    item_id: str
    text: str
    print_text: str
    cut: bool
    url: str | None
    copies: int = 1  # items in scope making this argument (a campaign's, or near-duplicates): quoted once


@dataclass(frozen=True, slots=True)
class Theme:
    key: str
    label: str
    terms: tuple[str, ...]
    size: int
    share: float  # of the scope's items
    delta: int | None  # size change since the previous complete run; None when the theme is new
    is_minority: bool
    quotes: tuple[Quote, ...]


@dataclass(frozen=True, slots=True)
class CampaignView:
    key: str
    size: int
    first_at: str
    last_at: str
    is_burst: bool
    commitment_code: str | None
    quote: Quote | None


@dataclass(frozen=True, slots=True)
class Changes:
    previous_run_id: int | None
    new_items: int
    new_quotes: tuple[Quote, ...] = ()
    theme_deltas: tuple[tuple[str, int | None], ...] = ()  # (label, Δ or None for new)


@dataclass(frozen=True, slots=True)
class Brief:
    """A commitment's workshop brief: the content of its HTML page, Markdown file and PDF."""

    code: str
    slug: str
    title: str
    description: str
    raw: int
    unique: int
    share_of_all: float
    campaign_items: int
    median_confidence: float | None
    low_confidence_share: float | None  # share of its items placed with confidence below 0.5
    small_n: bool
    themes: tuple[Theme, ...]
    minority: tuple[Theme, ...]
    campaigns: tuple[CampaignView, ...]
    responses: Table
    questions: tuple[str, ...]
    prompts: tuple[str, ...]
    changes: Changes
    tables: tuple[Table, ...] = field(default=())
    agency_replies: Table | None = None  # replies agencies posted to this commitment's comments
    likes: int = 0  # likes on the commitment's comments
    endorsements: int = 0  # endorsements of the commitment's proposals
    trend_chart: Chart | None = None  # weekly submissions
    support: int = 0  # comments with no argument (agreement, thanks, 推): counted, never a theme


__all__ = [
    "HTML_ROW_LIMIT",
    "SMALL_N",
    "TAIPEI",
    "Brief",
    "CampaignView",
    "Changes",
    "Column",
    "Quote",
    "Table",
    "Theme",
    "fmt_day",
    "to_taipei",
]
