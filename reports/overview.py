"""The overview page: totals, unique arguments against raw submissions, by commitment, over time, coverage."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from reports import charts
from reports.agency_replies import agency_reply_table
from reports.i18n import Translator
from reports.model import Column, Table, fmt_day
from reports.rundata import RunData, is_unique

STATUSES = ("assigned", "none", "uncertain")


@dataclass(frozen=True, slots=True)
class Overview:
    kpis: tuple[tuple[str, int], ...]
    coverage: dict[str, int]
    total: int
    unique: int
    tables: tuple[Table, ...]
    charts: dict[str, str]


def commitment_counts(data: RunData) -> tuple[Counter[str], Counter[str]]:
    raw: Counter[str] = Counter()
    unique: Counter[str] = Counter()
    for row in data.assignments:
        if row.status == "assigned" and row.commitment_code:
            raw[row.commitment_code] += 1
            if is_unique(row):
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


def build_overview(data: RunData, t: Translator, *, with_charts: bool = True) -> Overview:
    total = len(data.assignments)
    unique_total = sum(1 for row in data.assignments if is_unique(row))
    coverage = Counter(row.status for row in data.assignments)
    raw, unique = commitment_counts(data)
    assigned_total = max(1, coverage["assigned"])
    stored = data.stored_counts
    if not data.scope.is_everything:  # what is in the report's scope, not everything stored
        kinds = Counter(row.kind for row in data.assignments)
        stored = {
            "policies": len(data.policies),
            "comments": kinds["comment"],
            "proposals": kinds["idea"],
            "imported": kinds["import"],
        }
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
    by_commitment = Table(
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
    coverage_table = Table(
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
                "count": coverage[s],
                "share": round(coverage[s] / max(1, total), 4),
            }
            for s in STATUSES
        ),
        export_only=("status",),
    )
    timeline = _timeline(data.days)
    over_time = Table(
        "over_time",
        t("over_time_heading"),
        (Column("date", t("col_date")), Column("count", t("col_count"), numeric=True)),
        tuple({"date": day.isoformat(), "count": count} for day, count in timeline),
    )
    campaigns = Table(
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
            for c in data.campaigns
        ),
    )
    rendered: dict[str, str] = {}
    if with_charts:
        labels = [
            f"{c.code} {t.commitment_title(c.title)[: 14 if t.language == 'zh-TW' else 28]}"
            for c in data.commitments
        ]
        rendered["by_commitment"] = charts.bar_chart(
            labels,
            [
                (t("chart_raw"), [raw[c.code] for c in data.commitments]),
                (t("chart_unique"), [unique[c.code] for c in data.commitments]),
            ],
            t("chart_by_commitment"),
        )
        rendered["over_time"] = charts.time_chart(
            [d for d, _ in timeline], [n for _, n in timeline], t("chart_over_time"), t("chart_count")
        )
        rendered["coverage"] = charts.share_chart(
            [t(f"status_{s}") for s in STATUSES], [coverage[s] for s in STATUSES], t("chart_coverage")
        )
    return Overview(
        kpis,
        {s: coverage[s] for s in STATUSES},
        total,
        unique_total,
        (
            by_commitment,
            coverage_table,
            over_time,
            campaigns,
            agency_reply_table("agency_replies", t("agency_replies_heading"), data.agency_replies, t),
        ),
        rendered,
    )


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


def hash_code(code: str) -> int:
    """A stable small hash (Python's ``hash`` is salted per process)."""
    value = 0
    for ch in code:
        value = (value * 131 + ord(ch)) % 1_000_000_007
    return value


__all__ = ["Overview", "build_overview", "commitment_counts", "slug"]
