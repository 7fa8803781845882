"""``joinfeedback schedule``: crawl → analyze → report on a cron expression, in the foreground.

The crawl is preceded once a day by ``crawl --check`` (:mod:`joinfeedback.ops.site_check`): when the site no
longer gives what a crawl requires, the chain stops there and ``status`` says so.

Each step is a ``python -m joinfeedback …`` subprocess: Scrapy's Twisted reactor cannot be restarted in one
process, and a child that crashes cannot take the scheduler down with it. Chains never overlap: APScheduler
runs at most one instance, and each chain holds the database's ``schedule`` lock (a second scheduler on
the same database skips its turn), while each step takes its own ``crawl``/``analysis`` lock.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobEvent
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from base.errors import UserError
from joinfeedback.config import Config, child_environment
from joinfeedback.cron import parse_cron
from joinfeedback.ops.lock import LOCKED_EXIT_CODE, run_lock
from joinfeedback.ops.logging import bind, context_environment
from joinfeedback.ops.site_check import finish_check, passed_today, start_check

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 120  # how long a step may take to wind down after SIGINT before it is killed


@dataclass(frozen=True, slots=True)
class Step:
    """One command of the chain. A ``site_check`` step is ``crawl --check --json``: skipped when a check
    passed earlier the same day, its outcome stored for ``status``."""

    name: str
    argv: tuple[str, ...]
    site_check: bool = False


@dataclass(frozen=True, slots=True)
class StepResult:
    name: str
    exit_code: int
    seconds: float


@dataclass(frozen=True, slots=True)
class ChainResult:
    number: int
    started_at: datetime
    steps: tuple[StepResult, ...]
    skipped: str = ""  # why the chain did not run (another scheduler held the lock)
    error: str = ""  # why it could not start (e.g. the database is unreachable)

    @property
    def ok(self) -> bool:
        return not self.skipped and not self.error and all(s.exit_code == 0 for s in self.steps)


@dataclass(slots=True)
class ScheduleSummary:
    chains: list[ChainResult] = field(default_factory=list)
    stopped_by: str = ""

    @property
    def exit_code(self) -> int:
        """0 when the last chain that ran succeeded (or none ran), else 1."""
        ran = [c for c in self.chains if not c.skipped]
        return 0 if not ran or ran[-1].ok else 1


def default_steps() -> list[Step]:
    """the daily site check → crawl → analyze → report, each with the settings of this process (passed
    through the environment)."""
    command = (sys.executable, "-m", "joinfeedback")
    return [
        Step("check", (*command, "crawl", "--check", "--json"), site_check=True),
        Step("crawl", (*command, "crawl")),
        Step("analyze", (*command, "analyze")),
        Step("report", (*command, "report")),
    ]


class _Chain:
    """Runs the steps once per call; knows the running child so that a stop request can reach it."""

    def __init__(
        self,
        config: Config,
        steps: Sequence[Step],
        stop: threading.Event,
        max_runs: int | None,
        summary: ScheduleSummary,
    ) -> None:
        self.config, self.steps, self.stop, self.max_runs, self.summary = (
            config,
            steps,
            stop,
            max_runs,
            summary,
        )
        self.child: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()
        self.env = child_environment(config)

    def __call__(self) -> None:
        if self.stop.is_set():
            return
        number = len(self.summary.chains) + 1
        started = datetime.now(ZoneInfo(self.config.timezone))
        with bind(schedule_run=number):
            result = self._run(number, started)
        self.summary.chains.append(result)
        if self.max_runs is not None and len(self.summary.chains) >= self.max_runs:
            self.summary.stopped_by = self.summary.stopped_by or f"max_runs={self.max_runs}"
            self.stop.set()

    def _run(self, number: int, started: datetime) -> ChainResult:
        from storage.db import open_database

        try:
            engine = open_database(self.config.db_url)
        except UserError as exc:  # the database may be back next time: keep the schedule alive
            log.error("chain %d could not start: %s", number, exc)
            return ChainResult(number, started, (), error=str(exc))
        try:
            with run_lock(engine, "schedule"):
                log.info("chain %d started", number)
                results = self._steps(engine)
        except UserError as exc:
            if exc.exit_code != LOCKED_EXIT_CODE:
                raise
            log.warning("chain %d skipped: %s", number, exc)
            return ChainResult(number, started, (), skipped=str(exc))
        finally:
            engine.dispose()
        outcome = "ok" if all(r.exit_code == 0 for r in results) else "failed"
        log.info(
            "chain %d %s: %s",
            number,
            outcome,
            ", ".join(f"{r.name}={r.exit_code} ({r.seconds:.1f} s)" for r in results),
        )
        return ChainResult(number, started, tuple(results))

    def _steps(self, engine: Engine) -> list[StepResult]:
        results: list[StepResult] = []
        for step in self.steps:
            if self.stop.is_set() and results:
                break
            if step.site_check and passed_today(engine, datetime.now(ZoneInfo(self.config.timezone))):
                log.info("site check: passed earlier today, not repeated")
                continue
            began = time.monotonic()
            with bind(step=step.name):
                code = self._site_check(engine, step) if step.site_check else self._spawn(step)[0]
            results.append(StepResult(step.name, code, time.monotonic() - began))
            if code == LOCKED_EXIT_CODE:
                log.warning("step %s skipped: the database is busy with another %s", step.name, step.name)
            if code != 0:
                break  # crawling a changed site loses data; analysing a failed crawl shows stale data as new
        return results

    def _site_check(self, engine: Engine, step: Step) -> int:
        run_id = start_check(engine, self.config.base_url)
        code, output = self._spawn(step, capture=True)
        summary = finish_check(engine, run_id, code, output)
        if code == 0:
            log.info("site check #%d: %s", run_id, summary)
        else:
            log.error("site check #%d: %s; the crawl waits for a check that passes", run_id, summary)
        return code

    def _spawn(self, step: Step, *, capture: bool = False) -> tuple[int, str]:
        """Run ``step``; its exit code, and its standard output when ``capture``."""
        with self.lock:
            # A session of its own: a Ctrl-C on the terminal reaches only the scheduler, which forwards one
            # SIGINT (Scrapy treats a second one as "stop now, drop everything").
            env = {**self.env, **context_environment()}  # the step's log lines say which chain and step
            self.child = subprocess.Popen(
                step.argv, env=env, start_new_session=True, stdout=subprocess.PIPE if capture else None
            )
        try:
            output, _ = self.child.communicate()
            return self.child.returncode, (output or b"").decode("utf-8", errors="replace")
        finally:
            with self.lock:
                self.child = None

    def interrupt(self) -> None:
        """Ask the running step to wind down; kill it if it does not within the grace period."""
        with self.lock:
            child = self.child
        if child is None or child.poll() is not None:
            return
        log.info("asking %s (pid %d) to stop", child.args, child.pid)
        child.send_signal(signal.SIGINT)
        try:
            child.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning("step pid %d did not stop in %d s; killing it", child.pid, STOP_GRACE_SECONDS)
            child.kill()


def run_schedule(
    config: Config,
    cron: str | None = None,
    *,
    max_runs: int | None = None,
    stop_event: threading.Event | None = None,
    steps: Sequence[Step] | None = None,
    on_chain: Callable[[ChainResult], None] | None = None,
) -> ScheduleSummary:
    """Run the chain each time ``cron`` fires until SIGINT/SIGTERM, ``stop_event``, or ``max_runs`` chains.

    ``cron`` defaults to ``config.cron``: 5 fields, or 6 with seconds first (``*/5 * * * * *``).
    """
    expression = cron or config.cron
    trigger = parse_cron(expression, config.timezone)
    if max_runs is not None and max_runs < 1:
        raise UserError(f"--max-runs must be at least 1, got {max_runs}")
    stop = stop_event or threading.Event()
    summary = ScheduleSummary()
    chain = _Chain(config, steps or default_steps(), stop, max_runs, summary)

    def job() -> None:
        chain()
        if on_chain is not None and summary.chains:
            on_chain(summary.chains[-1])

    scheduler = BackgroundScheduler(timezone=ZoneInfo(config.timezone))
    scheduler.add_job(job, trigger, id="chain", max_instances=1, coalesce=True, misfire_grace_time=None)

    def busy(event: JobEvent) -> None:
        log.info(
            "schedule fired at %s while the previous chain still runs: skipped", event.scheduled_run_times
        )

    scheduler.add_listener(busy, EVENT_JOB_MAX_INSTANCES)
    restore = _install_signal_handlers(stop, summary)
    scheduler.start()
    job_ = scheduler.get_job("chain")
    log.info(
        "schedule started: cron %r (%s), first run at %s",
        expression,
        config.timezone,
        job_.next_run_time.isoformat(timespec="seconds") if job_ and job_.next_run_time else "never",
    )
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:  # signal handlers not installed (not the main thread)
        summary.stopped_by = summary.stopped_by or "KeyboardInterrupt"
    finally:
        stop.set()
        chain.interrupt()
        scheduler.shutdown(wait=True)
        restore()
    summary.stopped_by = summary.stopped_by or "stop requested"
    log.info("schedule stopped (%s) after %d chains", summary.stopped_by, len(summary.chains))
    return summary


def _install_signal_handlers(stop: threading.Event, summary: ScheduleSummary) -> Callable[[], None]:
    """SIGINT/SIGTERM set ``stop`` (only the main thread may install handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, _frame: FrameType | None) -> None:
        summary.stopped_by = summary.stopped_by or signal.Signals(signum).name
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


__all__ = ["ChainResult", "ScheduleSummary", "Step", "StepResult", "default_steps", "run_schedule"]
