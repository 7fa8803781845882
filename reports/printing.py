"""Printable briefs: Markdown and A4 PDF (WeasyPrint, Noto Sans CJK TC embedded), quotes redacted."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jinja2 import Environment

from reports.i18n import Translator
from reports.model import SMALL_N, Brief, Quote
from reports.textsafety import make_inert, safe_url
from storage.queries.runs import RunInfo

log = logging.getLogger(__name__)
PRINT_THEMES = 5
PRINT_QUOTES = 2
MD_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")  # meaningful anywhere in a line
MD_LINE_START = re.compile(r"^(\s*\d*)([#+\-=>.)])")  # list/heading/quote markers only matter at line start


def md_text(text: str) -> str:
    """User or catalogue text as literal Markdown: controls made visible, metacharacters escaped."""
    escaped = MD_INLINE.sub(r"\\\1", make_inert(text))
    return "\n".join(
        MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), line) for line in escaped.split("\n")
    )


def _md_quote(t: Translator, quote: Quote) -> list[str]:
    body = [f"> {md_text(line) if line.strip() else ''}" for line in quote.print_text.splitlines() or [""]]
    if quote.cut:
        body[-1] += "…"
    source = f"{t('kind_' + quote.kind)} {md_text(quote.item_id)}"
    copies = f"{t('quote_copies', n=f'{quote.copies:,}')} · " if quote.copies > 1 else ""
    url = safe_url(quote.url)
    if url:
        # Angle-bracket destination: parentheses and spaces in the URL cannot end the link early.
        source = f"[{source}](<{url.replace('<', '%3C').replace('>', '%3E')}>)"
    return [*body, f"> — {copies}{source}", ""]


def _md_header(brief: Brief, t: Translator, run_id: int, run_finished: str, scope_text: str) -> list[str]:
    lines = [
        f"# {md_text(t('brief_heading', code=brief.code, title=brief.title))}",
        "",
        f"*{t('brief_label')} · {md_text(t('generated_from', run_id=run_id, finished=run_finished))}*",
        "",
        f"**{md_text(scope_text)}**",
        "",
    ]
    if brief.description:
        lines += [md_text(brief.description), ""]
    return lines


def _md_key_numbers(brief: Brief, t: Translator) -> list[str]:
    lines = [
        f"## {t('key_numbers')}",
        "",
        f"- {t('kn_raw')}{t('colon')}{brief.raw:,}",
        f"- {t('kn_unique')}{t('colon')}{brief.unique:,}",
        f"- {t('kn_share')}{t('colon')}{brief.share_of_all:.1%}",
        f"- {t('kn_campaign_items')}{t('colon')}{brief.campaign_items:,}",
        f"- {t('kn_likes')}{t('colon')}{brief.likes:,}",
        f"- {t('kn_endorsements')}{t('colon')}{brief.endorsements:,}",
    ]
    if brief.low_confidence_share is not None:
        lines.append(f"- {t('kn_low_confidence')}{t('colon')}{brief.low_confidence_share:.0%}")
    lines.append("")
    if brief.raw == 0:
        lines += [f"**{t('no_input_warning')}**", ""]
    elif brief.small_n:
        lines += [f"**{t('small_n_warning', n=brief.unique, min=SMALL_N)}**", ""]
    return lines


def _md_themes(brief: Brief, t: Translator) -> list[str]:
    lines = [f"## {t('themes_heading')}", ""]
    for theme in brief.themes[:PRINT_THEMES]:
        delta = f" · {theme.delta:+d}" if theme.delta else ""
        size = t("paren", text=f"{t('theme_size', size=f'{theme.size:,}')} · {theme.share:.1%}{delta}")
        lines += [f"### {md_text(theme.label)}{size}", ""]
        for quote in theme.quotes[:PRINT_QUOTES]:
            lines += _md_quote(t, quote)
    if not brief.themes:
        lines += [t("none_found"), ""]
    if brief.support:
        lines += [t("support_note", n=f"{brief.support:,}"), ""]
    return lines


def _md_minority_and_campaigns(brief: Brief, t: Translator) -> list[str]:
    lines = []
    if brief.minority:
        lines += [f"## {t('minority_heading')}", ""]
        for theme in brief.minority[:2]:
            lines += [f"### {md_text(theme.label)}{t('paren', text=t('theme_size', size=theme.size))}", ""]
            for quote in theme.quotes[:1]:
                lines += _md_quote(t, quote)
    if brief.campaigns:
        lines += [f"## {t('commitment_campaigns_heading')}", ""]
        for campaign in brief.campaigns[:2]:
            lines += [t("campaign_note", size=f"{campaign.size:,}"), ""]
            if campaign.quote:
                lines += _md_quote(t, campaign.quote)
    return lines


def _md_agency_answers(brief: Brief, t: Translator) -> list[str]:
    """The formal responses to the commitment's proposals, then the replies posted on its comments."""
    lines = []
    if brief.responses.rows:
        lines += [f"## {t('related_responses_heading')}", ""]
        for row in brief.responses.rows[:4]:
            days_taken = row.get("days_taken")
            days = t("paren", text=t("days_n", n=days_taken)) if days_taken is not None else ""
            who = f"{md_text(str(row['proposal']))} — {md_text(str(row['agency']))}"
            lines.append(f"- {who}{t('colon')}{row['state']}{days}")
        lines.append("")
    if brief.agency_replies and brief.agency_replies.rows:
        lines += [f"## {brief.agency_replies.title}", "", t("agency_replies_note"), ""]
        for row in brief.agency_replies.rows[:4]:
            lines.append(f"- {md_text(str(row['account']))}（{row['date']}）：{md_text(str(row['reply']))}")
        lines.append("")
    return lines


def _md_workshop(brief: Brief, t: Translator) -> list[str]:
    """Questions, prompts, and what changed since the previous run."""
    lines = [f"## {t('questions_heading')}", ""] + [f"- {md_text(q)}" for q in brief.questions] + [""]
    lines += [f"## {t('prompts_heading')}", ""]
    lines += [f"{n}. {md_text(p)}" for n, p in enumerate(brief.prompts, start=1)] + [""]
    lines += [f"## {t('changes_heading')}", ""]
    if brief.changes.previous_run_id is None:
        lines += [t("changes_none"), ""]
    else:
        lines += [
            t("changes_new_items", n=f"{brief.changes.new_items:,}", run_id=brief.changes.previous_run_id),
            "",
        ]
    return lines


def brief_markdown(brief: Brief, t: Translator, *, run_id: int, run_finished: str, scope_text: str) -> str:
    """A brief as Markdown; ``scope_text`` says what the report covers (``reports.site.describe_scope``)."""
    lines = _md_header(brief, t, run_id, run_finished, scope_text)
    lines += _md_key_numbers(brief, t)
    lines += _md_themes(brief, t)
    lines += _md_minority_and_campaigns(brief, t)
    lines += _md_agency_answers(brief, t)
    lines += _md_workshop(brief, t)
    return "\n".join(lines)


def _footer(t: Translator, brief: Brief, run_id: int) -> str:
    # Goes into a CSS string in @page: only characters that need no escaping there.
    return t("print_footer", code=re.sub(r"[^A-Za-z0-9._-]", "", brief.code), run_id=run_id)


def brief_print_html(
    env: Environment, brief: Brief, t: Translator, *, run: RunInfo, run_finished: str
) -> str:
    return env.get_template("brief_print.html.j2").render(
        b=brief,
        footer=_footer(t, brief, run.id),
        print_themes=PRINT_THEMES,
        print_quotes=PRINT_QUOTES,
        run=run,
        run_finished=run_finished,
    )


class _ToDebugLog(logging.Handler):
    """Passes a library's records on as ``reports.printing`` DEBUG lines (errors keep their level)."""

    def emit(self, record: logging.LogRecord) -> None:
        level = record.levelno if record.levelno >= logging.ERROR else logging.DEBUG
        log.log(level, "%s: %s", record.name, record.getMessage())


@contextmanager
def _library_notes_in_debug_log() -> Iterator[None]:
    """WeasyPrint's and fontTools' warnings (unsupported CSS, font subsetting) are notes for a developer
    (``--debug``), not for the person running the demo."""
    handler = _ToDebugLog()
    loggers = [logging.getLogger(name) for name in ("weasyprint", "fontTools")]
    saved = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        for logger, propagate in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.propagate = propagate
    for warning in caught:
        log.debug("%s: %s", warning.category.__name__, warning.message)


def write_pdfs(pages: list[tuple[Path, str]]) -> None:
    """Render each HTML string to an A4 PDF; fonts are subset and embedded by WeasyPrint."""
    with _library_notes_in_debug_log():
        from weasyprint import HTML
        from weasyprint.text.fonts import FontConfiguration

        fonts = FontConfiguration()  # shared: the CJK face is loaded once for all briefs
        for path, html in pages:
            HTML(string=html, base_url=None).write_pdf(path, font_config=fonts)


__all__ = ["brief_markdown", "brief_print_html", "md_text", "write_pdfs"]
