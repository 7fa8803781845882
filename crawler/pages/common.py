"""Helpers every page parser shares: layout errors, embedded-JSON extraction, the site's value formats."""

from __future__ import annotations

import email.utils
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from parsel import Selector
from w3lib.html import remove_tags, replace_entities

from crawler.items import TAIPEI

# A JSON object as the site serves it: values are narrowed where they are read (``to_int``, ``clean``…).
JsonObject = Mapping[str, object]


class TextPage(Protocol):
    """What the page parsers need of a response: its text (a Scrapy response has it)."""

    @property
    def text(self) -> str: ...


# A fetched page (a Scrapy response, or anything with its text) or a parsel Selector over one.
Page = TextPage | Selector


def json_object(value: object) -> JsonObject:
    """``value`` when it is a JSON object, else an empty one: an absent or malformed part reads as empty."""
    return value if isinstance(value, Mapping) else {}


class LayoutError(Exception):
    """A page no longer has the shape its parser expects; the message names the URL and what was missing."""

    def __init__(self, url: str, missing: str, *, what: str = "layout changed") -> None:
        super().__init__(f"{url}: {what}: {missing}")
        self.url = url
        self.missing = missing


class ChallengePage(LayoutError):
    """A Cloudflare (or similar) challenge served instead of the page: retry later, never store it."""

    def __init__(self, url: str) -> None:
        super().__init__(url, "a bot-challenge page came instead of content", what="challenge")


class TruncatedPage(LayoutError):
    """An HTML page that stops before its end (a cut connection, a broken proxy): never parse what is there,
    it would store a shortened body or a partial list as if it were the page."""

    def __init__(self, url: str) -> None:
        super().__init__(url, "the HTML stops before </html>", what="truncated")


def required_missing(url: str, field: str, tried: str) -> LayoutError:
    """What the crawler cannot work without is missing: the page, the field and what was tried."""
    return LayoutError(url, f"required {field} not found (tried {tried})")


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Missing:
    """An optional field a page did not give: stored as null (or empty text) with a warning."""

    field: str
    tried: str  # the selectors or keys looked at, in order


@dataclass(frozen=True, slots=True)
class Reading(Generic[T]):
    """What a parser read from one page: the value, which known shape matched, and the optional fields
    it found and did not find (``missing``; never a failure)."""

    value: T
    shape: str
    found: tuple[str, ...] = ()
    missing: tuple[Missing, ...] = ()


class FieldLog:
    """Collects found and missing optional fields while a parser reads a page."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.missing: list[Missing] = []

    def note(self, field: str, present: bool, tried: str) -> bool:
        if present:
            if field not in self.found:
                self.found.append(field)
        elif all(m.field != field for m in self.missing):
            self.missing.append(Missing(field, tried))
        return present

    def reading(self, value: T, shape: str) -> Reading[T]:
        found = tuple(f for f in self.found if all(m.field != f for m in self.missing))
        return Reading(value, shape, found, tuple(self.missing))


def absent(value: object) -> bool:
    """A JSON value the site did not give: no key, null, or (for text) a sentinel such as 「無」."""
    return value is None or (isinstance(value, str) and value.strip() in EMPTY_SENTINELS - {""})


def require_complete_html(source: str, url: str) -> None:
    if "</html>" not in source[-4096:].lower():
        raise TruncatedPage(url)


EMPTY_SENTINELS = frozenset({"", "無", "-", "null", "None"})
_CHALLENGE_MARKERS = (
    "cf-chl",
    "challenge-platform",
    "Just a moment...",
    "cf_chl_opt",
    "Attention Required! | Cloudflare",
)


def looks_like_challenge(text: str) -> bool:
    """True for a Cloudflare challenge or block page (recognised by its markers, not by the status code)."""
    head = text[:20000]
    return any(marker in head for marker in _CHALLENGE_MARKERS)


def selector_of(page: Page) -> Selector:
    """Accept a Scrapy response or a parsel Selector."""
    if isinstance(page, Selector):
        return page
    return Selector(text=page.text)


def text_of(page: Page) -> str:
    if isinstance(page, Selector):
        return str(page.get())
    return str(page.text)


def page_source(page: Page, url: str) -> str:
    """The text of an HTML page that really is the page: not a challenge, not cut short."""
    source = text_of(page)
    if looks_like_challenge(source):
        raise ChallengePage(url)
    require_complete_html(source, url)
    return source


def embedded_json(source: str, variable: str) -> object:
    """The value of ``var <variable> = {...};`` in a page's scripts, or None when the page has none.

    ``raw_decode`` reads exactly one JSON value, so semicolons or braces inside strings are harmless.
    """
    match = re.search(rf"\b(?:var|let|const)\s+{re.escape(variable)}\s*=\s*", source)
    if match is None:
        match = re.search(rf"\b{re.escape(variable)}\s*=\s*(?=[{{\[])", source)
    if match is None:
        return None
    try:
        value, _end = json.JSONDecoder().raw_decode(source, match.end())
    except json.JSONDecodeError:
        return None
    return value


def load_json_body(body: str | bytes, url: str) -> object:
    """Parse a JSON body; a challenge page or a truncated body raises a LayoutError naming the URL."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if looks_like_challenge(text):
        raise ChallengePage(url)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LayoutError(
            url, f"body is not valid JSON ({exc.msg} at char {exc.pos} of {len(text)})"
        ) from exc


def to_int(value: object) -> int | None:
    """Ints arrive as numbers or numeric strings ("5,104"); empty values and sentinels give None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    text = str(value).strip().replace(",", "").replace("，", "")
    if text in EMPTY_SENTINELS:
        return None
    match = re.fullmatch(r"[+-]?\d+(?:\.0+)?", text)
    return int(float(text)) if match else None


def from_epoch_ms(value: object) -> datetime | None:
    """Epoch milliseconds (number or numeric string) as Taiwan time; ``""`` means no value."""
    number = to_int(value)
    if number is None:
        return None
    try:
        return datetime.fromtimestamp(number / 1000, tz=UTC).astimezone(TAIPEI)
    except (ValueError, OverflowError, OSError):  # outside datetime's range: no usable time, not a crash
        return None


_DATE_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def parse_site_datetime(value: object, *, utc: bool = False) -> datetime | None:
    """``"YYYY-MM-DD[ HH:MM[:SS]]"`` (Taiwan time unless ``utc``), epoch ms, or a sentinel (``"無"``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return from_epoch_ms(value)
    text = str(value).strip()
    if text in EMPTY_SENTINELS:
        return None
    if text.isdigit() and len(text) >= 11:
        return from_epoch_ms(text)
    match = _DATE_RE.search(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        naive = datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - zone attached below
    except ValueError:
        return None
    if utc:
        return naive.replace(tzinfo=UTC).astimezone(TAIPEI)
    return naive.replace(tzinfo=TAIPEI)


def http_date(value: bytes | str | None) -> datetime | None:
    """An HTTP date (a ``Date`` or ``Retry-After`` header) in UTC; None when absent or unreadable. HTTP
    dates are GMT by definition, so one written without a zone is read as UTC."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    try:
        when = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, OverflowError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</p\s*>|</div\s*>|</li\s*>|</h\d\s*>")


def html_to_text(markup: object) -> str:
    """Readable text of an HTML fragment: tags dropped, entities decoded, paragraphs on their own lines."""
    if not markup:
        return ""
    text = _BLOCK_END.sub("\n", str(markup))
    text = replace_entities(remove_tags(text))
    text = html.unescape(text).replace("\xa0", " ")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def clean(value: object) -> str:
    """A scalar as trimmed text; None and sentinels become ``""``."""
    if value is None:
        return ""
    text = html.unescape(str(value)).strip()
    return "" if text in {"null", "None"} else text


def uuid_from_url(url: str) -> str | None:
    match = re.search(r"/detail/([0-9A-Za-z-]{8,64})", url)
    return match.group(1) if match else None
