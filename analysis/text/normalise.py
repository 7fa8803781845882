"""Text normalisation for analysis: markup stripped, NFKC, Traditional script, single spaces, lower case.

The stored source text is never changed: these functions return new strings for analysis only.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Sequence

from analysis.parallel import fork_map, fork_workers
from analysis.text.traditional import load_converter, to_traditional

_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s\u3000-\u303f\uff01-\uff5e\"'<>]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_TAG = re.compile(r"<[^>]{0,500}>")
_MARKDOWN = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)")
_SPACE = re.compile(r"\s+")
# Every markup pattern above needs one of these; most comments hold none, and skip the four passes.
_MARKUP_HINT = re.compile(r"[<&\[@]|://|www\.", re.IGNORECASE)
# Full-width ASCII and the ideographic space, as NFKC maps them: most comments hold nothing else that
# NFKC changes (their "，" and "！"), and a translation table is cheaper than normalising (a test checks
# that the result equals NFKC's on every code point).
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# The same table applied by a regular expression: str.translate looks every character up in the dict,
# while comments hold a few full-width characters among dozens (docs/benchmarks.md).
_FULL_WIDTH_CHARS = re.compile("[\uff01-\uff5e\u3000]")
_HALF_WIDTH_OF = {chr(code): chr(half) for code, half in _FULL_WIDTH.items()}


def strip_markup(text: str) -> str:
    """Remove HTML tags and entities, Markdown links (keeping their text), URLs and e-mail addresses."""
    if _MARKUP_HINT.search(text) is None:
        return text
    text = html.unescape(_TAG.sub(" ", text))
    text = _MARKDOWN.sub(lambda m: m.group(1) or " ", text)
    text = _URL.sub(" ", text)
    return _EMAIL.sub(" ", text)


def _half_width(match: re.Match[str]) -> str:
    return _HALF_WIDTH_OF[match[0]]


def normalise(text: str) -> str:
    """Markup stripped, NFKC (full-width → half-width), Traditional script, single spaces, lower case."""
    text = _FULL_WIDTH_CHARS.sub(_half_width, strip_markup(text))
    if not unicodedata.is_normalized("NFKC", text):  # a quick check, far cheaper than normalising
        text = unicodedata.normalize("NFKC", text)
    text = to_traditional(text)
    return _SPACE.sub(" ", text).strip().lower()


PARALLEL_MIN_NORMALISE = 20000  # distinct texts; below this, forking costs more than it saves


def _normalise_part(texts: list[str]) -> list[str]:
    return [normalise(t) for t in texts]


def normalise_many(texts: Sequence[str], *, meanwhile: Callable[[], object] | None = None) -> list[str]:
    """:func:`normalise` of each text (each distinct text once), over the CPU cores for large inputs.

    ``meanwhile`` is called in this process while the workers normalise (the analysis loads the
    segmenter's dictionary then, which would otherwise leave the cores idle); it is called in any case.
    """
    distinct = list(dict.fromkeys(texts))
    workers = fork_workers()
    if len(distinct) >= PARALLEL_MIN_NORMALISE and workers > 1:
        load_converter()  # once, before forking
        chunk = -(-len(distinct) // (workers * 2))
        parts = [distinct[i : i + chunk] for i in range(0, len(distinct), chunk)]
        results = [t for part in fork_map(_normalise_part, parts, workers, meanwhile=meanwhile) for t in part]
    else:
        if meanwhile is not None:
            meanwhile()
        results = [normalise(t) for t in distinct]
    normal_of = dict(zip(distinct, results, strict=True))
    return [normal_of[t] for t in texts]


__all__ = ["normalise", "normalise_many", "strip_markup"]
