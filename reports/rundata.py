"""Everything a report reads about one stored analysis run, loaded once through ``storage.queries``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy.orm import Session

from base.errors import UserError
from reports.model import day_of
from storage.queries import consultations as consultation_queries
from storage.queries import items as item_queries
from storage.queries import runs as run_queries
from storage.queries.consultations import AgencyReplyRow, PolicyRow
from storage.queries.items import ItemKey
from storage.queries.runs import CommitmentRow, RunInfo
from storage.run_rows import StoredAssignment, StoredCampaign, StoredCluster
from storage.scope import EVERYTHING, ItemScope


@dataclass(frozen=True, slots=True)
class Steering:
    """What a facilitator's examples did: how many the run was given (``examples``: item id → commitment
    code or ``none``, from its manifest), and of the items in scope that the previous complete run placed
    too (``compared``), how many it placed differently (``moved``: another status or commitment)."""

    examples: dict[str, str]
    previous_run_id: int | None
    compared: int
    moved: int


def run_examples(manifest: Mapping[str, object]) -> dict[str, str]:
    """The examples a run was given, as its manifest records them (none for a run without)."""
    recorded = manifest.get("examples")
    placed = recorded.get("placed") if isinstance(recorded, Mapping) else None
    if not isinstance(placed, Mapping):
        return {}
    return {str(item_id): str(code) for item_id, code in placed.items()}


@dataclass(frozen=True, slots=True)
class RunData:
    run: RunInfo
    previous: RunInfo | None
    commitments: tuple[CommitmentRow, ...]
    assignments: tuple[StoredAssignment, ...]
    clusters: tuple[StoredCluster, ...]
    campaigns: tuple[StoredCampaign, ...]
    previous_cluster_sizes: dict[str, int]
    new_item_keys: frozenset[ItemKey]
    kind_of: dict[str, str]  # item_id → kind, to resolve bare representative ids
    days: Counter[date]
    first_at: datetime | None
    last_at: datetime | None
    stored_counts: dict[str, int]
    agency_replies: tuple[AgencyReplyRow, ...] = ()  # shown as such, never counted or quoted
    dates: dict[ItemKey, datetime] = field(default_factory=dict)  # when each item was written
    engagement: dict[ItemKey, tuple[int, int]] = field(default_factory=dict)  # (likes, endorsements)
    scope: ItemScope = EVERYTHING
    policies: tuple[PolicyRow, ...] = ()  # the consultations with items in scope
    policy_of: dict[str, str] = field(default_factory=dict)  # comment msg_uid → consultation uuid
    steering: Steering | None = None

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.commitments]


def is_unique(row: StoredAssignment) -> bool:
    """An item counts as its own argument unless it duplicates another one (a campaign counts once)."""
    return row.duplicate_of is None or row.duplicate_of == row.item_id


def _in_scope(
    clusters: list[StoredCluster],
    campaigns: list[StoredCampaign],
    rows: tuple[StoredAssignment, ...],
) -> tuple[list[StoredCluster], list[StoredCampaign]]:
    """Themes and campaigns counted over the items in scope: sizes are recounted (nothing is re-analysed),
    quotes come from items in scope, and a theme or campaign with none of them is left out."""
    members: dict[str, list[str]] = {}
    in_campaign: Counter[str] = Counter()
    for row in rows:
        if row.cluster_key:
            members.setdefault(row.cluster_key, []).append(row.item_id)
        if row.campaign_key:
            in_campaign[row.campaign_key] += 1
    scoped_clusters = []
    for c in clusters:
        ids = members.get(c.cluster_key, [])
        if not ids:
            continue
        present = set(ids)
        reps = [r for r in c.representative_ids if str(r) in present]
        reps += [i for i in ids if i not in set(map(str, reps))][: max(0, 3 - len(reps))]
        scoped_clusters.append(
            replace(
                c, size=len(ids), representative_ids=tuple(reps), is_minority=c.is_minority and len(ids) == 1
            )
        )
    scoped_clusters.sort(key=lambda c: (-c.size, c.cluster_key))
    scoped_campaigns = [
        replace(c, size=in_campaign[c.campaign_key]) for c in campaigns if in_campaign[c.campaign_key]
    ]
    return scoped_clusters, scoped_campaigns


def with_unlisted_commitments(
    catalogue: list[CommitmentRow], rows: Iterable[StoredAssignment]
) -> list[CommitmentRow]:
    """The catalogue, plus a bare entry for each code the run assigned to that the catalogue table lacks:
    an assignment to such a code still deserves a page rather than vanishing."""
    known = {c.code for c in catalogue}
    used = sorted({r.commitment_code for r in rows if r.commitment_code and r.commitment_code not in known})
    return catalogue + [CommitmentRow(code, code, "", 10_000 + n) for n, code in enumerate(used)]


def daily_counts(dates: Iterable[datetime]) -> Counter[date]:
    """Items written per day, Taipei time."""
    days: Counter[date] = Counter()
    for moment in dates:
        day = day_of(moment)
        if day:
            days[day] += 1
    return days


@dataclass(frozen=True, slots=True)
class _ScopedRun:
    """A run's public items in the report's scope, with their themes and campaigns recounted."""

    rows: tuple[StoredAssignment, ...]
    clusters: list[StoredCluster]
    campaigns: list[StoredCampaign]


def _scoped_run(
    session: Session, run: RunInfo, scope: ItemScope, agency_ids: set[str], policy_of: Mapping[str, str]
) -> _ScopedRun:
    # Runs made before agency replies were told apart analysed them too: they are not public input.
    rows = tuple(
        r for r in run_queries.assignments(session, run.id) if not _is_agency(r.kind, r.item_id, agency_ids)
    )
    if not rows:
        raise UserError(f"analysis run #{run.id} is complete but holds no assignments: re-run the analysis")
    clusters, campaigns = (
        list(run_queries.clusters(session, run.id)),
        list(run_queries.campaigns(session, run.id)),
    )
    if scope.is_everything:
        return _ScopedRun(rows, clusters, campaigns)
    dates = item_queries.run_item_dates(session, run.id)
    rows = tuple(
        r for r in rows if scope.admits(r.kind, policy_of.get(r.item_id), dates.get((r.kind, r.item_id)))
    )
    if not rows:
        raise scope.nothing(f"item of analysis run #{run.id}", "no report written")
    return _ScopedRun(rows, *_in_scope(clusters, campaigns, rows))


def _changes_since(
    session: Session, run: RunInfo, previous: RunInfo | None, rows: Iterable[StoredAssignment]
) -> tuple[frozenset[ItemKey], dict[str, int], Steering]:
    """The items not in the previous complete run, that run's theme sizes, and how many items it placed
    differently."""
    examples = run_examples(run.manifest)
    if previous is None:
        return frozenset(), {}, Steering(examples, None, 0, 0)
    before = run_queries.placements(session, previous.id)
    now = {(r.kind, r.item_id): (r.status, r.commitment_code) for r in rows}
    common = now.keys() & before.keys()
    moved = sum(1 for key in common if now[key] != before[key])
    steering = Steering(examples, previous.id, len(common), moved)
    return frozenset(now.keys() - before.keys()), run_queries.cluster_sizes(session, previous.id), steering


def report_scope(run: RunInfo, asked: ItemScope | None) -> ItemScope:
    """What a report of ``run`` covers: the run's own scope (its manifest's), narrowed by ``asked``."""
    described = run.manifest.get("scope")
    analysed = ItemScope.described(described if isinstance(described, dict) else {})
    if asked is None:
        return analysed
    both = asked.within(analysed)
    if both is None:
        raise asked.nothing(
            f"item of analysis run #{run.id}", f"the run analysed only {analysed.flags()}; no report written"
        )
    return both


def load_run(session: Session, asked: ItemScope | None = None) -> RunData:
    """The latest complete run, in the scope ``asked`` (``None``: the scope the run was analysed in)."""
    run = run_queries.latest_complete_run(session)
    if run is None:
        raise UserError("no complete analysis run in the database: run `joinfeedback analyze` first")
    scope = report_scope(run, asked)
    previous = run_queries.previous_complete_run(session, run.id)
    agency_replies = tuple(consultation_queries.agency_replies(session))
    agency_ids = {reply.msg_uid for reply in agency_replies}
    policy_of = item_queries.run_comment_policies(session, run.id)
    scoped = _scoped_run(session, run, scope, agency_ids, policy_of)
    rows = scoped.rows
    used_policies = {policy_of[r.item_id] for r in rows if r.kind == "comment" and r.item_id in policy_of}
    new_keys, previous_sizes, steering = _changes_since(session, run, previous, rows)
    # When each item of the run was written (every public item of the run, whatever the scope).
    dates = {
        key: moment
        for key, moment in item_queries.run_item_dates(session, run.id).items()
        if not _is_agency(*key, agency_ids)
    }
    return RunData(
        run=run,
        previous=previous,
        commitments=tuple(with_unlisted_commitments(run_queries.commitments(session, run.catalogue), rows)),
        assignments=rows,
        clusters=tuple(scoped.clusters),
        campaigns=tuple(scoped.campaigns),
        previous_cluster_sizes=previous_sizes,
        new_item_keys=new_keys,
        kind_of={r.item_id: r.kind for r in rows},
        days=daily_counts(dates.values()),
        first_at=min(dates.values(), default=None),
        last_at=max(dates.values(), default=None),
        stored_counts=consultation_queries.counts(session),
        agency_replies=agency_replies,
        dates=dates,
        engagement=item_queries.run_item_engagement(session, run.id),
        scope=scope,
        policies=tuple(p for p in consultation_queries.policies(session) if p.uuid in used_policies),
        policy_of=policy_of,
        steering=steering,
    )


def _is_agency(kind: str, item_id: str, agency_ids: set[str]) -> bool:
    return kind == "comment" and item_id in agency_ids


__all__ = [
    "RunData",
    "Steering",
    "daily_counts",
    "is_unique",
    "load_run",
    "run_examples",
    "with_unlisted_commitments",
]
