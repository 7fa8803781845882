"""Per-commitment workshop briefs and the gap map, from a stored run (nothing is recomputed here)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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


def alignment_table(
    name: str,
    themes: Sequence[Theme],
    related: Sequence[Mapping[str, object]],
    answers: dict[str, list[dict[str, object]]],
    t: Translator,
) -> tuple[Table, list[Theme]]:
    """Each formal response to the commitment's proposals against its largest themes; placeholder
    responses flagged. Returns the table and the themes no formal response addressed."""
    rows: list[dict[str, object]] = []
    addressed: set[str] = set()
    formal_seen = False
    for proposal in related:
        for record in answers.get(str(proposal["uuid"]), []):
            text = response_text([str(record[k] or "") for k in ("analysis", "suggest", "plan", "reference")])
            base = {"proposal": proposal["proposal"], "url": proposal.get("url"), "agency": record["agency"]}
            if record["is_placeholder"] or is_placeholder(text):
                rows.append(
                    {
                        **base,
                        "theme": "—",
                        "verdict": t("align_placeholder"),
                        "sentence": "",
                        "verdict_key": "placeholder",
                    }
                )
                continue
            formal_seen = True
            verdicts = []
            for theme in themes[:ALIGNED_THEMES]:
                result = align(theme.label, theme.terms, text, proposal=str(proposal["proposal"]))
                verdicts.append(result.verdict)
                if result.verdict != NOT_ADDRESSED:
                    addressed.add(theme.key)
                rows.append(
                    {
                        **base,
                        "theme": theme.label,
                        "verdict": t(f"align_{result.verdict}"),
                        "sentence": result.sentence,
                        "verdict_key": result.verdict,
                        "coverage": result.coverage,
                    }
                )
            if verdicts and all(v == NOT_ADDRESSED for v in verdicts):
                rows.append(
                    {
                        **base,
                        "theme": "—",
                        "verdict": t("align_none_addressed"),
                        "sentence": "",
                        "verdict_key": "none_addressed",
                    }
                )
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
        tuple(rows),
        export_only=("verdict_key", "coverage"),
    )
    unaddressed = [th for th in themes[:ALIGNED_THEMES] if th.key not in addressed] if formal_seen else []
    return table, unaddressed


def build_briefs(
    session: Session,
    data: RunData,
    book: QuoteBook,
    proposals: ProposalStats,
    t: Translator,
    *,
    with_charts: bool = True,
) -> list[Brief]:
    by_code: dict[str, list[rq.AssignmentRow]] = defaultdict(list)
    for row in data.assignments:
        if row.status == "assigned" and row.commitment_code:
            by_code[row.commitment_code].append(row)
    clusters_by_scope: dict[str, list[rq.ClusterRow]] = defaultdict(list)
    for cluster in data.clusters:
        clusters_by_scope[cluster.scope].append(cluster)
    codes_of_campaign = campaign_codes(data)
    answers: dict[str, list[dict[str, object]]] = defaultdict(list)
    for record in rq.export_responses(session):
        answers[str(record["idea_uuid"])].append(record)
    total = len(data.assignments)
    uncertain_share = round(100 * sum(r.status == "uncertain" for r in data.assignments) / max(1, total))
    response_rows = proposals.tables["responses"].rows
    agency_replies = replies_by_commitment(data)
    briefs = []
    for commitment in data.commitments:
        code = commitment.code
        rows = by_code.get(code, [])
        raw = len(rows)
        unique = sum(1 for r in rows if is_unique(r))
        scoped = [c for c in clusters_by_scope.get(code, []) if not c.is_support]
        support = sum(c.size for c in clusters_by_scope.get(code, []) if c.is_support)
        major = [c for c in scoped if not c.is_minority][:MAX_THEMES]
        minor = [c for c in scoped if c.is_minority][:MAX_MINORITY]
        campaigns = [c for c in data.campaigns if codes_of_campaign.get(c.campaign_key) == code][
            :MAX_CAMPAIGNS
        ]
        new_rows = [r for r in rows if (r.kind, r.item_id) in data.new_item_keys]
        new_keys = [(r.kind, r.item_id) for r in new_rows if is_unique(r)][:NEW_QUOTES]
        wanted = [k for c in major for k in _refs(data, c, QUOTES_PER_THEME)]
        wanted += [k for c in minor for k in _refs(data, c, QUOTES_PER_MINORITY)]
        wanted += [(data.kind_of.get(c.exemplar_item_id, "comment"), c.exemplar_item_id) for c in campaigns]
        book.load(session, wanted + new_keys)

        themes = tuple(_theme(data, book, c, raw, QUOTES_PER_THEME) for c in major)
        minority = tuple(_theme(data, book, c, raw, QUOTES_PER_MINORITY) for c in minor)
        campaign_views = tuple(
            CampaignView(
                c.campaign_key,
                c.size,
                fmt_day(c.first_at),
                fmt_day(c.last_at),
                c.is_burst,
                code,
                book.get((data.kind_of.get(c.exemplar_item_id, "comment"), c.exemplar_item_id)),
            )
            for c in campaigns
        )
        idea_ids = {r.item_id for r in rows if r.kind == "idea"}
        related = tuple(r for r in response_rows if r["uuid"] in idea_ids)
        responses = Table(
            f"{slug(code)}-responses",
            t("related_responses_heading"),
            proposals.tables["responses"].columns,
            related,
        )
        replies = agency_reply_table(
            f"{slug(code)}-agency-replies",
            t("related_agency_replies_heading"),
            agency_replies.get(code, ()),
            t,
        )
        confidences = [r.confidence for r in rows]
        likes = sum(data.engagement.get((r.kind, r.item_id), (0, 0))[0] for r in rows)
        endorsements = sum(data.engagement.get((r.kind, r.item_id), (0, 0))[1] for r in rows)
        weeks = weekly_counts(data.dates.get((r.kind, r.item_id)) for r in rows)
        trend = (
            charts.time_chart(
                list(weeks), list(weeks.values()), t("chart_weekly", code=code), t("chart_count"), width=7
            )
            if with_charts and weeks
            else ""
        )
        changes = Changes(
            data.previous.id if data.previous else None,
            len(new_rows),
            tuple(q for q in (book.get(k) for k in new_keys) if q),
            tuple((th.label, th.delta) for th in themes + minority),
        )
        alignment, unaddressed = alignment_table(f"{slug(code)}-alignment", themes, related, answers, t)
        questions, prompts = _questions_and_prompts(
            t, themes, minority, campaign_views, related, unique, uncertain_share, unaddressed
        )
        brief = Brief(
            code=code,
            slug=slug(code),
            title=t.commitment_title(commitment.title),
            description=commitment.description,
            raw=raw,
            unique=unique,
            share_of_all=round(raw / max(1, total), 4),
            campaign_items=sum(1 for r in rows if r.campaign_key),
            median_confidence=round(statistics.median(confidences), 3) if confidences else None,
            low_confidence_share=(
                round(sum(c < LOW_CONFIDENCE for c in confidences) / len(confidences), 3)
                if confidences
                else None
            ),
            small_n=unique < SMALL_N,
            themes=themes,
            minority=minority,
            campaigns=campaign_views,
            responses=responses,
            questions=questions,
            prompts=prompts,
            changes=changes,
            tables=(
                theme_table(f"{slug(code)}-themes", t("themes_heading"), themes + minority, t),
                responses,
                alignment,
                replies,
            ),
            agency_replies=replies,
            support=support,
            likes=likes,
            endorsements=endorsements,
            trend_svg=trend,
        )
        briefs.append(brief)
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
