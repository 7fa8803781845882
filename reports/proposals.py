"""Proposal (提點子) statistics: endorsements, momentum, near threshold or deadline, the 2-month rule."""

from __future__ import annotations

import calendar
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from reports import charts
from reports.i18n import Translator
from reports.model import Column, Table, fmt_day, to_taipei
from storage import report_queries as rq

NEAR_SHARE = 0.8  # at least this share of the threshold …
NEAR_DAYS = 7  # … or fewer days than this left to endorse
TOP_MOMENTUM = 20


STATUSES = (
    "Ready",
    "Proposing",
    "Adjusted",
    "FirstSigned",
    "SecondSigned",
    "Advice",
    "Completed",
    "Rejected",
    "Revoked",
    "FirstFailed",
    "SecondFailed",
)  # the site's status codes (../shared/docs/join-gov-tw.md); each has a name in reports/i18n.py
MOMENTUM_WINDOWS = (7, 30)  # days
HISTORY_CHART_PROPOSALS = 6  # proposals drawn in the endorsement-history chart


@dataclass(frozen=True, slots=True)
class ProposalStats:
    as_of: datetime | None
    momentum_from: datetime | None
    momentum_to: datetime | None
    goal: int
    tables: dict[str, Table]
    response_states: dict[str, str]  # idea uuid → state key, for the briefs
    history_svg: str = ""  # endorsements over time of the most endorsed proposals


def status_name(code: str, t: Translator) -> str:
    """The site's status code in words; an unknown code is shown as it came."""
    return t(f"idea_status_{code}") if code in STATUSES else code


def days_left_words(days_left: int | None, t: Translator) -> str:
    """Remaining endorsement days in words: never a negative number."""
    if days_left is None:
        return ""
    return t("days_ended") if days_left < 0 else t("days_left_n", n=days_left)


def gained_within(history: list[tuple[datetime, int]], days: int) -> int | None:
    """Endorsements gained in the ``days`` before the latest snapshot: the latest count minus the count of
    the last snapshot at least that old, else of the first snapshot (the gain since it was first seen).
    None with fewer than two snapshots."""
    if len(history) < 2:
        return None
    latest_at, latest = history[-1]
    cutoff = latest_at - timedelta(days=days)
    base = history[0][1]
    for observed, count in history:
        if observed <= cutoff:
            base = count
    return latest - base


@dataclass(slots=True)
class AgencyTally:
    """Running counts for one agency's passed proposals (mutable while tallying)."""

    passed: int = 0
    responded: int = 0
    on_time: int = 0
    overdue: int = 0
    days: list[int] = field(default_factory=list)


def add_months(moment: datetime, months: int) -> datetime:
    """Same day ``months`` later, clamped to the month's end (31 Dec + 2 months → 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def response_deadline(proposal: rq.ProposalRow) -> datetime | None:
    """The site's own deadline when it states one, else two months after the proposal passed."""
    if proposal.response_due_at is not None:
        return to_taipei(proposal.response_due_at)
    passed = to_taipei(proposal.passed_at)
    return add_months(passed, 2) if passed else None


def build_proposal_stats(
    session: Session, t: Translator, *, fallback_as_of: datetime | None, with_charts: bool = True
) -> ProposalStats:
    proposals = rq.proposals(session)
    responses = rq.agency_responses(session)
    gained, momentum_from, momentum_to = rq.endorsement_momentum(session)
    history = rq.endorsement_history(session)
    as_of = to_taipei(rq.last_crawl_finished_at(session) or fallback_as_of, naive_is_utc=True)
    goals = [p.endorse_goal for p in proposals if p.endorse_goal]
    goal = statistics.mode(goals) if goals else 5000

    formal: dict[str, rq.ResponseRow] = {}
    for response in responses:  # ordered by date: the first formal answer counts
        if not response.is_placeholder and response.responded_at is not None:
            formal.setdefault(response.idea_uuid, response)

    all_rows: list[dict[str, Any]] = []
    near_rows = []
    for p in proposals:
        due = to_taipei(p.endorse_due_at)
        days_left = (due - as_of).days if due and as_of else None
        progress = round(p.endorse_count / p.endorse_goal, 4) if p.endorse_goal else 0.0
        row = {
            "proposal": p.title,
            "url": p.url,
            "status": status_name(p.status, t),
            "endorse": p.endorse_count,
            "goal": p.endorse_goal,
            "progress": progress,
            "gained": gained.get(p.uuid),
            "gained_7d": gained_within(history.get(p.uuid, []), 7),
            "gained_30d": gained_within(history.get(p.uuid, []), 30),
            "due": fmt_day(due),
            "days_left_words": days_left_words(days_left, t),
            "days_left": days_left if days_left is None or days_left >= 0 else None,
            "status_code": p.status,
            "uuid": p.uuid,
        }
        all_rows.append(row)
        open_for_endorsement = (
            p.passed_at is None and p.endorse_count < p.endorse_goal and (days_left is None or days_left >= 0)
        )
        if open_for_endorsement and (
            progress >= NEAR_SHARE or (days_left is not None and days_left < NEAR_DAYS)
        ):
            near_rows.append(row)

    momentum_rows = sorted(
        (r for r in all_rows if r["gained"]), key=lambda r: (-int(r["gained"] or 0), str(r["uuid"]))
    )

    response_rows = []
    states: dict[str, str] = {}
    per_agency: dict[str, AgencyTally] = defaultdict(AgencyTally)
    for p in proposals:
        if p.passed_at is None:
            continue
        passed = to_taipei(p.passed_at)
        deadline = response_deadline(p)
        answer = formal.get(p.uuid)
        agency = p.agency or (answer.agency if answer else "") or "—"
        stats = per_agency[agency]
        stats.passed += 1
        answered_at = to_taipei(answer.responded_at) if answer else None
        days_taken = (answered_at - passed).days if answered_at and passed else None
        if answered_at is not None:
            state = "on_time" if deadline is None or answered_at <= deadline else "late"
            stats.responded += 1
            if days_taken is not None:
                stats.days.append(days_taken)
            if state == "on_time":
                stats.on_time += 1
        else:
            state = "overdue" if deadline and as_of and as_of > deadline else "pending"
            if state == "overdue":
                stats.overdue += 1
        overdue_days = (as_of - deadline).days if state == "overdue" and deadline and as_of else None
        states[p.uuid] = state
        response_rows.append(
            {
                "proposal": p.title,
                "url": p.url,
                "agency": agency,
                "passed": fmt_day(passed),
                "deadline": fmt_day(deadline),
                "responded": fmt_day(answered_at),
                "days_taken": days_taken,
                "state": t(f"state_{state}"),
                "state_key": state,
                "overdue_days": overdue_days,
                "uuid": p.uuid,
            }
        )

    agency_rows = []
    for agency, stats in sorted(per_agency.items()):
        agency_rows.append(
            {
                "agency": agency,
                "passed": stats.passed,
                "responded": stats.responded,
                "on_time": stats.on_time,
                "overdue": stats.overdue,
                "median_days": statistics.median(stats.days) if stats.days else None,
            }
        )

    proposal_cols = (
        Column("proposal", t("col_proposal"), link_key="url"),
        Column("status", t("col_state")),
        Column("endorse", t("col_endorse"), numeric=True),
        Column("goal", t("col_goal"), numeric=True),
        Column("progress", t("col_progress"), numeric=True),
        Column("gained", t("col_gained"), numeric=True),
        Column("gained_7d", t("col_gained_7d"), numeric=True),
        Column("gained_30d", t("col_gained_30d"), numeric=True),
        Column("due", t("col_due")),
        Column("days_left_words", t("col_days_left")),
    )
    exported = ("uuid", "status_code", "days_left")
    tables = {
        "proposals": Table("proposals", t("proposals_heading"), proposal_cols, tuple(all_rows), exported),
        "momentum": Table(
            "momentum", t("momentum_heading"), proposal_cols, tuple(momentum_rows[:TOP_MOMENTUM]), exported
        ),
        "near": Table(
            "near_threshold_or_deadline", t("near_heading"), proposal_cols, tuple(near_rows), exported
        ),
        "history": Table(
            "endorsement_history",
            t("history_heading"),
            (
                Column("proposal", t("col_proposal")),
                Column("observed", t("col_observed")),
                Column("endorse", t("col_endorse"), numeric=True),
            ),
            tuple(
                {
                    "proposal": p.title,
                    "observed": _minutes(to_taipei(observed, naive_is_utc=True)),
                    "endorse": count,
                    "uuid": p.uuid,
                }
                for p in proposals
                for observed, count in history.get(p.uuid, [])
            ),
            ("uuid",),
        ),
        "responses": Table(
            "agency_responses",
            t("responses_heading"),
            (
                Column("proposal", t("col_proposal"), link_key="url"),
                Column("agency", t("col_agency")),
                Column("passed", t("col_passed")),
                Column("deadline", t("col_deadline")),
                Column("responded", t("col_responded")),
                Column("days_taken", t("col_days_taken"), numeric=True),
                Column("state", t("col_state")),
            ),
            tuple(response_rows),
            ("uuid", "state_key", "overdue_days"),
        ),
        "agencies": Table(
            "agencies",
            t("by_agency_heading"),
            (
                Column("agency", t("col_agency")),
                Column("passed", t("col_passed_n"), numeric=True),
                Column("responded", t("col_responded_n"), numeric=True),
                Column("on_time", t("col_on_time_n"), numeric=True),
                Column("overdue", t("col_overdue_n"), numeric=True),
                Column("median_days", t("col_median_days"), numeric=True),
            ),
            tuple(agency_rows),
        ),
    }
    charted = sorted(
        (p for p in proposals if len(history.get(p.uuid, [])) >= 2),
        key=lambda p: (-p.endorse_count, p.uuid),
    )[:HISTORY_CHART_PROPOSALS]
    history_svg = ""
    if with_charts and charted:
        history_svg = charts.history_chart(
            [
                (
                    p.title[:18],
                    [(to_taipei(o, naive_is_utc=True), c) for o, c in history[p.uuid]],
                )
                for p in charted
            ],
            t("chart_history"),
            t("col_endorse"),
        )
    return ProposalStats(as_of, momentum_from, momentum_to, goal, tables, states, history_svg)


def _minutes(moment: datetime | None) -> str:
    return moment.isoformat(timespec="minutes") if moment else ""


__all__ = [
    "NEAR_DAYS",
    "NEAR_SHARE",
    "ProposalStats",
    "add_months",
    "build_proposal_stats",
    "days_left_words",
    "gained_within",
    "response_deadline",
    "status_name",
]
