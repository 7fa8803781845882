"""A join.gov.tw open-data JSON file → validated rows for ``Idea``, ``Policy`` and ``Comment``.

The shapes are read by ``crawler.pages.opendata`` (shared with the spiders); this module adds what a file on
disk needs: the line of every entry in error messages, a check that every value fits its column, and the
site (host of ``網址``) and row dictionaries for the writer.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn, TypeVar
from urllib.parse import urlsplit

from crawler.importing.dates import YEAR_RANGE
from crawler.importing.problems import bad_file, check_identifier, check_storable
from crawler.pages.opendata import OpenDataError, OpenDataParser, parse_idea_opendata, parse_policy_opendata
from storage.imports import RowBatch
from storage.models import Comment, Idea, Policy

T = TypeVar("T")
INT32_MAX = 2**31 - 1
IDEA_KEYS = frozenset({"附議數量", "附議門檻", "提議內容", "利益與影響", "提送日期", "提議者"})
POLICY_2017_KEYS = frozenset({"messages", "url", "title"})
POLICY_KEYS = frozenset({"提議機關", "發佈日期", "下線日期"})

# What the open data says about a row; anything else (status, agency of an idea, …) comes from the
# detail pages and must not be overwritten by an import.
IDEA_COLUMNS = (
    "title",
    "url",
    "outline",
    "content",
    "outcome",
    "proposer",
    "published_at",
    "endorse_count",
    "endorse_goal",
    "passed_at",
    "follower_count",
    "comment_count",
)
POLICY_COLUMNS = (
    "title",
    "url",
    "agency",
    "published_at",
    "closes_at",
    "follower_count",
    "declared_comment_count",
)
POLICY_2017_COLUMNS = ("title", "url")
COMMENT_COLUMNS = ("policy_uuid", "author", "text", "created_at", "url")
IDENTIFIERS = ("uuid", "policy_uuid", "msg_uid", "site")  # echoed in messages and page names: printable
MAX_CHARS = {"uuid": 64, "url": 1000, "proposer": 200, "agency": 200, "author": 200, "site": 100}


class _BadConstant(ValueError):
    pass


def _refuse_constant(name: str) -> NoReturn:
    raise _BadConstant(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadConstant(f"{text} is too large a number")
    return value


def load_json(text: str, label: str) -> object:
    """Parsed JSON; errors name the line and column (``json.JSONDecodeError`` knows them)."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise bad_file(label, f"line {exc.lineno}, column {exc.colno}", f"broken JSON: {exc.msg}") from None
    except RecursionError:
        raise bad_file(label, "", "JSON nested too deeply to read") from None
    except ValueError as exc:  # NaN/Infinity, overlong integer literals
        raise bad_file(label, "", f"unreadable JSON: {exc}") from None


def entry_lines(text: str) -> list[int]:
    """Line on which each element of a top-level JSON array starts (the text is known to be valid)."""
    decoder = json.JSONDecoder()
    lines: list[int] = []
    position = text.index("[") + 1
    line, counted_to = 1, 0

    def skip(pos: int) -> int:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        return pos

    position = skip(position)
    while position < len(text) and text[position] != "]":
        line += text.count("\n", counted_to, position)
        counted_to = position
        lines.append(line)
        _value, position = decoder.raw_decode(text, position)
        position = skip(position)
    return lines


@dataclass(frozen=True, slots=True)
class OpenDataFile:
    """What the file held: its shape's name and the rows to write, table by table."""

    shape: str
    batches: tuple[RowBatch, ...]
    rows_read: int


def _shape(entries: Sequence[object]) -> str:
    first = entries[0]
    keys = set(first) if isinstance(first, Mapping) else set()
    if keys & IDEA_KEYS:
        return "opendata-idea"
    if keys & POLICY_2017_KEYS and "標題" not in keys:
        return "opendata-policy-2017"
    if keys & POLICY_KEYS or "標題" in keys:
        return "opendata-policy"
    return "unknown"


class _Where:
    """Turns an entry index into ``line N (entry K)`` for messages."""

    def __init__(self, label: str, lines: Sequence[int]) -> None:
        self.label = label
        self.lines = lines

    def __call__(self, index: int) -> str:
        if index < len(self.lines):
            return f"line {self.lines[index]} (entry {index + 1})"
        return f"entry {index + 1}"


def _site_of(url: str, label: str, where: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise bad_file(label, where, f"網址 {url[:120]!r} is not an absolute http(s) URL")
    return parts.hostname


def _check_row(row: Mapping[str, object], label: str, where: str) -> None:
    for name, value in row.items():
        if isinstance(value, str):
            check_storable(label, where, name, value, max_chars=MAX_CHARS.get(name))
            if name in IDENTIFIERS:
                check_identifier(label, where, name, value)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int) and not -INT32_MAX <= value <= INT32_MAX:
            raise bad_file(label, where, f"{name} {value} is out of range")
        elif isinstance(value, datetime) and not YEAR_RANGE[0] <= value.year <= YEAR_RANGE[1]:
            raise bad_file(label, where, f"{name} {value:%Y-%m-%d} has an implausible year")


def _parse_each(entries: Sequence[object], parser: OpenDataParser[T], where: _Where) -> list[T]:
    """Parse entry by entry so any problem is pinned to its line."""
    items: list[T] = []
    for index, entry in enumerate(entries):
        try:
            parsed = parser([entry], source="")
        except OpenDataError as exc:
            problem = str(exc).removeprefix("entry 0: ")
            raise bad_file(where.label, where(index), problem) from None
        except (ValueError, OverflowError, OSError) as exc:
            raise bad_file(where.label, where(index), f"unreadable value ({exc})") from None
        items.extend(parsed)
    return items


def _no_duplicates(keys: Sequence[tuple[str, str]], what: str, where: _Where) -> None:
    seen: dict[tuple[str, str], int] = {}
    for index, key in enumerate(keys):
        if key in seen:
            raise bad_file(
                where.label, where(index), f'duplicate {what} "{key[1]}" (first at {where(seen[key])})'
            )
        seen[key] = index


def comment_id(policy_uuid: str, index: int, message_id: str) -> str:
    """The 2017 shape has no comment ids: derive one from the consultation, the position and the content.

    40 hex-ish characters to fit ``comment.msg_uid``; ``od-`` marks it as derived from open data.
    """
    digest = hashlib.sha256(f"{policy_uuid}\x1f{index}\x1f{message_id}".encode()).hexdigest()
    return "od-" + digest[:37]


def _idea_batches(entries: Sequence[object], where: _Where) -> tuple[RowBatch, ...]:
    ideas = _parse_each(entries, parse_idea_opendata, where)
    rows: list[dict[str, object]] = []
    keys = []
    for index, idea in enumerate(ideas):
        site = _site_of(idea.url, where.label, where(index))
        row = {"site": site, "uuid": idea.uuid, **{name: getattr(idea, name) for name in IDEA_COLUMNS}}
        _check_row(row, where.label, where(index))
        rows.append(row)
        keys.append((site, idea.uuid))
    _no_duplicates(keys, "網址 (proposal uuid)", where)
    return (RowBatch(Idea, ("site", "uuid"), IDEA_COLUMNS, rows),)


def _policy_batches(entries: Sequence[object], where: _Where, *, with_messages: bool) -> tuple[RowBatch, ...]:
    policies = _parse_each(entries, parse_policy_opendata, where)
    columns = POLICY_2017_COLUMNS if with_messages else POLICY_COLUMNS
    policy_rows: list[dict[str, object]] = []
    comment_rows: list[dict[str, object]] = []
    keys = []
    for index, policy in enumerate(policies):
        site = _site_of(policy.url, where.label, where(index))
        row = {"site": site, "uuid": policy.uuid, **{name: getattr(policy, name) for name in columns}}
        _check_row(row, where.label, where(index))
        policy_rows.append(row)
        keys.append((site, policy.uuid))
        for m_index, message in enumerate(policy.messages):
            comment: dict[str, object] = {
                "site": site,
                "msg_uid": comment_id(policy.uuid, m_index, message.item_id),
                "policy_uuid": policy.uuid,
                "author": message.author,
                "text": message.text,
                "created_at": message.created_at,
                "url": message.url,
            }
            _check_row(comment, where.label, f"{where(index)}: messages[{m_index}]")
            comment_rows.append(comment)
    _no_duplicates(keys, "網址 (consultation uuid)", where)
    batches = [RowBatch(Policy, ("site", "uuid"), columns, policy_rows)]
    if comment_rows:
        batches.append(RowBatch(Comment, ("site", "msg_uid"), COMMENT_COLUMNS, comment_rows))
    return tuple(batches)


def parse_opendata_file(text: str, label: str) -> OpenDataFile:
    """Rows of an open-data file, or ``BadImportFile`` naming the line and field of the first problem."""
    data = load_json(text, label)
    if not isinstance(data, list):
        kind = "an object" if isinstance(data, dict) else type(data).__name__
        raise bad_file(label, "line 1", f"expected a JSON array of open-data entries, got {kind}")
    if not data:
        raise bad_file(label, "", "the JSON array is empty: nothing to import")
    where = _Where(label, entry_lines(text))
    for index, entry in enumerate(data):
        if not isinstance(entry, Mapping):
            raise bad_file(label, where(index), f"expected an object, got {type(entry).__name__}")
    shape = _shape(data)
    if shape == "opendata-idea":
        batches = _idea_batches(data, where)
    elif shape == "opendata-policy":
        batches = _policy_batches(data, where, with_messages=False)
    elif shape == "opendata-policy-2017":
        batches = _policy_batches(data, where, with_messages=True)
    else:
        keys = ", ".join(sorted(data[0]))[:200]
        raise bad_file(
            label,
            where(0),
            f"not a join.gov.tw open-data shape I know (keys: {keys}); expected "
            "the proposal list (網址, 標題, 附議數量, …) or the consultation list (網址, 標題, …)",
        )
    return OpenDataFile(shape, batches, len(data))
