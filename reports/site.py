"""``build_report``: the static report site (HTML pages, CSV/JSON tables, Markdown and PDF briefs)."""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from base.display import redact as hide_secrets
from base.errors import UserError
from base.gc_tuning import gc_frozen, gc_paused
from reports.assignment_method import assignment_method
from reports.briefs import build_briefs
from reports.chart_child import chart_drawer
from reports.consultations import Consultation, build_consultations
from reports.exports import write_table
from reports.gaps import MIN_CANDIDATE_ARGUMENTS, GapMap, build_gap_map
from reports.i18n import DEFAULT_LANGUAGE, Translator
from reports.model import Brief, Table, fmt_day
from reports.overview import Overview, build_overview
from reports.printing import brief_markdown, brief_print_html, write_pdfs
from reports.proposals import NEAR_DAYS, NEAR_SHARE, ProposalStats, build_proposal_stats
from reports.publish import MARKER, Target, discard, list_files, prepare, publish
from reports.quotes import QuoteBook
from reports.render import make_environment
from reports.review import REVIEW_PAGE, ReviewPage, build_review
from reports.rundata import RunData, load_run
from storage.db import session_factory
from storage.items import ItemKey
from storage.queries import runs as run_queries
from storage.scope import ItemScope

MAX_TITLES = 3  # consultations named in the scope banner; more are counted


def describe_scope(scope: ItemScope, t: Translator, *, run_id: int, titles: Mapping[str, str]) -> str:
    """What the report covers, in words, for the banner of every page and brief (``titles``: the
    consultations' titles by uuid)."""
    if scope.is_everything:
        return t("scope_all", run_id=run_id)
    parts = []
    if scope.policies:
        named = [titles.get(uuid) for uuid in scope.policies]
        if len(named) <= MAX_TITLES and all(named):
            titled = t("list_sep").join(t("scope_title", title=title) for title in named)
            parts.append(t("scope_policy_titles", titles=titled) + t("scope_not_proposals"))
        else:
            parts.append(t("scope_policies", n=len(scope.policies)) + t("scope_not_proposals"))
    if scope.since or scope.until:
        parts.append(
            t(
                "scope_period",
                since=scope.since.isoformat() if scope.since else "…",
                until=scope.until.isoformat() if scope.until else "…",
            )
        )
    if scope.source != "all":
        parts.append(t(f"scope_source_{scope.source}"))
    return t("scope_label", parts=t("list_sep").join(parts))


def _prepare(out_dir: Path) -> Target:
    """Check the target and make a fresh staging folder for it (published at the end, see reports.publish)."""
    target = prepare(out_dir)
    for sub in ("commitments", "consultations", "briefs", "data"):
        (target.staging / sub).mkdir()
    return target


class _Progress:
    """Progress lines on stderr with the seconds since the build started (none when quiet)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[report {time.perf_counter() - self.started:5.1f}s] {message}", file=sys.stderr)


@dataclass(frozen=True, slots=True)
class ReportContent:
    """Everything the report shows, read and checked before the first file is written."""

    data: RunData
    overview: Overview
    consultation_list: Table
    consultations: list[Consultation]
    stats: ProposalStats
    briefs: list[Brief]
    gaps: GapMap
    quotes_verified: int
    review: ReviewPage | None = None

    @property
    def tables(self) -> list[Table]:
        """Every table, in the order they are written and listed in the manifest."""
        tables = [
            *self.overview.tables,
            self.consultation_list,
            *self.stats.tables.values(),
            *self.gaps.tables,
        ]
        tables += [c.by_commitment for c in self.consultations]
        tables += [table for brief in self.briefs for table in brief.tables]
        return tables

    @property
    def pages(self) -> list[str]:
        return (
            ["index.html", "proposals.html", "gaps.html", "methods.html"]
            + ([REVIEW_PAGE] if self.review else [])
            + [f"commitments/{b.slug}.html" for b in self.briefs]
            + [f"consultations/{c.slug}.html" for c in self.consultations]
        )


def read_report_content(
    engine: Engine,
    scope: ItemScope | None,
    t: Translator,
    redact: bool,
    say: _Progress,
    review: Sequence[ItemKey] | None = None,
    run_read: Callable[[], object] = lambda: None,
) -> ReportContent:
    """Read the latest complete run and build every page's content; every quote is verified. ``review``:
    the items to ask a facilitator about (no review page without); ``run_read``: called once the run is
    read, before the pages are built. A large run's charts are drawn by a child forked before it is read
    (``reports.chart_child``)."""
    with session_factory(engine)() as session, chart_drawer(_run_size(session)) as draw:
        data = load_run(session, scope)
        run_read()
        say(f"analysis run #{data.run.id}: {len(data.assignments):,} items, {len(data.clusters):,} themes")
        overview = build_overview(data, t, draw=draw)
        consultation_list, consultations = build_consultations(data, t)
        stats = build_proposal_stats(
            session, t, fallback_as_of=data.run.finished_at, scope=data.scope, draw=draw
        )
        book = QuoteBook(redact_print=redact, mask=t("redacted_mask"))
        briefs = build_briefs(session, data, book, stats, t, draw=draw)
        gaps = build_gap_map(session, data, book, briefs, t)
        review_page = build_review(session, data, book, t, review) if review is not None else None
        checked = book.verify_all(session)
        say(f"{checked:,} quotes verified against stored texts")
    if len({brief.slug for brief in briefs}) != len(briefs):
        raise UserError("two commitments map to one file name: " + ", ".join(_same_slug(briefs)))
    return ReportContent(
        data, overview, consultation_list, consultations, stats, briefs, gaps, checked, review_page
    )


def _run_size(session: Session) -> int:
    """The items of the run a report will read, known before it is read (0: no run, as ``load_run`` says)."""
    run = run_queries.latest_complete_run(session)
    return run.n_items if run else 0


def _write_pages(env: Environment, staging: Path, content: ReportContent) -> None:
    def page(template: str, target: str, root: str = "", **context: object) -> None:
        html = env.get_template(template).render(root=root, page=target, **context)
        (staging / target).write_text(html, encoding="utf-8")

    data = content.data
    page(
        "index.html.j2",
        "index.html",
        overview=content.overview,
        briefs=content.briefs,
        consultations=content.consultation_list,
    )
    for consultation in content.consultations:
        page("consultation.html.j2", f"consultations/{consultation.slug}.html", root="../", c=consultation)
    page(
        "proposals.html.j2",
        "proposals.html",
        stats=content.stats,
        near_share=round(NEAR_SHARE * 100),
        near_days=NEAR_DAYS,
    )
    review = content.review
    page(
        "gaps.html.j2",
        "gaps.html",
        gaps=content.gaps,
        min_candidate=MIN_CANDIDATE_ARGUMENTS,
        review_link=review and review.link_for(None),
    )
    if review:
        page(
            "review.html.j2",
            REVIEW_PAGE,
            review=review,
            review_script=Markup(review.script),  # noqa: S704 - our own script file, never user input
            script_hash=review.script_hash,
        )
    manifest_json = hide_secrets(  # the manifest may quote settings: never a password
        json.dumps(data.run.manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    )
    page(
        "methods.html.j2",
        "methods.html",
        manifest_json=manifest_json,
        assignment=assignment_method(data.run.manifest),
        period_start=fmt_day(data.first_at) or "—",
        period_end=fmt_day(data.last_at) or "—",
    )
    for brief in content.briefs:
        link = review and review.link_for(brief.code)
        page("commitment.html.j2", f"commitments/{brief.slug}.html", root="../", b=brief, review_link=link)


def _write_briefs(
    env: Environment,
    staging: Path,
    content: ReportContent,
    t: Translator,
    *,
    pdf: bool,
    run_finished: str,
    scope_text: str,
) -> None:
    """Each brief as Markdown, and as a PDF unless ``pdf`` is off; each says what the report covers."""
    run = content.data.run
    for brief in content.briefs:
        markdown = brief_markdown(brief, t, run_id=run.id, run_finished=run_finished, scope_text=scope_text)
        (staging / "briefs" / f"{brief.slug}.md").write_text(markdown, encoding="utf-8")
    if pdf:
        write_pdfs(
            [
                (
                    staging / "briefs" / f"{brief.slug}.pdf",
                    brief_print_html(env, brief, t, run=run, run_finished=run_finished),
                )
                for brief in content.briefs
            ]
        )


def _manifest(content: ReportContent, tables: list[Table], staging: Path, *, redact: bool) -> str:
    data = content.data
    return json.dumps(
        {
            "analysis_run": data.run.id,
            "previous_run": data.previous.id if data.previous else None,
            "items": len(data.assignments),
            "quotes_verified": content.quotes_verified,
            "redacted_print": redact,
            "pages": content.pages,
            "scope": data.scope.describe(),
            "examples": len(data.steering.examples) if data.steering else 0,
            "moved_since_previous": data.steering.moved if data.steering and data.previous else None,
            "tables": [f"data/{table.name}.csv" for table in tables],
            # every file of the report: what the next build may replace, and nothing else
            "files": list_files(staging),
        },
        ensure_ascii=False,
        indent=1,
    )


def _write_report(
    staging: Path, content: ReportContent, t: Translator, say: _Progress, *, pdf: bool, redact: bool
) -> None:
    data = content.data
    run_finished = fmt_day(data.run.finished_at, naive_is_utc=True) or "—"
    scope_text = describe_scope(
        data.scope, t, run_id=data.run.id, titles={p.uuid: p.title for p in data.policies}
    )
    env = make_environment(
        t,
        run=data.run,
        run_finished=run_finished,
        has_previous=data.previous is not None,
        scope_text=scope_text,
        has_review=content.review is not None,
        steering=data.steering,
        pdf=pdf,
        redact=redact,
    )
    _write_pages(env, staging, content)
    tables = content.tables
    for table in tables:
        write_table(table, staging / "data")
    say(f"{len(content.pages)} pages and {len(tables)} tables written")
    _write_briefs(env, staging, content, t, pdf=pdf, run_finished=run_finished, scope_text=scope_text)
    if pdf:
        say(f"{len(content.briefs)} PDF briefs written")
    (staging / MARKER).write_text(_manifest(content, tables, staging, redact=redact), encoding="utf-8")


def build_report(
    engine: Engine,
    out_dir: Path,
    *,
    quiet: bool = False,
    pdf: bool = True,
    redact: bool = True,
    language: str = DEFAULT_LANGUAGE,
    scope: ItemScope | None = None,
    review: Sequence[ItemKey] | None = None,
) -> Path:
    """Render the latest complete analysis run into ``out_dir``; returns the path of ``index.html``.

    ``scope``: what to show of the run (``None``: what the run analysed; else the items of the run in it).
    ``review``: the items whose labels would help the analysis most, in the order to ask about them
    (``analysis.assignment.examples.suggested``); with them, the report has a review page (``review.html``).

    Everything is read and every quote verified before the first file is written, and the files are
    written to a staging folder that replaces ``out_dir`` in one atomic step at the end: a failed check or
    a killed build leaves an earlier report untouched. Given the same database the output is byte-identical.
    """
    say = _Progress(quiet)
    t = Translator(language)
    # The run's items are read and counted by the million, with no cycles among them: every collection would
    # walk them all for nothing, so the collector is paused, and once the run is read its objects are set
    # aside from it until the report is written. The cycles made meanwhile (the charts' matplotlib objects
    # hold frames, and through them the pages' data) are collected before the writing, without walking the
    # run again; writing is left to the collector (the PDF briefs make cycles).
    with ExitStack() as collector:
        with gc_paused():
            set_aside = partial(collector.enter_context, gc_frozen())
            content = read_report_content(engine, scope, t, redact, say, review, run_read=set_aside)
            gc.collect()
        plan = _prepare(out_dir)
        try:
            _write_report(plan.staging, content, t, say, pdf=pdf, redact=redact)
        except BaseException:
            discard(plan.staging)
            raise
        publish(plan)
    return out_dir / "index.html"


def _same_slug(briefs: list[Brief]) -> list[str]:
    by_slug: dict[str, list[str]] = {}
    for brief in briefs:
        by_slug.setdefault(brief.slug, []).append(str(brief.code))
    return [f"{' and '.join(map(repr, codes))} ({slug})" for slug, codes in by_slug.items() if len(codes) > 1]


__all__ = ["build_report"]
