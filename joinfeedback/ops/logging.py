"""Structured logs: ``key=value`` lines (``text``) or JSON lines (``json``) carrying the run ids.

Run ids travel in a context variable: ``with bind(crawl_run=12): ...`` puts ``crawl_run=12`` on every line
logged inside the block (also from libraries such as Scrapy); ``extra={"crawl_run": 12}`` works per call.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from types import TracebackType

from base.display import printable, redact
from joinfeedback.config import LOG_CONTEXT_ENV, inherited_log_context
from joinfeedback.ops import progress

HANDLER_NAME = "joinfeedback"
# What logging passes to Formatter.formatException: sys.exc_info()'s triple.
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
# Attributes callers may pass with ``extra=``, shown as fields when present.
KNOWN_FIELDS = ("crawl_run", "analysis_run", "schedule_run", "step", "spider", "url", "pid")

_inherited: dict[str, object] = {}
_fields: ContextVar[dict[str, object]] = ContextVar("joinfeedback_log_fields", default={})  # noqa: B039


@contextmanager
def bind(**fields: object) -> Iterator[None]:
    """Add ``fields`` to every log line emitted inside the block (nested blocks add up)."""
    token = _fields.set({**_fields.get(), **fields})
    try:
        yield
    finally:
        _fields.reset(token)


def record_fields(record: logging.LogRecord) -> dict[str, object]:
    fields = {**_inherited, **_fields.get()}
    for name in KNOWN_FIELDS:
        value = getattr(record, name, None)
        if value is not None:
            fields[name] = getattr(value, "name", value)  # Scrapy passes the spider object
    if "crawl_run" not in fields:
        # Scrapy's own lines carry the spider; crawler.run puts the crawl run id in the crawl's settings.
        settings = getattr(getattr(getattr(record, "spider", None), "crawler", None), "settings", None)
        run_id = settings.get("JOINFEEDBACK_RUN_ID") if settings is not None else None
        if run_id is not None:
            fields = {"crawl_run": run_id, **fields}
    return fields


def context_environment() -> dict[str, str]:
    """The bound fields as an environment variable, so a child process's lines carry them too."""
    fields = {**_inherited, **_fields.get()}
    return {LOG_CONTEXT_ENV: json.dumps(fields, default=str)} if fields else {}


def _read_inherited() -> dict[str, object]:
    try:
        value = json.loads(inherited_log_context() or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


def _logfmt_value(value: object) -> str:
    text = redact(str(value))
    if text == "" or any(c in text for c in ' ="\\\n\t'):
        text = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return printable(text)  # one line per record, whatever a message echoes


class _FieldsFormatter(logging.Formatter):
    """The fields every line carries, in order: time, level, logger, run ids, message, error.

    ``error`` is the exception's one line (type and message); its traceback only with ``tracebacks``
    (``--debug``): a library that logs a failure with its stack (Scrapy's robots.txt middleware, a refused
    connection) must not turn a log line into forty.
    """

    def __init__(self, *, tracebacks: bool = False) -> None:
        super().__init__()
        self.tracebacks = tracebacks

    def formatException(self, ei: ExcInfo) -> str:
        if self.tracebacks or ei[0] is None:
            return super().formatException(ei)
        return "".join(traceback.format_exception_only(ei[0], ei[1])).strip()

    def fields(self, record: logging.LogRecord) -> dict[str, object]:
        fields: dict[str, object] = {
            "time": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            **record_fields(record),
            "msg": redact(record.getMessage()),
        }
        if record.exc_info:
            fields["error"] = redact(self.formatException(record.exc_info))
        return fields


class KeyValueFormatter(_FieldsFormatter):
    """``time=… level=info logger=… crawl_run=12 msg="…"`` (logfmt), greppable and still readable."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in self.fields(record).items())


class JsonFormatter(_FieldsFormatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(self.fields(record), ensure_ascii=False, default=str)


class ConsoleHandler(logging.Handler):
    """Writes through the console the progress bars use, so both can share a terminal."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            progress.console().print(self.format(record), markup=False, highlight=False, soft_wrap=True)
        except Exception:
            self.handleError(record)


def setup(
    level: str = "INFO", fmt: str = "text", quiet: bool = False, *, tracebacks: bool = False
) -> logging.Handler:
    """Configure the root logger once for the process (calling again replaces the earlier set-up).

    ``quiet`` hides progress bars and everything below WARNING: cron mails only what went wrong.
    ``tracebacks`` (``--debug``) logs an exception's traceback, not only its one line.
    """
    progress.set_quiet(quiet)
    _inherited.clear()
    _inherited.update(_read_inherited())
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    if quiet:
        numeric = max(numeric, logging.WARNING)
    interactive = progress.interactive(quiet)
    handler: logging.Handler = ConsoleHandler() if interactive else logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    # the handler filters too: Scrapy resets the root logger's level to NOTSET when a crawl starts
    handler.setLevel(numeric)
    formatter = JsonFormatter if fmt == "json" else KeyValueFormatter
    handler.setFormatter(formatter(tracebacks=tracebacks))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    # Chatty libraries: their INFO is our DEBUG.
    for noisy in ("alembic", "urllib3", "asyncio", "filelock", "jieba"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    # APScheduler warns about every skipped overlapping firing; joinfeedback.ops.schedule says it briefly.
    logging.getLogger("apscheduler").setLevel(max(numeric, logging.ERROR))
    return handler


__all__ = ["JsonFormatter", "KeyValueFormatter", "bind", "context_environment", "setup"]
