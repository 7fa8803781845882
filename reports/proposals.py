"""Proposal (提點子) statistics: endorsements, momentum, near threshold or deadline, the 2-month rule."""

from __future__ import annotations

import calendar
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from reports import charts
from reports.charts import Chart, Drawer, draw_here
from reports.i18n import Translator
from reports.model import Column, Table, fmt_day, to_taipei
from storage.queries import proposals as proposal_queries
from storage.queries.proposals import ProposalRow, ResponseRow
from storage.scope import EVERYTHING, ItemScope

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
)  # the site's status codes (docs/site-shapes.md); each has a name in reports/i18n.py
AnswerState = Literal[
    "on_time", "late", "overdue", "pending"
]  # a passed proposal's answer, against its deadline
MOMENTUM_WINDOWS = (7, 30)  # days
HISTORY_CHART_PROPOSALS = 6  # proposals drawn in the endorsement-history chart


@dataclass(frozen=True, slots=True)
class ProposalStats:
    as_of: datetime | None
    momentum_from: datetime | None
    momentum_to: datetime | None
    goal: int
    tables: dict[str, Table]
    response_states: dict[str, AnswerState]  # idea uuid → state, for the briefs
    history_chart: Chart | None = None  # endorsements over time of the most endorsed proposals
    excluded_by_scope: bool = False  # the report's scope can hold no proposal (consultations, imported files)


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


def response_deadline(proposal: ProposalRow) -> datetime | None:
    """The site's own deadline when it states one, else two months after the proposal passed."""
    if proposal.response_due_at is not None:
        return to_taipei(proposal.response_due_at)
    passed = to_taipei(proposal.passed_at)
    return add_months(passed, 2) if passed else None


def first_formal_responses(responses: Iterable[ResponseRow]) -> dict[str, ResponseRow]:
    """Each proposal's first formal answer (responses come ordered by date; placeholders do not count)."""
    formal: dict[str, ResponseRow] = {}
    for response in responses:
        if not response.is_placeholder and response.responded_at is not None:
            formal.setdefault(response.idea_uuid, response)
    return formal


def usual_goal(proposals: Sequence[ProposalRow]) -> int:
    """The endorsement threshold most proposals have (the site's rule is 5,000)."""
    goals = [p.endorse_goal for p in proposals if p.endorse_goal]
    return statistics.mode(goals) if goals else 5000


@dataclass(frozen=True, slots=True)
class ProposalStanding:
    """One proposal's endorsements as of the last crawl."""

    proposal: ProposalRow
    due: datetime | None
    days_left: int | None  # negative once the endorsement period has ended
    progress: float  # share of the goal reached
    gained: int | None  # between the last two crawls
    gained_7d: int | None
    gained_30d: int | None

    @property
    def open_for_endorsement(self) -> bool:
        p = self.proposal
        return (
            p.passed_at is None
            and p.endorse_count < p.endorse_goal
            and (self.days_left is None or self.days_left >= 0)
        )

    @property
    def near_threshold_or_deadline(self) -> bool:
        """Open, and close to its goal or to the end of its endorsement period."""
        near_deadline = self.days_left is not None and self.days_left < NEAR_DAYS
        return self.open_for_endorsement and (self.progress >= NEAR_SHARE or near_deadline)


def proposal_standings(
    proposals: Iterable[ProposalRow],
    gained: Mapping[str, int],
    history: Mapping[str, list[tuple[datetime, int]]],
    as_of: datetime | None,
) -> list[ProposalStanding]:
    standings = []
    for p in proposals:
        due = to_taipei(p.endorse_due_at)
        snapshots = history.get(p.uuid, [])
        standings.append(
            ProposalStanding(
                proposal=p,
                due=due,
                days_left=(due - as_of).days if due and as_of else None,
                progress=round(p.endorse_count / p.endorse_goal, 4) if p.endorse_goal else 0.0,
                gained=gained.get(p.uuid),
                gained_7d=gained_within(snapshots, 7),
                gained_30d=gained_within(snapshots, 30),
            )
        )
    return standings


def fastest_growing(standings: Iterable[ProposalStanding]) -> list[ProposalStanding]:
    """Proposals that gained endorsements between the last two crawls, most gained first."""
    return sorted((s for s in standings if s.gained), key=lambda s: (-(s.gained or 0), s.proposal.uuid))


@dataclass(frozen=True, slots=True)
class ResponseTiming:
    """When a passed proposal was answered, against its deadline."""

    proposal: ProposalRow
    agency: str
    passed: datetime | None
    deadline: datetime | None
    answered_at: datetime | None
    days_taken: int | None
    state: AnswerState
    overdue_days: int | None


def response_timing(
    proposal: ProposalRow, answer: ResponseRow | None, as_of: datetime | None
) -> ResponseTiming:
    passed = to_taipei(proposal.passed_at)
    deadline = response_deadline(proposal)
    answered_at = to_taipei(answer.responded_at) if answer else None
    state: AnswerState
    if answered_at is not None:
        state = "on_time" if deadline is None or answered_at <= deadline else "late"
    else:
        state = "overdue" if deadline and as_of and as_of > deadline else "pending"
    return ResponseTiming(
        proposal=proposal,
        agency=proposal.agency or (answer.agency if answer else "") or "—",
        passed=passed,
        deadline=deadline,
        answered_at=answered_at,
        days_taken=(answered_at - passed).days if answered_at and passed else None,
        state=state,
        overdue_days=(as_of - deadline).days if state == "overdue" and deadline and as_of else None,
    )


def response_timings(
    proposals: Iterable[ProposalRow], formal: Mapping[str, ResponseRow], as_of: datetime | None
) -> list[ResponseTiming]:
    """Every proposal that passed its threshold, with its first formal answer if any."""
    return [response_timing(p, formal.get(p.uuid), as_of) for p in proposals if p.passed_at is not None]


def tally_agencies(timings: Iterable[ResponseTiming]) -> dict[str, AgencyTally]:
    per_agency: dict[str, AgencyTally] = defaultdict(AgencyTally)
    for timing in timings:
        tally = per_agency[timing.agency]
        tally.passed += 1
        if timing.answered_at is not None:
            tally.responded += 1
            if timing.days_taken is not None:
                tally.days.append(timing.days_taken)
        if timing.state == "on_time":
            tally.on_time += 1
        elif timing.state == "overdue":
            tally.overdue += 1
    return dict(sorted(per_agency.items()))


def charted_histories(
    proposals: Iterable[ProposalRow], history: Mapping[str, list[tuple[datetime, int]]]
) -> list[ProposalRow]:
    """The most endorsed proposals with at least two snapshots: the lines of the history chart."""
    return sorted(
        (p for p in proposals if len(history.get(p.uuid, [])) >= 2),
        key=lambda p: (-p.endorse_count, p.uuid),
    )[:HISTORY_CHART_PROPOSALS]


# Presentation: the tables and the chart of the proposals page.


def _proposal_columns(t: Translator) -> tuple[Column, ...]:
    return (
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


def _proposal_row(standing: ProposalStanding, t: Translator) -> dict[str, object]:
    p, days_left = standing.proposal, standing.days_left
    return {
        "proposal": p.title,
        "url": p.url,
        "status": status_name(p.status, t),
        "endorse": p.endorse_count,
        "goal": p.endorse_goal,
        "progress": standing.progress,
        "gained": standing.gained,
        "gained_7d": standing.gained_7d,
        "gained_30d": standing.gained_30d,
        "due": fmt_day(standing.due),
        "days_left_words": days_left_words(days_left, t),
        "days_left": days_left if days_left is None or days_left >= 0 else None,
        "status_code": p.status,
        "uuid": p.uuid,
    }


def _proposal_tables(standings: Sequence[ProposalStanding], t: Translator) -> dict[str, Table]:
    """The same columns over every proposal, the fastest growing, and those near the threshold or deadline."""
    columns = _proposal_columns(t)
    exported = ("uuid", "status_code", "days_left")

    def rows(selection: Iterable[ProposalStanding]) -> tuple[dict[str, object], ...]:
        return tuple(_proposal_row(s, t) for s in selection)

    momentum = fastest_growing(standings)[:TOP_MOMENTUM]
    near = [s for s in standings if s.near_threshold_or_deadline]
    return {
        "proposals": Table("proposals", t("proposals_heading"), columns, rows(standings), exported),
        "momentum": Table("momentum", t("momentum_heading"), columns, rows(momentum), exported),
        "near": Table("near_threshold_or_deadline", t("near_heading"), columns, rows(near), exported),
    }


def _history_table(
    proposals: Iterable[ProposalRow], history: Mapping[str, list[tuple[datetime, int]]], t: Translator
) -> Table:
    return Table(
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
    )


def _responses_table(timings: Iterable[ResponseTiming], t: Translator) -> Table:
    return Table(
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
        tuple(
            {
                "proposal": timing.proposal.title,
                "url": timing.proposal.url,
                "agency": timing.agency,
                "passed": fmt_day(timing.passed),
                "deadline": fmt_day(timing.deadline),
                "responded": fmt_day(timing.answered_at),
                "days_taken": timing.days_taken,
                "state": t(f"state_{timing.state}"),
                "state_key": timing.state,
                "overdue_days": timing.overdue_days,
                "uuid": timing.proposal.uuid,
            }
            for timing in timings
        ),
        ("uuid", "state_key", "overdue_days"),
    )


def _agencies_table(tallies: Mapping[str, AgencyTally], t: Translator) -> Table:
    return Table(
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
        tuple(
            {
                "agency": agency,
                "passed": tally.passed,
                "responded": tally.responded,
                "on_time": tally.on_time,
                "overdue": tally.overdue,
                "median_days": statistics.median(tally.days) if tally.days else None,
            }
            for agency, tally in tallies.items()
        ),
    )


def _history_chart(
    charted: Sequence[ProposalRow],
    history: Mapping[str, list[tuple[datetime, int]]],
    t: Translator,
    draw: Drawer,
) -> Chart:
    series = [
        (p.title[:18], [(to_taipei(o, naive_is_utc=True), c) for o, c in history[p.uuid]]) for p in charted
    ]
    return draw(charts.history_chart, series, t("chart_history"), t("col_endorse"))


def build_proposal_stats(
    session: Session,
    t: Translator,
    *,
    fallback_as_of: datetime | None,
    with_charts: bool = True,
    scope: ItemScope = EVERYTHING,
    draw: Drawer = draw_here,
) -> ProposalStats:
    """Every table and chart of the proposals page, over the proposals in ``scope`` (published in its
    period; none when it names consultations or only imported files: proposals belong to no consultation)."""
    proposals = [p for p in proposal_queries.proposals(session) if scope.admits("idea", None, p.published_at)]
    shown = {p.uuid for p in proposals}
    gained, momentum_from, momentum_to = proposal_queries.endorsement_momentum(session)
    history = {uuid: h for uuid, h in proposal_queries.endorsement_history(session).items() if uuid in shown}
    as_of = to_taipei(proposal_queries.site_clock_at_last_crawl(session) or fallback_as_of, naive_is_utc=True)
    responses = [r for r in proposal_queries.agency_responses(session) if r.idea_uuid in shown]
    formal = first_formal_responses(responses)

    standings = proposal_standings(proposals, gained, history, as_of)
    timings = response_timings(proposals, formal, as_of)
    charted = charted_histories(proposals, history)

    tables = _proposal_tables(standings, t)
    tables["history"] = _history_table(proposals, history, t)
    tables["responses"] = _responses_table(timings, t)
    tables["agencies"] = _agencies_table(tally_agencies(timings), t)
    history_chart = _history_chart(charted, history, t, draw) if with_charts and charted else None
    states = {timing.proposal.uuid: timing.state for timing in timings}
    excluded = bool(scope.policies) or scope.source == "imported"
    return ProposalStats(
        as_of, momentum_from, momentum_to, usual_goal(proposals), tables, states, history_chart, excluded
    )


def _minutes(moment: datetime | None) -> str:
    return moment.isoformat(timespec="minutes") if moment else ""


__all__ = [
    "NEAR_DAYS",
    "NEAR_SHARE",
    "AgencyTally",
    "ProposalStanding",
    "ProposalStats",
    "ResponseTiming",
    "add_months",
    "build_proposal_stats",
    "charted_histories",
    "days_left_words",
    "fastest_growing",
    "first_formal_responses",
    "gained_within",
    "proposal_standings",
    "response_deadline",
    "response_timing",
    "response_timings",
    "status_name",
    "tally_agencies",
    "usual_goal",
]
