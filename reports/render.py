"""The Jinja2 environment: autoescape always on, and filters that keep user text inert and links http(s)."""

from __future__ import annotations

import re
from datetime import date, datetime
from importlib import resources
from typing import SupportsFloat

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from reports.charts import Chart
from reports.i18n import Translator
from reports.model import SMALL_N, fmt_day
from reports.textsafety import make_inert, safe_url

TEMPLATES = resources.files("reports") / "templates"
INTERNAL_LINK = re.compile(
    r"^(?:(?:commitments|consultations|briefs|data)/)?[a-z0-9][a-z0-9._-]*\.(?:html|csv|json|md|pdf)$"
)
RATIO_KEYS = {"share", "progress"}


def _inert(value: object) -> str:
    return "" if value is None else make_inert(str(value))


def _href(value: object, root: str = "") -> str | None:
    """Our own relative page links (prefixed with ``root``), or an http(s) URL; anything else → no link."""
    text = "" if value is None else str(value)
    if INTERNAL_LINK.fullmatch(text):
        return root + text
    return safe_url(text)


def _pct(value: object) -> str:
    if value is None:
        return "—"
    if not isinstance(value, SupportsFloat | str):
        raise TypeError(f"not a ratio: {value!r}")
    return f"{float(value):.1%}"


def _num(value: object, key: str | None = None) -> str:
    if value is None or value == "":
        return "—"
    if key in RATIO_KEYS:
        return _pct(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    return _inert(value)


def _day(value: datetime | date | None) -> str:
    return fmt_day(value) or "—"


def _stamp_day(value: datetime | None) -> str:
    """A bookkeeping time (run, crawl, snapshot), written as UTC."""
    return fmt_day(value, naive_is_utc=True) or "—"


def _svg(chart: Chart | None) -> Markup:
    # Only ever our own matplotlib output (text drawn as paths), never user input.
    return Markup(chart.svg if chart else "")  # noqa: S704


def make_environment(t: Translator, **globals_: object) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(inert=_inert, href=_href, pct=_pct, num=_num, day=_day, stamp_day=_stamp_day, svg=_svg)
    css = (TEMPLATES / "style.css").read_text(encoding="utf-8")
    env.globals.update(t=t, lang=t.html_lang, css=Markup(css), small_n=SMALL_N, **globals_)  # noqa: S704
    return env


__all__ = ["make_environment"]
