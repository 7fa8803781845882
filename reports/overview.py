"""The overview page: totals, unique arguments against raw submissions, by commitment, over time, coverage."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import get_args

from reports import charts
from reports.agency_replies import agency_reply_table
from reports.charts import Chart, Drawer, draw_here
from reports.i18n import Translator
from reports.model import Column, Table, fmt_day
from reports.rundata import RunData
from storage.models import AssignmentStatus
from storage.run_rows import StoredCampaign

STATUSES: tuple[AssignmentStatus, ...] = get_args(AssignmentStatus)


@dataclass(frozen=True, slots=True)
class Overview:
    kpis: tuple[tuple[str, int], ...]
    coverage: dict[AssignmentStatus, int]
    total: int
    unique: int
    tables: tuple[Table, ...]
    charts: dict[str, Chart]


def commitment_counts(data: RunData) -> tuple[Counter[str], Counter[str]]:
    raw: Counter[str] = Counter()
    unique: Counter[str] = Counter()
    for row in data.assignments:
        if row.status == "assigned" and row.commitment_code:
            raw[row.commitment_code] += 1
            if row.duplicate_of is None or row.is_unique:  # most items duplicate none: no property call
                unique[row.commitment_code] += 1
    return raw, unique


def _timeline(days: Counter[date]) -> list[tuple[date, int]]:
    """Daily counts with empty days filled in; weekly (Monday) buckets when the period is long."""
    if not days:
        return []
    first, last = min(days), max(days)
    if (last - first).days > 180:
        weekly: Counter[date] = Counter()
        for day, count in days.items():
            weekly[day - timedelta(days=day.weekday())] += count
        days, first = weekly, min(weekly)
        step = 7
    else:
        step = 1
    out = []
    day = first
    while day <= last:
        out.append((day, days.get(day, 0)))
        day += timedelta(days=step)
    return out


@dataclass(frozen=True, slots=True)
class OverviewCounts:
    """The overview's figures over the items in the report's scope."""

    total: int
    unique: int
    coverage: Counter[AssignmentStatus]  # items per status
    raw_by_code: Counter[str]  # assigned items per commitment
    unique_by_code: Counter[str]
    kpis: tuple[tuple[str, int], ...]
    timeline: list[tuple[date, int]]


def scope_counts(data: RunData) -> Mapping[str, int]:
    """What the report covers: everything stored, or what is in its scope."""
    if data.scope.is_everything:
        return data.stored_counts
    kinds = Counter(row.kind for row in data.assignments)
    return {
        "policies": len(data.policies),
        "comments": kinds["comment"],
        "agency_replies": len(data.agency_replies),  # those on the consultations and days in scope
        "proposals": kinds["idea"],
        "imported": kinds["import"],
    }


def overview_counts(data: RunData) -> OverviewCounts:
    total = len(data.assignments)
    unique_total = sum(1 for row in data.assignments if row.duplicate_of is None or row.is_unique)
    raw, unique = commitment_counts(data)
    stored = scope_counts(data)
    kpis = (
        ("kpi_policies", stored.get("policies", 0)),
        ("kpi_comments", stored.get("comments", 0)),
        ("kpi_agency_replies", stored.get("agency_replies", 0)),
        ("kpi_proposals", stored.get("proposals", 0)),
        ("kpi_imported", stored.get("imported", 0)),
        ("kpi_raw", total),
        ("kpi_unique", unique_total),
        ("kpi_campaigns", len(data.campaigns)),
    )
    coverage = Counter(row.status for row in data.assignments)
    return OverviewCounts(total, unique_total, coverage, raw, unique, kpis, _timeline(data.days))


# Presentation: the overview's tables and charts.


def _by_commitment_table(data: RunData, counts: OverviewCounts, t: Translator) -> Table:
    assigned_total = max(1, counts.coverage["assigned"])
    raw, unique = counts.raw_by_code, counts.unique_by_code
    return Table(
        "by_commitment",
        t("by_commitment_heading"),
        (
            Column("code", t("col_code")),
            Column("title", t("col_commitment"), link_key="page"),
            Column("raw", t("col_raw"), numeric=True),
            Column("unique", t("col_unique"), numeric=True),
            Column("share", t("col_share"), numeric=True),
        ),
        tuple(
            {
                "code": c.code,
                "title": t.commitment_title(c.title),
                "page": f"commitments/{slug(c.code)}.html",
                "raw": raw[c.code],
                "unique": unique[c.code],
                "share": round(raw[c.code] / assigned_total, 4),
            }
            for c in data.commitments
        ),
    )


def _coverage_table(counts: OverviewCounts, t: Translator) -> Table:
    return Table(
        "coverage",
        t("coverage_heading"),
        (
            Column("label", t("col_status")),
            Column("count", t("col_count"), numeric=True),
            Column("share", t("col_share_all"), numeric=True),
        ),
        tuple(
            {
                "status": s,
                "label": t(f"status_{s}"),
                "count": counts.coverage[s],
                "share": round(counts.coverage[s] / max(1, counts.total), 4),
            }
            for s in STATUSES
        ),
        export_only=("status",),
    )


def _over_time_table(counts: OverviewCounts, t: Translator) -> Table:
    return Table(
        "over_time",
        t("over_time_heading"),
        (Column("date", t("col_date")), Column("count", t("col_count"), numeric=True)),
        tuple({"date": day.isoformat(), "count": count} for day, count in counts.timeline),
    )


def _campaigns_table(campaigns: Iterable[StoredCampaign], t: Translator) -> Table:
    return Table(
        "campaigns",
        t("campaigns_heading"),
        (
            Column("campaign", t("col_campaign")),
            Column("code", t("col_code")),
            Column("size", t("col_size"), numeric=True),
            Column("first", t("col_first")),
            Column("last", t("col_last")),
            Column("burst", t("col_burst")),
        ),
        tuple(
            {
                "campaign": c.campaign_key,
                "code": c.commitment_code or "",
                "size": c.size,
                "first": fmt_day(c.first_at),
                "last": fmt_day(c.last_at),
                "burst": t("yes") if c.is_burst else t("no"),
            }
            for c in campaigns
        ),
    )


def _overview_charts(data: RunData, counts: OverviewCounts, t: Translator, draw: Drawer) -> dict[str, Chart]:
    labels = [
        f"{c.code} {t.commitment_title(c.title)[: 14 if t.language == 'zh-TW' else 28]}"
        for c in data.commitments
    ]
    by_commitment = draw(
        charts.bar_chart,
        labels,
        [
            (t("chart_raw"), [counts.raw_by_code[c.code] for c in data.commitments]),
            (t("chart_unique"), [counts.unique_by_code[c.code] for c in data.commitments]),
        ],
        t("chart_by_commitment"),
    )
    timeline = counts.timeline
    over_time = draw(
        charts.time_chart,
        [d for d, _ in timeline],
        [n for _, n in timeline],
        t("chart_over_time"),
        t("chart_count"),
    )
    coverage = draw(
        charts.share_chart,
        [t(f"status_{s}") for s in STATUSES],
        [counts.coverage[s] for s in STATUSES],
        t("chart_coverage"),
    )
    return {"by_commitment": by_commitment, "over_time": over_time, "coverage": coverage}


def build_overview(
    data: RunData, t: Translator, *, with_charts: bool = True, draw: Drawer = draw_here
) -> Overview:
    counts = overview_counts(data)
    tables = (
        _by_commitment_table(data, counts, t),
        _coverage_table(counts, t),
        _over_time_table(counts, t),
        _campaigns_table(data.campaigns, t),
        agency_reply_table("agency_replies", t("agency_replies_heading"), data.agency_replies, t),
    )
    rendered = _overview_charts(data, counts, t, draw) if with_charts else {}
    coverage = {s: counts.coverage[s] for s in STATUSES}
    return Overview(counts.kpis, coverage, counts.total, counts.unique, tables, rendered)


def slug(code: str) -> str:
    """A file name for a commitment code ("1.1" → "c-1-1"): only [a-z0-9-], never a path, one per code.

    Codes of lower-case letters and digits joined by single dots read as they are; any other code (upper
    case, "-", "_", non-ASCII) gets "--" and a hash of the exact code, so that "A" and "a", or "1.1", "1-1"
    and "1_1", stay apart even on a case-insensitive file system ("--" never occurs in the plain form).
    """
    cleaned = re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-") or "x"
    if not re.fullmatch(r"[a-z0-9]+(?:\.[a-z0-9]+)*", code):
        cleaned += "--" + hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"c-{cleaned}"


__all__ = [
    "Overview",
    "OverviewCounts",
    "build_overview",
    "commitment_counts",
    "overview_counts",
    "scope_counts",
    "slug",
]
