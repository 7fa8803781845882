"""``build_report``: the static report site (HTML pages, CSV/JSON tables, Markdown and PDF briefs)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from joinfeedback.display import redact as hide_secrets
from joinfeedback.errors import UserError
from reports.briefs import build_briefs, build_gap_map
from reports.consultations import build_consultations
from reports.exports import write_table
from reports.i18n import DEFAULT_LANGUAGE, Translator
from reports.model import fmt_day
from reports.overview import build_overview
from reports.printing import brief_markdown, brief_print_html, write_pdfs
from reports.proposals import NEAR_DAYS, NEAR_SHARE, build_proposal_stats
from reports.publish import MARKER, Target, discard, list_files, prepare, publish
from reports.quotes import QuoteBook
from reports.render import make_environment
from reports.rundata import load_run
from storage.db import session_factory
from storage.scope import EVERYTHING, ItemScope


def describe_scope(scope: ItemScope, t: Translator) -> str:
    """The report's scope in words for the page header; empty when it covers everything."""
    parts = []
    if scope.policies:
        parts.append(t("scope_policies", n=len(scope.policies)))
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
    return t("scope_label", parts=t("list_sep").join(parts)) if parts else ""


def _prepare(out_dir: Path) -> Target:
    """Check the target and make a fresh staging folder for it (published at the end, see reports.publish)."""
    target = prepare(out_dir)
    for sub in ("commitments", "consultations", "briefs", "data"):
        (target.staging / sub).mkdir()
    return target


def build_report(
    engine: Engine,
    out_dir: Path,
    *,
    quiet: bool = False,
    pdf: bool = True,
    redact: bool = True,
    language: str = DEFAULT_LANGUAGE,
    scope: ItemScope = EVERYTHING,
) -> Path:
    """Render the latest complete analysis run into ``out_dir``; returns the path of ``index.html``.

    Everything is read and every quote verified before the first file is written, and the files are
    written to a staging folder that replaces ``out_dir`` in one atomic step at the end: a failed check or
    a killed build leaves an earlier report untouched. Given the same database the output is byte-identical.
    """
    started = time.perf_counter()

    def say(message: str) -> None:
        if not quiet:
            print(f"[report {time.perf_counter() - started:5.1f}s] {message}", file=sys.stderr)

    t = Translator(language)
    with session_factory(engine)() as session:
        data = load_run(session, scope)
        say(f"analysis run #{data.run.id}: {len(data.assignments):,} items, {len(data.clusters):,} themes")
        overview = build_overview(data, t)
        consultation_list, consultations = build_consultations(data, t)
        stats = build_proposal_stats(session, t, fallback_as_of=data.run.finished_at)
        book = QuoteBook(redact_print=redact, mask=t("redacted_mask"))
        briefs = build_briefs(session, data, book, stats, t)
        gaps = build_gap_map(session, data, book, briefs, t)
        checked = book.verify_all(session)
        say(f"{checked:,} quotes verified against stored texts")

    if len({brief.slug for brief in briefs}) != len(briefs):
        raise UserError("two commitments map to one file name: " + ", ".join(_same_slug(briefs)))
    plan = _prepare(out_dir)
    staging = plan.staging
    try:
        run_finished = fmt_day(data.run.finished_at, naive_is_utc=True) or "—"
        env = make_environment(
            t,
            run=data.run,
            run_finished=run_finished,
            has_previous=data.previous is not None,
            scope_text=describe_scope(data.scope, t),
            pdf=pdf,
            redact=redact,
        )

        def page(template: str, target: str, root: str = "", **context: object) -> None:
            html = env.get_template(template).render(root=root, page=target, **context)
            (staging / target).write_text(html, encoding="utf-8")

        page(
            "index.html.j2",
            "index.html",
            overview=overview,
            briefs=briefs,
            consultations=consultation_list,
        )
        for consultation in consultations:
            page(
                "consultation.html.j2", f"consultations/{consultation.slug}.html", root="../", c=consultation
            )
        page(
            "proposals.html.j2",
            "proposals.html",
            stats=stats,
            near_share=round(NEAR_SHARE * 100),
            near_days=NEAR_DAYS,
        )
        page("gaps.html.j2", "gaps.html", gaps=gaps)
        manifest_json = hide_secrets(  # the manifest may quote settings: never a password
            json.dumps(data.run.manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        )
        page(
            "methods.html.j2",
            "methods.html",
            manifest_json=manifest_json,
            period_start=fmt_day(data.first_at) or "—",
            period_end=fmt_day(data.last_at) or "—",
        )
        for brief in briefs:
            page("commitment.html.j2", f"commitments/{brief.slug}.html", root="../", b=brief)
        tables = [*overview.tables, consultation_list, *stats.tables.values(), *gaps.tables]
        tables += [c.by_commitment for c in consultations]
        tables += [table for brief in briefs for table in brief.tables]
        for table in tables:
            write_table(table, staging / "data")
        say(f"{len(briefs) + len(consultations) + 4} pages and {len(tables)} tables written")

        for brief in briefs:
            markdown = brief_markdown(brief, t, run_id=data.run.id, run_finished=run_finished)
            (staging / "briefs" / f"{brief.slug}.md").write_text(markdown, encoding="utf-8")
        if pdf:
            write_pdfs(
                [
                    (
                        staging / "briefs" / f"{brief.slug}.pdf",
                        brief_print_html(env, brief, t, run=data.run, run_finished=run_finished),
                    )
                    for brief in briefs
                ]
            )
            say(f"{len(briefs)} PDF briefs written")
        (staging / MARKER).write_text(
            json.dumps(
                {
                    "analysis_run": data.run.id,
                    "previous_run": data.previous.id if data.previous else None,
                    "items": len(data.assignments),
                    "quotes_verified": checked,
                    "redacted_print": redact,
                    "pages": ["index.html", "proposals.html", "gaps.html", "methods.html"]
                    + [f"commitments/{b.slug}.html" for b in briefs]
                    + [f"consultations/{c.slug}.html" for c in consultations],
                    "scope": data.scope.describe(),
                    "tables": [f"data/{table.name}.csv" for table in tables],
                    # every file of the report: what the next build may replace, and nothing else
                    "files": list_files(staging),
                },
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
    except BaseException:
        discard(staging)
        raise
    publish(plan)
    return out_dir / "index.html"


def _same_slug(briefs: list[Any]) -> list[str]:
    by_slug: dict[str, list[str]] = {}
    for brief in briefs:
        by_slug.setdefault(brief.slug, []).append(str(brief.code))
    return [f"{' and '.join(map(repr, codes))} ({slug})" for slug, codes in by_slug.items() if len(codes) > 1]


__all__ = ["build_report"]
