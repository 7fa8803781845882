"""Making submitted text safe to show: link filtering, inert controls, redaction, verbatim quotes."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from base.errors import UserError

# Explicit bidi embeddings/overrides/isolates and marks: shown as visible code points so that a comment
# cannot reorder the text around it (the "RTL override" trick that disguises file names and links).
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# C0/C1 controls other than tab and newline: invisible and useless in a report.
OTHER_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
MOBILE = re.compile(r"(?<!\d)(?:\+?886[-\s]?|0)9\d{2}[-\s]?\d{3}[-\s]?\d{3}(?!\d)")
LANDLINE = re.compile(r"(?<!\d)(?:\+?886[-\s]?\(?[2-8]\)?|\(?0[2-8]\d?\)?)[-\s]?\d{3,4}[-\s]?\d{4}(?!\d)")
# Taiwanese national ID (second digit 1/2), plus the 2021 resident-certificate numbers (8/9).
NATIONAL_ID = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][1289]\d{8}(?!\d)")
REDACTION_PATTERNS = (EMAIL, NATIONAL_ID, MOBILE, LANDLINE)

SENTENCE_END = re.compile(r"[。！？!?；;\n]")


class ProvenanceError(UserError):
    """A quote that does not occur verbatim in its item's stored text: the report must not be published."""

    exit_code = 5


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) link without control characters; otherwise ``None``."""
    if not url:
        return None
    candidate = url.strip()
    if (
        OTHER_CONTROLS.search(candidate)
        or BIDI_CONTROLS.search(candidate)
        or any(c.isspace() for c in candidate)
    ):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return candidate


def make_inert(text: str) -> str:
    """Replace bidi and other control characters by visible code-point markers (escaping is Jinja's)."""
    text = BIDI_CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)
    return OTHER_CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def redact(text: str, mask: str) -> str:
    """Mask e-mail addresses, national ID numbers and phone numbers."""
    for pattern in REDACTION_PATTERNS:
        text = pattern.sub(mask, text)
    return text


def excerpt(text: str, limit: int = 160) -> tuple[str, bool]:
    """A verbatim slice of ``text``: whole sentences up to ``limit`` characters; ``(quote, was_cut)``."""
    stripped = text.strip()
    if len(stripped) <= limit:
        return stripped, False
    cut = 0
    for match in SENTENCE_END.finditer(stripped):
        if match.end() > limit:
            break
        cut = match.end()
    if cut < limit // 3:  # no sentence end early enough: cut mid-sentence
        cut = limit
    return stripped[:cut].rstrip(), True


def verify_quote(quote: str, stored_text: str, *, kind: str, item_id: str) -> None:
    """Fail loudly when a quote is not a verbatim part of its source item."""
    if not quote or quote not in stored_text:
        raise ProvenanceError(
            f"quote for {kind} {item_id!r} does not occur verbatim in its stored text: {quote[:40]!r}"
        )


__all__ = ["ProvenanceError", "excerpt", "make_inert", "redact", "safe_url", "verify_quote"]
