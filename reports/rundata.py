"""Everything a report reads about one stored analysis run, loaded once through ``storage.queries``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from itertools import islice
from operator import attrgetter, le

from sqlalchemy.orm import Session

from base.errors import UserError
from base.forked import ChildFailed
from reports.reading_apart import assignments_apart, changes_apart
from storage.items import ItemIndex, ItemKey
from storage.queries import consultations as consultation_queries
from storage.queries import runs as run_queries
from storage.queries.consultations import AgencyReplyRow, PolicyRow
from storage.queries.runs import CommitmentRow, RunInfo
from storage.run_rows import StoredAssignment, StoredCampaign, StoredCluster
from storage.scope import EVERYTHING, ItemScope, taipei_day


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
    """A run as one report shows it: every figure, table and chart reads the items in ``scope`` only."""

    run: RunInfo
    previous: RunInfo | None
    commitments: tuple[CommitmentRow, ...]
    assignments: tuple[StoredAssignment, ...]  # the run's items of public input in the scope
    clusters: tuple[StoredCluster, ...]
    campaigns: tuple[StoredCampaign, ...]
    previous_cluster_sizes: dict[str, int]
    new_item_keys: frozenset[ItemKey]
    refs: ItemIndex  # resolves the run's stored references (representatives, exemplars) to its items
    days: Counter[date]
    first_at: datetime | None
    last_at: datetime | None
    stored_counts: dict[str, int]
    agency_replies: tuple[AgencyReplyRow, ...] = ()  # shown as such, never counted or quoted
    scope: ItemScope = EVERYTHING
    policies: tuple[PolicyRow, ...] = ()  # the consultations with items in scope
    # item → its argument (see argument_of), for the items whose argument is not their own (a campaign's
    # copies, near-duplicates): every other item makes its own (``argument``)
    arguments: dict[ItemKey, str] = field(default_factory=dict)
    members: dict[str, tuple[ItemKey, ...]] = field(default_factory=dict)  # theme → its items in scope
    argument_sizes: Counter[str] = field(default_factory=Counter)  # argument → its items in scope, if > 1
    steering: Steering | None = None

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.commitments]

    def argument(self, key: ItemKey) -> str:
        """The argument the item ``key`` makes (``argument_of``)."""
        return self.arguments.get(key) or f"item {key.text}"

    def copies(self, key: ItemKey) -> int:
        """How many items in scope make the argument ``key`` makes (its campaign, or its near-duplicates)."""
        return self.argument_sizes.get(self.argument(key), 1)


def argument_of(row: StoredAssignment, refs: ItemIndex) -> str:
    """The argument an item makes, as one name for each distinct argument: a campaign's form letter is one
    argument whatever its copies, and so is a group of near-duplicates (named by its first item)."""
    if row.campaign_key:
        return f"campaign {row.campaign_key}"
    first = refs.find(row.duplicate_of) if row.duplicate_of else None
    return f"item {(first or row.key).text}"


def shared_arguments(
    rows: Sequence[StoredAssignment], refs: ItemIndex
) -> tuple[dict[ItemKey, str], Counter[str]]:
    """The argument of each item that does not make its own (``argument_of``: a campaign's copy, a
    near-duplicate), and how many items of ``rows`` make each such argument (the first item of a group of
    near-duplicates, which makes its own, counted with its copies): what ``RunData.arguments`` and
    ``argument_sizes`` hold, without a name for each of a million items that stands for itself."""
    shared: dict[ItemKey, str] = {}
    firsts: set[ItemKey] = set()
    for row in rows:
        if row.campaign_key:
            shared[row.key] = f"campaign {row.campaign_key}"
        elif row.duplicate_of and (first := refs.find(row.duplicate_of)) and first != row.key:
            shared[row.key] = f"item {first.text}"
            firsts.add(first)
    sizes = Counter(shared.values())
    if firsts:
        sizes.update(f"item {row.key.text}" for row in rows if row.key in firsts and row.key not in shared)
    return shared, sizes


def theme_members(rows: Iterable[StoredAssignment]) -> dict[str, tuple[ItemKey, ...]]:
    """Each theme's items, most confident first (the order in which quotes beyond its representatives are
    drawn)."""
    rows = list(rows)
    keys = [row.key for row in rows]
    # the run's items come in key order (``queries.runs.assignments``) wherever the database sorts text as
    # Python does (SQLite does; PostgreSQL's collation may not): a theme's items are then in key order too
    in_key_order = all(map(le, keys, islice(keys, 1, None)))
    members: dict[str, list[StoredAssignment]] = {}
    for row in rows:
        if row.cluster_key:
            members.setdefault(row.cluster_key, []).append(row)
    for rows_of in members.values():
        # by (-confidence, key) in two stable sorts: no tuple made per item
        if not in_key_order:
            rows_of.sort(key=attrgetter("key"))
        rows_of.sort(key=attrgetter("confidence"), reverse=True)
    return {key: tuple(r.key for r in rows_of) for key, rows_of in members.items()}


def is_unique(row: StoredAssignment) -> bool:
    """An item counts as its own argument unless it duplicates another one (a campaign counts once)."""
    return row.is_unique


def _in_scope(
    clusters: list[StoredCluster],
    campaigns: list[StoredCampaign],
    rows: tuple[StoredAssignment, ...],
    refs: ItemIndex,
) -> tuple[list[StoredCluster], list[StoredCampaign]]:
    """Themes and campaigns counted over the items in scope: sizes are recounted (nothing is re-analysed),
    representatives are those in scope, and a theme or campaign with none of them is left out."""
    members: dict[str, list[ItemKey]] = {}
    in_campaign: Counter[str] = Counter()
    for row in rows:
        if row.cluster_key:
            members.setdefault(row.cluster_key, []).append(row.key)
        if row.campaign_key:
            in_campaign[row.campaign_key] += 1
    scoped_clusters = []
    for c in clusters:
        keys = members.get(c.cluster_key, [])
        if not keys:
            continue
        present = set(keys)
        # its representatives in scope; reports.themes.quoted_refs draws further quotes from its items
        reps = [key for ref in c.representative_ids if (key := refs.find(str(ref))) in present]
        scoped_clusters.append(
            replace(
                c,
                size=len(keys),
                representative_ids=tuple(key.text for key in reps),
                is_minority=c.is_minority and len(keys) == 1,
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


def daily_counts(moments: Iterable[datetime | None]) -> Counter[date]:
    """Items written per day, Taipei time (an item without a time is not counted)."""
    return Counter(day for day in map(taipei_day, moments) if day is not None)


@dataclass(frozen=True, slots=True)
class _ScopedRun:
    """A run's public items in the report's scope, with their themes and campaigns recounted."""

    rows: tuple[StoredAssignment, ...]
    clusters: list[StoredCluster]
    campaigns: list[StoredCampaign]
    refs: ItemIndex


def _scoped_run(
    session: Session, run: RunInfo, scope: ItemScope, every: tuple[StoredAssignment, ...]
) -> _ScopedRun:
    """The run's items of public input (``every``) in ``scope``."""
    if not every:
        raise UserError(f"analysis run #{run.id} is complete but holds no assignments: re-run the analysis")
    refs = ItemIndex(row.key for row in every)
    clusters, campaigns = run_queries.clusters(session, run.id), run_queries.campaigns(session, run.id)
    if scope.is_everything:
        return _ScopedRun(every, clusters, campaigns, refs)
    rows = tuple(r for r in every if scope.admits(r.kind, r.policy_uuid, r.created_at))
    if not rows:
        raise scope.nothing(f"item of analysis run #{run.id}", "no report written")
    return _ScopedRun(rows, *_in_scope(clusters, campaigns, rows, refs), refs)


def _changes_since(
    session: Session,
    run: RunInfo,
    previous: RunInfo | None,
    rows: Sequence[StoredAssignment],
    changed: dict[ItemKey, bool],
) -> tuple[frozenset[ItemKey], dict[str, int], Steering]:
    """The items not in the previous complete run (``changed``: ``queries.runs.changes_since``), that run's
    theme sizes, and how many items it placed differently."""
    examples = run_examples(run.manifest)
    if previous is None:
        return frozenset(), {}, Steering(examples, None, 0, 0)
    new = frozenset(r.key for r in rows if changed.get(r.key) is True)
    moved = sum(1 for r in rows if changed.get(r.key) is False)
    steering = Steering(examples, previous.id, len(rows) - len(new), moved)
    return new, run_queries.cluster_sizes(session, previous.id), steering


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
    try:
        with changes_apart(session, run, previous) as changes, assignments_apart(session, run) as read:
            every = read()  # public input only
            changed = changes()
    except ChildFailed as exc:
        raise UserError(f"analysis run #{run.id} could not be read: {exc}; no report written") from exc
    scoped = _scoped_run(session, run, scope, every)
    rows = scoped.rows
    used_policies = {r.policy_uuid for r in rows if r.policy_uuid is not None}
    new_keys, previous_sizes, steering = _changes_since(session, run, previous, rows, changed)
    dates = [r.created_at for r in rows if r.created_at is not None]
    replies = consultation_queries.agency_replies(session)
    arguments, argument_sizes = shared_arguments(rows, scoped.refs)
    return RunData(
        run=run,
        previous=previous,
        commitments=tuple(with_unlisted_commitments(run_queries.commitments(session, run.catalogue), rows)),
        assignments=rows,
        clusters=tuple(scoped.clusters),
        campaigns=tuple(scoped.campaigns),
        previous_cluster_sizes=previous_sizes,
        new_item_keys=new_keys,
        refs=scoped.refs,
        days=daily_counts(dates),
        first_at=min(dates, default=None),
        last_at=max(dates, default=None),
        stored_counts=consultation_queries.counts(session),
        agency_replies=tuple(r for r in replies if scope.admits("comment", r.policy_uuid, r.created_at)),
        scope=scope,
        policies=tuple(p for p in consultation_queries.policies(session) if p.uuid in used_policies),
        arguments=arguments,
        members=theme_members(rows),
        argument_sizes=argument_sizes,
        steering=steering,
    )


__all__ = [
    "RunData",
    "Steering",
    "argument_of",
    "daily_counts",
    "is_unique",
    "load_run",
    "report_scope",
    "run_examples",
    "shared_arguments",
    "theme_members",
    "with_unlisted_commitments",
]
