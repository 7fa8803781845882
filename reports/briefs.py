"""Per-commitment workshop briefs, from a stored run (nothing is recomputed here)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from reports import charts
from reports.agency_replies import agency_reply_table, replies_by_commitment
from reports.alignment import alignment_table
from reports.charts import Chart, Drawer, draw_here
from reports.i18n import Translator
from reports.model import SMALL_N, Brief, CampaignView, Changes, Table, Theme, fmt_day
from reports.overview import slug
from reports.proposals import ProposalStats
from reports.quotes import QuoteBook
from reports.rundata import RunData, daily_counts
from reports.themes import quoted_refs, theme_table, theme_view
from storage.items import ItemKey
from storage.queries import exports as export_queries
from storage.queries.consultations import AgencyReplyRow
from storage.queries.runs import CommitmentRow
from storage.run_rows import StoredAssignment, StoredCampaign, StoredCluster
from storage.scope import taipei_day

# Bounds that keep every page small whatever the corpus size.
MAX_THEMES = 8
QUOTES_PER_THEME = 3
MAX_MINORITY = 5
QUOTES_PER_MINORITY = 2
MAX_CAMPAIGNS = 5
NEW_QUOTES = 3


LOW_CONFIDENCE = 0.5  # calibrated confidence: below it, an item is more likely misplaced than not


def campaign_codes(data: RunData) -> dict[str, str | None]:
    """Each campaign's commitment: as stored, else the commitment most of its members were assigned to."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for row in data.assignments:
        if row.campaign_key and row.commitment_code:
            votes[row.campaign_key][row.commitment_code] += 1
    return {
        c.campaign_key: c.commitment_code
        or (votes[c.campaign_key].most_common(1)[0][0] if votes[c.campaign_key] else None)
        for c in data.campaigns
    }


def weekly_counts(moments: Iterable[datetime | None]) -> dict[date, int]:
    """Submissions per week (keyed by the week's Monday, Taipei time), every week from the first to the
    last present so that quiet weeks show as zero."""
    return weeks_of(daily_counts(moments))


def weeks_of(days: Mapping[date, int]) -> dict[date, int]:
    """Items per day (Taipei) counted by week, as :func:`weekly_counts` counts them."""
    counts: Counter[date] = Counter()
    for day, n in days.items():  # each day's items counted first: a few hundred days
        counts[day - timedelta(days=day.weekday())] += n
    if not counts:
        return {}
    week, last, out = min(counts), max(counts), {}
    while week <= last:
        out[week] = counts.get(week, 0)
        week += timedelta(days=7)
    return out


@dataclass(frozen=True, slots=True)
class BriefInputs:
    """What every brief reads from the run, grouped once."""

    assigned: dict[str, list[StoredAssignment]]  # commitment code → the items assigned to it
    new: dict[str, list[StoredAssignment]]  # commitment code → those not in the previous run
    proposals: dict[str, set[str]]  # commitment code → the uuids of the proposals assigned to it
    clusters: dict[str, list[StoredCluster]]  # scope (a commitment code, or "none") → its themes
    campaign_codes: dict[str, str | None]
    answers: dict[str, list[Mapping[str, object]]]  # idea uuid → the agency's responses to it
    replies: dict[str, list[AgencyReplyRow]]  # commitment code → agency replies to its comments
    total: int  # items in the report's scope
    uncertain_share: int  # percent of them the analysis could not place


def brief_inputs(data: RunData, responses: Iterable[Mapping[str, object]]) -> BriefInputs:
    """Grouped in one pass over the run's items, in the order they were read (and lie in memory): a
    commitment's items, read again apart, lie scattered among them."""
    assigned: dict[str, list[StoredAssignment]] = defaultdict(list)
    new: dict[str, list[StoredAssignment]] = defaultdict(list)
    proposals: dict[str, set[str]] = defaultdict(set)
    new_keys = data.new_item_keys
    for row in data.assignments:
        if row.status == "assigned" and (code := row.commitment_code):
            assigned[code].append(row)
            if row.key in new_keys:
                new[code].append(row)
            if row.kind == "idea":
                proposals[code].add(row.item_id)
    clusters: dict[str, list[StoredCluster]] = defaultdict(list)
    for cluster in data.clusters:
        clusters[cluster.scope].append(cluster)
    answers: dict[str, list[Mapping[str, object]]] = defaultdict(list)
    for record in responses:
        answers[str(record["idea_uuid"])].append(record)
    total = len(data.assignments)
    uncertain = sum(r.status == "uncertain" for r in data.assignments)
    return BriefInputs(
        assigned,
        new,
        proposals,
        clusters,
        campaign_codes(data),
        answers,
        replies_by_commitment(data),
        total,
        round(100 * uncertain / max(1, total)),
    )


@dataclass(frozen=True, slots=True)
class CommitmentSelection:
    """A commitment's items, and the themes, campaigns and new items its brief shows (bounded)."""

    rows: list[StoredAssignment]
    major: list[StoredCluster]
    minor: list[StoredCluster]
    support: int  # items with no argument: counted, never a theme
    campaigns: list[StoredCampaign]
    new_rows: list[StoredAssignment]  # items not in the previous run
    new_keys: list[ItemKey]  # the new unique items quoted under "what changed"


def select_for_commitment(data: RunData, inputs: BriefInputs, code: str) -> CommitmentSelection:
    rows = inputs.assigned.get(code, [])
    clusters = inputs.clusters.get(code, [])
    arguments = [c for c in clusters if not c.is_support]
    campaigns = [c for c in data.campaigns if inputs.campaign_codes.get(c.campaign_key) == code]
    new_rows = inputs.new.get(code, [])
    return CommitmentSelection(
        rows=rows,
        major=[c for c in arguments if not c.is_minority][:MAX_THEMES],
        minor=[c for c in arguments if c.is_minority][:MAX_MINORITY],
        support=sum(c.size for c in clusters if c.is_support),
        campaigns=campaigns[:MAX_CAMPAIGNS],
        new_rows=new_rows,
        new_keys=[r.key for r in new_rows if r.is_unique][:NEW_QUOTES],
    )


def _exemplar_key(data: RunData, campaign: StoredCampaign) -> ItemKey | None:
    return data.refs.find(campaign.exemplar_item_id)


def quoted_keys(data: RunData, chosen: CommitmentSelection) -> list[ItemKey]:
    """Every item the brief quotes: its themes', its campaigns' exemplars and its new items."""
    wanted = [k for c in chosen.major for k in quoted_refs(data, c, QUOTES_PER_THEME)]
    wanted += [k for c in chosen.minor for k in quoted_refs(data, c, QUOTES_PER_MINORITY)]
    wanted += [key for c in chosen.campaigns if (key := _exemplar_key(data, c))]
    return wanted + chosen.new_keys


@dataclass(frozen=True, slots=True)
class CommitmentFigures:
    raw: int
    unique: int
    share_of_all: float
    campaign_items: int
    median_confidence: float | None
    low_confidence_share: float | None
    likes: int
    endorsements: int
    weeks: dict[date, int]  # submissions per week


def commitment_figures(rows: Sequence[StoredAssignment], total: int) -> CommitmentFigures:
    """A commitment's figures, its rows read in one pass, not one pass a figure: they lie scattered among
    the run's items, so that each pass over them waits on memory for nearly every row."""
    confidences: list[float] = []
    unique = campaign_items = likes = endorsements = 0
    days: Counter[date] = Counter()
    for row in rows:
        confidences.append(row.confidence)
        if row.duplicate_of is None or row.is_unique:  # no property call for most
            unique += 1
        if row.campaign_key:
            campaign_items += 1
        likes += row.likes
        endorsements += row.endorsements
        day = taipei_day(row.created_at)
        if day is not None:  # an item without a time is in no week
            days[day] += 1
    return CommitmentFigures(
        raw=len(rows),
        unique=unique,
        share_of_all=round(len(rows) / max(1, total), 4),
        campaign_items=campaign_items,
        median_confidence=round(statistics.median(confidences), 3) if confidences else None,
        low_confidence_share=(
            round(sum(c < LOW_CONFIDENCE for c in confidences) / len(confidences), 3) if confidences else None
        ),
        likes=likes,
        endorsements=endorsements,
        weeks=weeks_of(days),
    )


# Presentation: a brief's themes, quotes, tables and trend chart.


def _campaign_views(
    data: RunData, book: QuoteBook, campaigns: Iterable[StoredCampaign], code: str
) -> tuple[CampaignView, ...]:
    return tuple(
        CampaignView(
            c.campaign_key,
            c.size,
            fmt_day(c.first_at),
            fmt_day(c.last_at),
            c.is_burst,
            code,
            book.get(_exemplar_key(data, c)),
        )
        for c in campaigns
    )


def _trend_chart(weeks: dict[date, int], code: str, t: Translator, draw: Drawer) -> Chart:
    return draw(
        charts.time_chart,
        list(weeks),
        list(weeks.values()),
        t("chart_weekly", code=code),
        t("chart_count"),
        width=7,
    )


@dataclass(frozen=True, slots=True)
class _BriefParts:
    """What a brief shows beyond its figures, ready to present."""

    themes: tuple[Theme, ...]
    minority: tuple[Theme, ...]
    campaigns: tuple[CampaignView, ...]
    responses: Table
    replies: Table
    alignment: Table
    unaddressed: list[Theme]
    changes: Changes


def _brief_parts(
    data: RunData,
    book: QuoteBook,
    inputs: BriefInputs,
    responses: Table,
    code: str,
    chosen: CommitmentSelection,
    t: Translator,
) -> _BriefParts:
    raw = len(chosen.rows)
    themes = tuple(theme_view(data, book, c, raw, QUOTES_PER_THEME) for c in chosen.major)
    minority = tuple(theme_view(data, book, c, raw, QUOTES_PER_MINORITY) for c in chosen.minor)
    idea_ids = inputs.proposals.get(code, set())
    related = tuple(r for r in responses.rows if r["uuid"] in idea_ids)
    name = slug(code)
    alignment, unaddressed = alignment_table(f"{name}-alignment", themes, related, inputs.answers, t)
    return _BriefParts(
        themes=themes,
        minority=minority,
        campaigns=_campaign_views(data, book, chosen.campaigns, code),
        responses=Table(f"{name}-responses", t("related_responses_heading"), responses.columns, related),
        replies=agency_reply_table(
            f"{name}-agency-replies", t("related_agency_replies_heading"), inputs.replies.get(code, ()), t
        ),
        alignment=alignment,
        unaddressed=unaddressed,
        changes=Changes(
            data.previous.id if data.previous else None,
            len(chosen.new_rows),
            tuple(q for q in (book.get(k) for k in chosen.new_keys) if q),
            tuple((th.label, th.delta) for th in themes + minority),
        ),
    )


def _brief(
    commitment: CommitmentRow,
    figures: CommitmentFigures,
    parts: _BriefParts,
    support: int,
    uncertain_share: int,
    t: Translator,
    trend_chart: Chart | None,
) -> Brief:
    code, themes, minority = commitment.code, parts.themes, parts.minority
    questions, prompts = _questions_and_prompts(
        t,
        themes,
        minority,
        parts.campaigns,
        parts.responses.rows,
        figures.unique,
        uncertain_share,
        parts.unaddressed,
    )
    return Brief(
        code=code,
        slug=slug(code),
        title=t.commitment_title(commitment.title),
        description=commitment.description,
        raw=figures.raw,
        unique=figures.unique,
        share_of_all=figures.share_of_all,
        campaign_items=figures.campaign_items,
        median_confidence=figures.median_confidence,
        low_confidence_share=figures.low_confidence_share,
        small_n=figures.unique < SMALL_N,
        themes=themes,
        minority=minority,
        campaigns=parts.campaigns,
        responses=parts.responses,
        questions=questions,
        prompts=prompts,
        changes=parts.changes,
        tables=(
            theme_table(f"{slug(code)}-themes", t("themes_heading"), themes + minority, t),
            parts.responses,
            parts.alignment,
            parts.replies,
        ),
        agency_replies=parts.replies,
        support=support,
        likes=figures.likes,
        endorsements=figures.endorsements,
        trend_chart=trend_chart,
    )


def build_briefs(
    session: Session,
    data: RunData,
    book: QuoteBook,
    proposals: ProposalStats,
    t: Translator,
    *,
    with_charts: bool = True,
    draw: Drawer = draw_here,
) -> list[Brief]:
    inputs = brief_inputs(data, export_queries.export_responses(session))
    briefs = []
    for commitment in data.commitments:
        chosen = select_for_commitment(data, inputs, commitment.code)
        book.load(session, quoted_keys(data, chosen))
        figures = commitment_figures(chosen.rows, inputs.total)
        parts = _brief_parts(data, book, inputs, proposals.tables["responses"], commitment.code, chosen, t)
        trend = (
            _trend_chart(figures.weeks, commitment.code, t, draw) if with_charts and figures.weeks else None
        )
        briefs.append(_brief(commitment, figures, parts, chosen.support, inputs.uncertain_share, t, trend))
    return briefs


def _questions_and_prompts(
    t: Translator,
    themes: Sequence[Theme],
    minority: Sequence[Theme],
    campaigns: Sequence[CampaignView],
    related: Sequence[Mapping[str, object]],
    unique: int,
    uncertain_share: int,
    unaddressed: Sequence[Theme] = (),
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Workshop questions and prompts: fixed templates filled with computed values only. The questions
    start from the themes the agency's responses did not address."""
    questions = [t("q_not_addressed", theme=th.label, size=th.size) for th in unaddressed[:2]]
    asked = {th.key for th in unaddressed[:2]}
    questions += [t("q_top_theme", theme=th.label, size=th.size) for th in themes[:2] if th.key not in asked]
    questions += [t("q_campaign", size=c.size) for c in campaigns[:1]]
    questions += [
        t("q_overdue", proposal=r["proposal"], days=r["overdue_days"])
        for r in related
        if r.get("state_key") == "overdue"
    ][:2]
    if unique < SMALL_N:
        questions.append(t("q_small_n", n=unique))
    prompts = []
    if themes:
        prompts.append(t("p_top_theme", theme=themes[0].label, share=round(100 * themes[0].share)))
    if minority:
        prompts.append(t("p_minority", theme=minority[0].label, size=minority[0].size))
    growing = sorted((th for th in themes if th.delta and th.delta > 0), key=lambda th: -(th.delta or 0))
    if growing:
        prompts.append(t("p_growth", theme=growing[0].label, delta=growing[0].delta))
    if uncertain_share:
        prompts.append(t("p_uncertain", share=uncertain_share))
    prompts.append(t("p_default", n=unique))
    return tuple(questions), tuple(prompts)


__all__ = [
    "BriefInputs",
    "CommitmentFigures",
    "CommitmentSelection",
    "brief_inputs",
    "build_briefs",
    "campaign_codes",
    "commitment_figures",
    "quoted_keys",
    "select_for_commitment",
    "weekly_counts",
]
