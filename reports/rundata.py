"""Everything a report reads about one stored analysis run, loaded once through ``storage.report_queries``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from joinfeedback.errors import UserError
from reports.model import day_of
from storage import report_queries as rq


@dataclass(frozen=True, slots=True)
class RunData:
    run: rq.RunInfo
    previous: rq.RunInfo | None
    commitments: tuple[rq.CommitmentRow, ...]
    assignments: tuple[rq.AssignmentRow, ...]
    clusters: tuple[rq.ClusterRow, ...]
    campaigns: tuple[rq.CampaignRow, ...]
    previous_cluster_sizes: dict[str, int]
    new_item_keys: frozenset[rq.ItemKey]
    kind_of: dict[str, str]  # item_id → kind, to resolve bare representative ids
    days: Counter[date]
    first_at: datetime | None
    last_at: datetime | None
    stored_counts: dict[str, int]
    agency_replies: tuple[rq.AgencyReplyRow, ...] = ()  # shown as such, never counted or quoted

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.commitments]


def is_unique(row: rq.AssignmentRow) -> bool:
    """An item counts as its own argument unless it duplicates another one (a campaign counts once)."""
    return row.duplicate_of is None or row.duplicate_of == row.item_id


def load_run(session: Session) -> RunData:
    run = rq.latest_complete_run(session)
    if run is None:
        raise UserError("no complete analysis run in the database: run `joinfeedback analyze` first")
    previous = rq.previous_complete_run(session, run.id)
    agency_replies = tuple(rq.agency_replies(session))
    agency_ids = {reply.msg_uid for reply in agency_replies}
    # Runs made before agency replies were told apart analysed them too: they are not public input.
    rows = tuple(r for r in rq.assignments(session, run.id) if not _is_agency(r.kind, r.item_id, agency_ids))
    if not rows:
        raise UserError(f"analysis run #{run.id} is complete but holds no assignments: re-run the analysis")
    commitment_rows = rq.commitments(session, run.catalogue)
    known = {c.code for c in commitment_rows}
    used = sorted({r.commitment_code for r in rows if r.commitment_code and r.commitment_code not in known})
    # An assignment to a code the catalogue table lacks still deserves a page rather than vanishing.
    commitment_rows += [rq.CommitmentRow(code, code, "", 10_000 + n) for n, code in enumerate(used)]
    if previous is not None:
        previous_keys = rq.item_keys(session, previous.id)
        new_keys = frozenset((r.kind, r.item_id) for r in rows) - previous_keys
        previous_sizes = rq.cluster_sizes(session, previous.id)
    else:
        new_keys, previous_sizes = frozenset(), {}
    dates = {
        key: moment
        for key, moment in rq.run_item_dates(session, run.id).items()
        if not _is_agency(*key, agency_ids)
    }
    days: Counter[date] = Counter()
    for moment in dates.values():
        day = day_of(moment)
        if day:
            days[day] += 1
    return RunData(
        run=run,
        previous=previous,
        commitments=tuple(commitment_rows),
        assignments=rows,
        clusters=tuple(rq.clusters(session, run.id)),
        campaigns=tuple(rq.campaigns(session, run.id)),
        previous_cluster_sizes=previous_sizes,
        new_item_keys=new_keys,
        kind_of={r.item_id: r.kind for r in rows},
        days=days,
        first_at=min(dates.values(), default=None),
        last_at=max(dates.values(), default=None),
        stored_counts=rq.counts(session),
        agency_replies=agency_replies,
    )


def _is_agency(kind: str, item_id: str, agency_ids: set[str]) -> bool:
    return kind == "comment" and item_id in agency_ids


__all__ = ["RunData", "is_unique", "load_run"]
