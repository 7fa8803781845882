"""Per-commitment workshop briefs and the gap map, from a stored run (nothing is recomputed here)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from reports import charts
from reports.agency_replies import agency_reply_table, replies_by_commitment
from reports.alignment import NOT_ADDRESSED, align, is_placeholder, response_text
from reports.i18n import Translator
from reports.model import SMALL_N, Brief, CampaignView, Changes, Column, Table, Theme, day_of, fmt_day
from reports.overview import slug
from reports.proposals import ProposalStats
from reports.quotes import QuoteBook, resolve_ref
from reports.rundata import RunData, is_unique
from storage import report_queries as rq

# Bounds that keep every page small whatever the corpus size.
MAX_THEMES = 8
QUOTES_PER_THEME = 3
MAX_MINORITY = 5
QUOTES_PER_MINORITY = 2
MAX_CAMPAIGNS = 5
NEW_QUOTES = 3
MAX_GAP_THEMES = 30
QUOTES_PER_GAP = 2


@dataclass(frozen=True, slots=True)
class GapMap:
    themes: tuple[Theme, ...]
    quiet: Table
    tables: tuple[Table, ...]
    support: int = 0  # unassigned comments with no argument: counted, never a candidate commitment


LOW_CONFIDENCE = 0.5  # calibrated confidence: below it, an item is more likely misplaced than not


def _refs(data: RunData, cluster: rq.ClusterRow, limit: int) -> list[rq.ItemKey]:
    keys = [resolve_ref(ref, data.kind_of) for ref in cluster.representative_ids]
    return [key for key in keys if key][:limit]


def _theme(data: RunData, book: QuoteBook, cluster: rq.ClusterRow, scope_total: int, limit: int) -> Theme:
    previous = data.previous_cluster_sizes.get(cluster.cluster_key) if data.previous else None
    quotes = tuple(q for q in (book.get(k) for k in _refs(data, cluster, limit)) if q)
    return Theme(
        cluster.cluster_key,
        cluster.label or " ".join(cluster.terms[:3]),
        cluster.terms[:6],
        cluster.size,
        round(cluster.size / max(1, scope_total), 4),
        None if previous is None else cluster.size - previous,
        cluster.is_minority,
        quotes,
    )


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


def theme_table(name: str, title: str, themes: Sequence[Theme], t: Translator) -> Table:
    return Table(
        name,
        title,
        (
            Column("theme", t("col_theme")),
            Column("terms", t("col_terms")),
            Column("size", t("col_size"), numeric=True),
            Column("share", t("col_share_all"), numeric=True),
            Column("delta", t("col_delta"), numeric=True),
        ),
        tuple(
            {
                "theme": th.label,
                "terms": " ".join(th.terms),
                "size": th.size,
                "share": th.share,
                "delta": th.delta,
                "key": th.key,
                "minority": th.is_minority,
            }
            for th in themes
        ),
        export_only=("key", "minority"),
    )


def weekly_counts(moments: Iterable[datetime | None]) -> dict[date, int]:
    """Submissions per week (keyed by the week's Monday, Taipei time), every week from the first to the
    last present so that quiet weeks show as zero."""
    counts: Counter[date] = Counter()
    for moment in moments:
        day = day_of(moment)
        if day is not None:
            counts[day - timedelta(days=day.weekday())] += 1
    if not counts:
        return {}
    week, last, out = min(counts), max(counts), {}
    while week <= last:
        out[week] = counts.get(week, 0)
        week += timedelta(days=7)
    return out


ALIGNED_THEMES = 5  # a commitment's largest themes checked against each response


@dataclass(frozen=True, slots=True)
class AlignmentRow:
    """One response against one theme, or a response flagged as a whole (``theme`` is None)."""

    proposal: object  # the proposal's title, as the responses table shows it
    url: object
    agency: object
    theme: Theme | None
    verdict: str  # matched | partly | not_addressed, or placeholder | none_addressed for a whole response
    sentence: str = ""
    coverage: float | None = None


def _against_themes(source: AlignmentRow, text: str, themes: Sequence[Theme]) -> list[AlignmentRow]:
    """A formal response against each theme; flagged when it addresses none of them."""
    rows = []
    for theme in themes:
        result = align(theme.label, theme.terms, text, proposal=str(source.proposal))
        rows.append(
            replace(
                source,
                theme=theme,
                verdict=result.verdict,
                sentence=result.sentence,
                coverage=result.coverage,
            )
        )
    if rows and all(row.verdict == NOT_ADDRESSED for row in rows):
        rows.append(replace(source, verdict="none_addressed"))
    return rows


def align_responses(
    themes: Sequence[Theme],
    related: Sequence[Mapping[str, object]],
    answers: Mapping[str, Sequence[Mapping[str, object]]],
) -> tuple[list[AlignmentRow], list[Theme]]:
    """Each response to the commitment's proposals against its largest themes, placeholders flagged;
    with the themes no formal response addressed (none when there was no formal response)."""
    checked = themes[:ALIGNED_THEMES]
    rows: list[AlignmentRow] = []
    formal_seen = False
    for proposal in related:
        for record in answers.get(str(proposal["uuid"]), []):
            text = response_text([str(record[k] or "") for k in ("analysis", "suggest", "plan", "reference")])
            source = AlignmentRow(
                proposal["proposal"], proposal.get("url"), record["agency"], None, "placeholder"
            )
            if record["is_placeholder"] or is_placeholder(text):
                rows.append(source)
                continue
            formal_seen = True
            rows += _against_themes(source, text, checked)
    addressed = {row.theme.key for row in rows if row.theme is not None and row.verdict != NOT_ADDRESSED}
    unaddressed = [th for th in checked if th.key not in addressed] if formal_seen else []
    return rows, unaddressed


def alignment_table(
    name: str,
    themes: Sequence[Theme],
    related: Sequence[Mapping[str, object]],
    answers: Mapping[str, Sequence[Mapping[str, object]]],
    t: Translator,
) -> tuple[Table, list[Theme]]:
    """The alignment of responses and themes as a table, and the themes no formal response addressed."""
    rows, unaddressed = align_responses(themes, related, answers)
    table = Table(
        name,
        t("alignment_heading"),
        (
            Column("proposal", t("col_proposal"), link_key="url"),
            Column("agency", t("col_agency")),
            Column("theme", t("col_theme")),
            Column("verdict", t("col_verdict")),
            Column("sentence", t("col_sentence")),
        ),
        tuple(
            {
                "proposal": row.proposal,
                "url": row.url,
                "agency": row.agency,
                "theme": row.theme.label if row.theme else "—",
                "verdict": t(f"align_{row.verdict}"),
                "sentence": row.sentence,
                "verdict_key": row.verdict,
                "coverage": row.coverage,
            }
            for row in rows
        ),
        export_only=("verdict_key", "coverage"),
    )
    return table, unaddressed


@dataclass(frozen=True, slots=True)
class BriefInputs:
    """What every brief reads from the run, grouped once."""

    assigned: dict[str, list[rq.AssignmentRow]]  # commitment code → the items assigned to it
    clusters: dict[str, list[rq.ClusterRow]]  # scope (a commitment code, or "none") → its themes
    campaign_codes: dict[str, str | None]
    answers: dict[str, list[Mapping[str, object]]]  # idea uuid → the agency's responses to it
    replies: dict[str, list[rq.AgencyReplyRow]]  # commitment code → agency replies to its comments
    total: int  # items in the report's scope
    uncertain_share: int  # percent of them the analysis could not place


def brief_inputs(data: RunData, responses: Iterable[Mapping[str, object]]) -> BriefInputs:
    assigned: dict[str, list[rq.AssignmentRow]] = defaultdict(list)
    for row in data.assignments:
        if row.status == "assigned" and row.commitment_code:
            assigned[row.commitment_code].append(row)
    clusters: dict[str, list[rq.ClusterRow]] = defaultdict(list)
    for cluster in data.clusters:
        clusters[cluster.scope].append(cluster)
    answers: dict[str, list[Mapping[str, object]]] = defaultdict(list)
    for record in responses:
        answers[str(record["idea_uuid"])].append(record)
    total = len(data.assignments)
    uncertain = sum(r.status == "uncertain" for r in data.assignments)
    return BriefInputs(
        assigned,
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

    rows: list[rq.AssignmentRow]
    major: list[rq.ClusterRow]
    minor: list[rq.ClusterRow]
    support: int  # items with no argument: counted, never a theme
    campaigns: list[rq.CampaignRow]
    new_rows: list[rq.AssignmentRow]  # items not in the previous run
    new_keys: list[rq.ItemKey]  # the new unique items quoted under "what changed"


def select_for_commitment(data: RunData, inputs: BriefInputs, code: str) -> CommitmentSelection:
    rows = inputs.assigned.get(code, [])
    clusters = inputs.clusters.get(code, [])
    arguments = [c for c in clusters if not c.is_support]
    campaigns = [c for c in data.campaigns if inputs.campaign_codes.get(c.campaign_key) == code]
    new_rows = [r for r in rows if (r.kind, r.item_id) in data.new_item_keys]
    return CommitmentSelection(
        rows=rows,
        major=[c for c in arguments if not c.is_minority][:MAX_THEMES],
        minor=[c for c in arguments if c.is_minority][:MAX_MINORITY],
        support=sum(c.size for c in clusters if c.is_support),
        campaigns=campaigns[:MAX_CAMPAIGNS],
        new_rows=new_rows,
        new_keys=[(r.kind, r.item_id) for r in new_rows if is_unique(r)][:NEW_QUOTES],
    )


def _exemplar_key(data: RunData, campaign: rq.CampaignRow) -> rq.ItemKey:
    return data.kind_of.get(campaign.exemplar_item_id, "comment"), campaign.exemplar_item_id


def quoted_keys(data: RunData, chosen: CommitmentSelection) -> list[rq.ItemKey]:
    """Every item the brief quotes: its themes', its campaigns' exemplars and its new items."""
    wanted = [k for c in chosen.major for k in _refs(data, c, QUOTES_PER_THEME)]
    wanted += [k for c in chosen.minor for k in _refs(data, c, QUOTES_PER_MINORITY)]
    wanted += [_exemplar_key(data, c) for c in chosen.campaigns]
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


def commitment_figures(data: RunData, rows: Sequence[rq.AssignmentRow], total: int) -> CommitmentFigures:
    confidences = [r.confidence for r in rows]
    engagement = [data.engagement.get((r.kind, r.item_id), (0, 0)) for r in rows]
    return CommitmentFigures(
        raw=len(rows),
        unique=sum(1 for r in rows if is_unique(r)),
        share_of_all=round(len(rows) / max(1, total), 4),
        campaign_items=sum(1 for r in rows if r.campaign_key),
        median_confidence=round(statistics.median(confidences), 3) if confidences else None,
        low_confidence_share=(
            round(sum(c < LOW_CONFIDENCE for c in confidences) / len(confidences), 3) if confidences else None
        ),
        likes=sum(likes for likes, _ in engagement),
        endorsements=sum(endorsements for _, endorsements in engagement),
        weeks=weekly_counts(data.dates.get((r.kind, r.item_id)) for r in rows),
    )


# Presentation: a brief's themes, quotes, tables and trend chart.


def _campaign_views(
    data: RunData, book: QuoteBook, campaigns: Iterable[rq.CampaignRow], code: str
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


def _trend_svg(weeks: dict[date, int], code: str, t: Translator) -> str:
    return charts.time_chart(
        list(weeks), list(weeks.values()), t("chart_weekly", code=code), t("chart_count"), width=7
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
    themes = tuple(_theme(data, book, c, raw, QUOTES_PER_THEME) for c in chosen.major)
    minority = tuple(_theme(data, book, c, raw, QUOTES_PER_MINORITY) for c in chosen.minor)
    idea_ids = {r.item_id for r in chosen.rows if r.kind == "idea"}
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
    commitment: rq.CommitmentRow,
    figures: CommitmentFigures,
    parts: _BriefParts,
    support: int,
    uncertain_share: int,
    t: Translator,
    trend_svg: str,
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
        trend_svg=trend_svg,
    )


def build_briefs(
    session: Session,
    data: RunData,
    book: QuoteBook,
    proposals: ProposalStats,
    t: Translator,
    *,
    with_charts: bool = True,
) -> list[Brief]:
    inputs = brief_inputs(data, rq.export_responses(session))
    briefs = []
    for commitment in data.commitments:
        chosen = select_for_commitment(data, inputs, commitment.code)
        book.load(session, quoted_keys(data, chosen))
        figures = commitment_figures(data, chosen.rows, inputs.total)
        parts = _brief_parts(data, book, inputs, proposals.tables["responses"], commitment.code, chosen, t)
        trend = _trend_svg(figures.weeks, commitment.code, t) if with_charts and figures.weeks else ""
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


def build_gap_map(
    session: Session, data: RunData, book: QuoteBook, briefs: Sequence[Brief], t: Translator
) -> GapMap:
    # The support / no-argument group is counted, never offered as a possible new commitment.
    unassigned = [c for c in data.clusters if c.scope == "none" and not c.is_support][:MAX_GAP_THEMES]
    support = sum(c.size for c in data.clusters if c.scope == "none" and c.is_support)
    scope_total = sum(1 for r in data.assignments if r.status == "none")
    book.load(session, [k for c in unassigned for k in _refs(data, c, QUOTES_PER_GAP)])
    themes = tuple(_theme(data, book, c, scope_total, QUOTES_PER_GAP) for c in unassigned)
    quiet = Table(
        "quiet_commitments",
        t("gaps_quiet_heading"),
        (
            Column("code", t("col_code")),
            Column("title", t("col_commitment"), link_key="page"),
            Column("raw", t("col_raw"), numeric=True),
            Column("unique", t("col_unique"), numeric=True),
        ),
        tuple(
            {
                "code": b.code,
                "title": b.title,
                "page": f"commitments/{b.slug}.html",
                "raw": b.raw,
                "unique": b.unique,
            }
            for b in sorted(briefs, key=lambda b: (b.unique, b.code))
            if b.unique < SMALL_N
        ),
    )
    every_gap = [c for c in data.clusters if c.scope == "none" and not c.is_support]
    all_themes = Table(
        "gap_themes",
        t("gaps_themes_heading"),
        (
            Column("theme", t("col_theme")),
            Column("terms", t("col_terms")),
            Column("size", t("col_size"), numeric=True),
            Column("share", t("col_share_all"), numeric=True),
        ),
        tuple(
            {
                "theme": c.label,
                "terms": " ".join(c.terms),
                "size": c.size,
                "share": round(c.size / max(1, scope_total), 4),
                "key": c.cluster_key,
            }
            for c in every_gap
        ),
        export_only=("key",),
    )
    return GapMap(themes, quiet, (all_themes, quiet), support)


__all__ = ["GapMap", "build_briefs", "build_gap_map"]
