"""Consultations (眾開講) in the report: the overview's list with their counts, and one page each."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import get_args

from reports.i18n import Translator
from reports.model import Column, Table, fmt_day
from reports.overview import slug as commitment_slug
from reports.rundata import RunData
from reports.textsafety import safe_url
from storage.models import AssignmentStatus
from storage.queries.consultations import PolicyRow
from storage.run_rows import StoredAssignment


@dataclass(frozen=True, slots=True)
class Consultation:
    uuid: str
    slug: str
    title: str
    agency: str
    url: str | None
    period: str
    raw: int
    unique: int
    statuses: dict[str, int]
    by_commitment: Table


def consultation_slug(uuid: str) -> str:
    """A file name for a consultation: only [a-z0-9-], never a path."""
    return "p-" + (re.sub(r"[^a-z0-9]+", "-", uuid.lower()).strip("-") or "x")


def comments_by_policy(data: RunData) -> dict[str, list[StoredAssignment]]:
    """The run's comments in scope, grouped by the consultation they were posted to."""
    rows_of: dict[str, list[StoredAssignment]] = defaultdict(list)
    for row in data.assignments:
        if row.policy_uuid is not None:
            rows_of[row.policy_uuid].append(row)
    return rows_of


def assigned_by_commitment(rows: Iterable[StoredAssignment]) -> list[tuple[str, int]]:
    """Assigned comments per commitment, most first."""
    by_code = Counter(r.commitment_code for r in rows if r.status == "assigned")
    return [(code, n) for code, n in sorted(by_code.items(), key=lambda kv: (-kv[1], str(kv[0]))) if code]


def _by_commitment_table(
    name: str, counts: Iterable[tuple[str, int]], titles: Mapping[str, str], t: Translator
) -> Table:
    return Table(
        f"{name}-by_commitment",
        t("by_commitment_heading"),
        (
            Column("code", t("col_code")),
            Column("title", t("col_commitment"), link_key="page"),
            Column("raw", t("col_raw"), numeric=True),
        ),
        tuple(
            {
                "code": code,
                "title": titles.get(code, code),
                "page": f"commitments/{commitment_slug(code)}.html",
                "raw": n,
            }
            for code, n in counts
        ),
    )


def _consultation(
    policy: PolicyRow, rows: Sequence[StoredAssignment], titles: Mapping[str, str], t: Translator
) -> Consultation:
    statuses = Counter(r.status for r in rows)
    name = consultation_slug(policy.uuid)
    opened, closed = fmt_day(policy.published_at), fmt_day(policy.closes_at)
    return Consultation(
        policy.uuid,
        name,
        policy.title or policy.uuid,
        policy.agency,
        safe_url(policy.url),
        f"{opened} – {closed}" if opened or closed else "",
        len(rows),
        sum(1 for r in rows if r.duplicate_of is None or r.is_unique),
        {s: statuses[s] for s in get_args(AssignmentStatus)},
        _by_commitment_table(name, assigned_by_commitment(rows), titles, t),
    )


def _listing_table(pages: Iterable[Consultation], t: Translator) -> Table:
    return Table(
        "consultations",
        t("consultations_heading"),
        (
            Column("title", t("col_consultation"), link_key="page"),
            Column("agency", t("col_agency")),
            Column("raw", t("kpi_comments"), numeric=True),
            Column("unique", t("col_unique"), numeric=True),
            Column("assigned", t("status_assigned"), numeric=True),
            Column("none", t("status_none"), numeric=True),
        ),
        tuple(
            {
                "title": c.title,
                "page": f"consultations/{c.slug}.html",
                "agency": c.agency,
                "raw": c.raw,
                "unique": c.unique,
                "assigned": c.statuses["assigned"],
                "none": c.statuses["none"],
                "uuid": c.uuid,
            }
            for c in pages
        ),
        export_only=("uuid",),
    )


def build_consultations(data: RunData, t: Translator) -> tuple[Table, list[Consultation]]:
    """Per consultation with comments in the report's scope: counts by status and by commitment."""
    rows_of = comments_by_policy(data)
    titles = {c.code: t.commitment_title(c.title) for c in data.commitments}
    pages = [
        _consultation(policy, rows_of[policy.uuid], titles, t)
        for policy in data.policies
        if rows_of.get(policy.uuid)
    ]
    pages.sort(key=lambda c: (-c.raw, c.uuid))
    return _listing_table(pages, t), pages


__all__ = [
    "Consultation",
    "assigned_by_commitment",
    "build_consultations",
    "comments_by_policy",
    "consultation_slug",
]
