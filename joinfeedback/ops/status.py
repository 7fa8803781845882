"""``joinfeedback status``: what the last crawl and analysis did, what is running, when the next run is.

Exit code 0 when the last crawl and the last analysis succeeded (or nothing ran yet), 1 when either failed,
was interrupted, or says "running" although nobody holds its lock (the process died); also 1 when the last
crawl was ``partial`` (pages given up on) or the last analysis analysed no item, unless ``allow_partial``;
and 1 when the scheduler's latest site check failed and no crawl has run since.
A cron line ``joinfeedback status || notify`` then fires for every run that needs a look.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from base.display import redact
from base.errors import UserError
from joinfeedback.config import Config
from joinfeedback.cron import next_fire_time
from joinfeedback.ops.lock import is_locked
from joinfeedback.ops.site_check import KIND
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
    if crawls:
        state = _effective_state(crawls[0].status, running_alive=is_locked(engine, "crawl"))
        lines += _crawl_lines(crawls[0], state, tz, now)
        problems += _crawl_problems(crawls[0], state, allow_partial)
    else:
        lines.append("last crawl: none yet")
    checks = latest_crawl_runs(engine, kind=KIND)
    if checks:  # only where the scheduler runs the daily site check
        state = _effective_state(checks[0].status, running_alive=is_locked(engine, "schedule"))
        lines += _check_lines(checks[0], state, tz, now)
        problems += _check_problems(checks[0], state, crawls[0] if crawls else None)
    analyses = latest_analysis_runs(engine)
    if analyses:
        state = _effective_state(analyses[0].status, running_alive=is_locked(engine, "analysis"))
        found = _analysis_problems(analyses[0], state, allow_partial)
        lines += _analysis_lines(analyses[0], state, crawls[0] if crawls else None, tz, now, found)
        problems += found
    else:
        lines.append("last analysis: none yet")
    lines.append(_schedule_line(config, now))
    if problems:
        lines.append("status: FAILED — " + "; ".join(problems))
        return "\n".join(lines), FAILED
    lines.append("status: ok")
    return "\n".join(lines), OK


def _crawl_lines(crawl: CrawlRun, state: str, tz: ZoneInfo, now: datetime) -> list[str]:
    lines = [
        f"last crawl: #{crawl.id} {state} — {_span(crawl.started_at, crawl.finished_at, tz, now)}",
        f"  site {redact(crawl.base_url)}" + (f", spiders {crawl.spiders}" if crawl.spiders else ""),
        f"  {crawl.pages} pages from {crawl.requests} requests; items {crawl.items_new} new, "
        f"{crawl.items_updated} updated, {crawl.items_unchanged} unchanged; "
        f"{len(crawl.errors or [])} failures",
    ]
    lines += [f"    {_failure(failure)}" for failure in (crawl.errors or [])[:3]]
    warnings: list[Mapping[str, object]] = list(crawl.warnings or [])
    if warnings:
        total = sum(_warning_count(w) for w in warnings)
        lines.append(
            f"  {total} warnings: fields the pages did not give, stored empty (the crawl still counts "
            "as finished; `joinfeedback crawl --check` shows what each page type gives)"
        )
        lines.extend(f"    {line}" for line in describe_warnings(warnings))
    if crawl.message:
        lines.append(f"  message: {crawl.message.strip().splitlines()[0]}")
    return lines


def _crawl_problems(crawl: CrawlRun, state: str, allow_partial: bool) -> list[str]:
    if state in FAILED_STATUSES or state.startswith("died"):
        return [f"crawl #{crawl.id} {state}"]
    if state == "partial" and not allow_partial:
        return [
            f"crawl #{crawl.id} partial: {len(crawl.errors or [])} URLs given up on, "
            f"{crawl.pages} pages from {crawl.requests} requests"
        ]
    return []


def _check_lines(check: CrawlRun, state: str, tz: ZoneInfo, now: datetime) -> list[str]:
    lines = [f"last site check: #{check.id} {state} — {_span(check.started_at, check.finished_at, tz, now)}"]
    if check.message:
        lines.append(f"  {check.message.strip().splitlines()[0]}")
    lines += [f"    {_failure(failure)}" for failure in (check.errors or [])[:3]]
    return lines


def _check_problems(check: CrawlRun, state: str, last_crawl: CrawlRun | None) -> list[str]:
    """A failed check is a problem until a crawl runs after it (the scheduler skips the crawl meanwhile)."""
    if state in ("finished", "running"):
        return []
    if last_crawl is not None and _aware(last_crawl.started_at) > _aware(check.started_at):
        return []
    return [f"site check #{check.id} {state}: the scheduled crawl waits for a check that passes"]


def _analysis_lines(
    run: AnalysisRun,
    state: str,
    last_crawl: CrawlRun | None,
    tz: ZoneInfo,
    now: datetime,
    problems: list[str],
) -> list[str]:
    lines = [
        f"last analysis: #{run.id} {state} — {_span(run.started_at, run.finished_at, tz, now)}",
        f"  {run.n_items} items, catalogue {run.catalogue or '(default)'}, seed {run.seed}",
    ]
    older = (
        last_crawl is not None
        and run.status == "complete"
        and _aware(run.started_at) < _aware(last_crawl.started_at)
    )
    if older and not problems:  # a problem line says more than "older"
        lines.append("  (older than the last crawl: the next analysis will include newer data)")
    return lines


def _analysis_problems(run: AnalysisRun, state: str, allow_partial: bool) -> list[str]:
    if state in FAILED_STATUSES or state.startswith("died"):
        return [f"analysis #{run.id} {state}"]
    if run.status == "complete" and not run.n_items and not allow_partial:
        return [f"analysis #{run.id} analysed no item (is the database empty? crawl or import first)"]
    return []


def _schedule_line(config: Config, now: datetime) -> str:
    try:
        fire = next_fire_time(config.cron, config.timezone, after=now)
    except UserError as exc:
        return f"next scheduled run: unknown ({exc})"
    return (
        f"next scheduled run: {fire.isoformat(timespec='seconds')} "
        f"(cron {config.cron!r}, {config.timezone}; only while `joinfeedback schedule` "
        "or a cron/systemd timer runs)"
    )


def describe_warnings(warnings: Iterable[Mapping[str, object]], *, per_type: int = 3) -> list[str]:
    """Lines for people: per page type the total and its fields, then the first example pages.

    Each warning is an entry of a crawl run's stored ``warnings`` (see ``crawler.shape_warnings``)."""
    by_type: dict[str, list[Mapping[str, object]]] = {}
    for entry in warnings:
        by_type.setdefault(str(entry.get("page_type")), []).append(entry)
    lines = []
    for page_type, entries in sorted(by_type.items()):
        fields = ", ".join(f"{e.get('field')} ×{e.get('count')}" for e in entries)
        lines.append(f"{page_type}: {sum(_warning_count(e) for e in entries)} warnings ({fields})")
        examples = list(dict.fromkeys(u for e in entries for u in _warning_examples(e)))[:per_type]
        for entry in entries[:per_type]:
            lines.append(f"  {entry.get('field')} not found, tried {entry.get('tried')}")
        for url in examples:
            lines.append(f"  e.g. {url}")
    return lines


def _warning_count(entry: Mapping[str, object]) -> int:
    count = entry.get("count", 0)
    if not isinstance(count, int | float | str):
        raise TypeError(f"a stored crawl warning's count is not a number: {count!r}")
    return int(count)


def _warning_examples(entry: Mapping[str, object]) -> list[object]:
    examples = entry.get("examples", [])
    if not isinstance(examples, list):
        raise TypeError(f"a stored crawl warning's examples are not a list: {examples!r}")
    return examples


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
