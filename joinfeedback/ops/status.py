"""``joinfeedback status``: what the last crawl and analysis did, what is running, when the next run is.

Exit code 0 when the last crawl and the last analysis succeeded (or nothing ran yet), 1 when either failed,
was interrupted, or says "running" although nobody holds its lock (the process died); also 1 when the last
crawl was ``partial`` (pages given up on) or the last analysis analysed no item, unless ``allow_partial``.
A cron line ``joinfeedback status || notify`` then fires for every run that needs a look.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from joinfeedback.config import Config
from joinfeedback.display import redact
from joinfeedback.errors import UserError
from joinfeedback.ops.cron import next_fire_time
from joinfeedback.ops.lock import is_locked
from storage.models import AnalysisRun, CrawlRun
from storage.run_status import latest_analysis_runs, latest_crawl_runs

OK, FAILED = 0, 1
FAILED_STATUSES = {"failed", "interrupted"}


def status_report(
    engine: Engine, config: Config, *, now: datetime | None = None, allow_partial: bool = False
) -> tuple[str, int]:
    """Printable status and the exit code (0 healthy, 1 the last run failed, died, or, unless
    ``allow_partial``, was partial or analysed nothing)."""
    tz = ZoneInfo(config.timezone)
    now = now or datetime.now(tz)
    lines = [f"database: {redact(engine.url.render_as_string(hide_password=False))}"]
    problems: list[str] = []

    crawls = latest_crawl_runs(engine)
    if not crawls:
        lines.append("last crawl: none yet")
    else:
        crawl = crawls[0]
        state = _effective_state(crawl.status, running_alive=is_locked(engine, "crawl"))
        lines.append(
            f"last crawl: #{crawl.id} {state} — {_span(crawl.started_at, crawl.finished_at, tz, now)}"
        )
        lines.append(
            f"  site {redact(crawl.base_url)}" + (f", spiders {crawl.spiders}" if crawl.spiders else "")
        )
        lines.append(
            f"  {crawl.pages} pages from {crawl.requests} requests; items {crawl.items_new} new, "
            f"{crawl.items_updated} updated, {crawl.items_unchanged} unchanged; "
            f"{len(crawl.errors or [])} failures"
        )
        for failure in (crawl.errors or [])[:3]:
            lines.append(f"    {_failure(failure)}")
        warnings = list(getattr(crawl, "warnings", None) or [])
        if warnings:
            total = sum(int(w.get("count", 0)) for w in warnings)
            lines.append(
                f"  {total} warnings: fields the pages did not give, stored empty (the crawl still counts "
                "as finished; `joinfeedback crawl --check` shows what each page type gives)"
            )
            lines.extend(f"    {line}" for line in describe_warnings(warnings))
        if crawl.message:
            lines.append(f"  message: {crawl.message.strip().splitlines()[0]}")
        if state in FAILED_STATUSES or state.startswith("died"):
            problems.append(f"crawl #{crawl.id} {state}")
        elif state == "partial" and not allow_partial:
            problems.append(
                f"crawl #{crawl.id} partial: {len(crawl.errors or [])} URLs given up on, "
                f"{crawl.pages} pages from {crawl.requests} requests"
            )

    analyses = latest_analysis_runs(engine)
    if not analyses:
        lines.append("last analysis: none yet")
    else:
        run = analyses[0]
        state = _effective_state(run.status, running_alive=is_locked(engine, "analysis"))
        lines.append(f"last analysis: #{run.id} {state} — {_span(run.started_at, run.finished_at, tz, now)}")
        lines.append(f"  {run.n_items} items, catalogue {run.catalogue or '(default)'}, seed {run.seed}")
        if state in FAILED_STATUSES or state.startswith("died"):
            problems.append(f"analysis #{run.id} {state}")
        elif run.status == "complete" and not run.n_items and not allow_partial:
            problems.append(
                f"analysis #{run.id} analysed no item (is the database empty? crawl or import first)"
            )
        elif crawls and run.status == "complete" and _aware(run.started_at) < _aware(crawls[0].started_at):
            lines.append("  (older than the last crawl: the next analysis will include newer data)")

    try:
        fire = next_fire_time(config.cron, config.timezone, after=now)
        lines.append(
            f"next scheduled run: {fire.isoformat(timespec='seconds')} "
            f"(cron {config.cron!r}, {config.timezone}; only while `joinfeedback schedule` "
            "or a cron/systemd timer runs)"
        )
    except UserError as exc:
        lines.append(f"next scheduled run: unknown ({exc})")

    if problems:
        lines.append("status: FAILED — " + "; ".join(problems))
        return "\n".join(lines), FAILED
    lines.append("status: ok")
    return "\n".join(lines), OK


def describe_warnings(warnings: Iterable[Mapping[str, Any]], *, per_type: int = 3) -> list[str]:
    """Lines for people: per page type the total and its fields, then the first example pages."""
    by_type: dict[str, list[Mapping[str, Any]]] = {}
    for entry in warnings:
        by_type.setdefault(str(entry.get("page_type")), []).append(entry)
    lines = []
    for page_type, entries in sorted(by_type.items()):
        fields = ", ".join(f"{e.get('field')} ×{e.get('count')}" for e in entries)
        lines.append(f"{page_type}: {sum(int(e.get('count', 0)) for e in entries)} warnings ({fields})")
        examples = list(dict.fromkeys(u for e in entries for u in e.get("examples", [])))[:per_type]
        for entry in entries[:per_type]:
            lines.append(f"  {entry.get('field')} not found, tried {entry.get('tried')}")
        for url in examples:
            lines.append(f"  e.g. {url}")
    return lines


def latest_crawl(engine: Engine) -> CrawlRun | None:
    runs = latest_crawl_runs(engine)
    return runs[0] if runs else None


def latest_analysis(engine: Engine) -> AnalysisRun | None:
    runs = latest_analysis_runs(engine)
    return runs[0] if runs else None


def _effective_state(status: str, *, running_alive: bool) -> str:
    if status == "running" and not running_alive:
        return "died (marked running, but no process holds its lock)"
    return status


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def _span(started: datetime, finished: datetime | None, tz: ZoneInfo, now: datetime) -> str:
    start = _aware(started).astimezone(tz)
    if finished is None:
        return f"started {start.isoformat(timespec='seconds')}, running for {_duration(now - start)}"
    return f"started {start.isoformat(timespec='seconds')}, took {_duration(_aware(finished) - start)}"


def _duration(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def _failure(failure: object) -> str:
    if isinstance(failure, dict):
        return f"{failure.get('url', '?')}: {str(failure.get('error', '')).strip()[:160]}"
    return str(failure)[:200]


__all__ = ["FAILED", "OK", "latest_analysis", "latest_crawl", "status_report"]
