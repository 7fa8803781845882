"""Parsers of the open-data JSON lists: pure functions over already-loaded JSON.

Used by the spiders (fast path and cross-check), by ``crawl --check`` and by the import stage
(``crawler.importing``) for files on disk. Shapes from docs/site-shapes.md: policies in the current
Chinese-keyed shape [C+I] and the 2017 English-keyed shape with embedded ``messages`` [C]; ideas in the v2
shape ``/toOpenData/v2/ey/idea?year=`` (same as v1 ``/ey/idea``) [C].
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Protocol, TypeVar

from base.errors import UserError
from crawler.items import Idea, ImportedItem, PolicyListEntry
from crawler.pages.common import (
    FieldLog,
    JsonObject,
    absent,
    clean,
    html_to_text,
    parse_site_datetime,
    to_int,
    uuid_from_url,
)

T = TypeVar("T")


class OpenDataParser(Protocol[T]):
    """``parse_policy_opendata`` or ``parse_idea_opendata``."""

    def __call__(
        self,
        data: object,
        *,
        source: str = "",
        log: FieldLog | None = None,
        skipped: list[OpenDataError] | None = None,
    ) -> list[T]: ...


class OpenDataError(UserError):
    """An open-data document that does not have the expected shape; names the entry and the field."""

    def __init__(self, source: str, index: int | None, field: str, problem: str) -> None:
        where = f"{source}: " if source else ""
        entry = f"entry {index}: " if index is not None else ""
        super().__init__(f"{where}{entry}{field}: {problem}")
        self.source = source
        self.index = index
        self.field = field


def _entries(data: object, source: str) -> list[JsonObject]:
    if isinstance(data, Mapping):  # some mirrors wrap the array
        for key in ("result", "data", "records"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    if not isinstance(data, list):
        raise OpenDataError(source, None, "document", f"expected a JSON array, got {type(data).__name__}")
    for index, entry in enumerate(data):
        if not isinstance(entry, Mapping):
            raise OpenDataError(source, index, "entry", f"expected an object, got {type(entry).__name__}")
    return data


def _uuid(entry: JsonObject, keys: tuple[str, ...], source: str, index: int) -> tuple[str, str]:
    for key in keys:
        url = clean(entry.get(key))
        if url:
            uuid = uuid_from_url(url)
            if uuid is None:
                raise OpenDataError(source, index, key, f"no /detail/{{uuid}} in {url[:120]!r}")
            return uuid, url
    raise OpenDataError(source, index, keys[0], "missing")


def _message_id(policy_uuid: str, created: str, author: str, content: str) -> str:
    digest = hashlib.sha256(f"{created}\x1f{author}\x1f{content}".encode()).hexdigest()[:16]
    return f"{policy_uuid}:{digest}"


def _text(entry: JsonObject, *keys: str, lenient: bool = True) -> str:
    """The first key with a value; for the crawler (``lenient``) the sentinels (「無」, "-") are no value,
    for the importer any non-empty text is (as it always was)."""
    for key in keys:
        value = entry.get(key)
        if (not absent(value)) if lenient else bool(value):
            return clean(value)
    return ""


def opendata_shape(data: object) -> str:
    """Which recorded shape an open-data list has (by its first entry's keys)."""
    entries = data.get("result", data) if isinstance(data, Mapping) else data
    if not isinstance(entries, list):
        return "unknown (not a JSON array)"
    if not entries:
        return "empty array"
    first = entries[0] if isinstance(entries[0], Mapping) else {}
    if "網址" in first:
        return "Chinese keys (current) [C]"
    if "url" in first:
        return "English keys (2017) [C]"
    return "unknown keys: " + ", ".join(list(first)[:6])


POLICY_FIELDS = (
    ("title", ("標題", "title")),
    ("agency", ("提議機關", "機關", "agency")),
    ("published_at", ("發佈日期", "publishDate")),
    ("closes_at", ("下線日期", "endDate")),
    ("follower_count", ("關注數量",)),
    ("declared_comment_count", ("留言數量", "messages")),
)
IDEA_FIELDS = (
    ("title", ("標題",)),
    ("published_at", ("publishDate",)),
    ("content", ("提議內容",)),
    ("endorse_count", ("附議數量",)),
    ("follower_count", ("關注數量",)),
    ("comment_count", ("留言數量",)),
)


def _readable_entries(
    data: object,
    source: str,
    url_keys: tuple[str, ...],
    fields: tuple[tuple[str, tuple[str, ...]], ...],
    log: FieldLog | None,
    skipped: list[OpenDataError] | None,
) -> Iterator[tuple[int, JsonObject, str, str]]:
    """``(index, entry, uuid, url)`` of every entry with a usable URL, its optional ``fields`` noted in
    ``log``; an entry without one is an error, or (given ``skipped``) appended there and left out."""
    for index, entry in enumerate(_entries(data, source)):
        try:
            uuid, url = _uuid(entry, url_keys, source, index)
        except OpenDataError as error:
            if skipped is None:
                raise
            skipped.append(error)
            continue
        if log is not None:
            for name, keys in fields:
                log.note(name, any(not absent(entry.get(k)) for k in keys), ", ".join(keys))
        yield index, entry, uuid, url


def _embedded_messages(entry: JsonObject, uuid: str, url: str, source: str, index: int) -> list[ImportedItem]:
    """The comments the 2017 shape embedded in a consultation (``messages``), with ids made from content."""
    raw_messages = entry.get("messages") or []
    if not isinstance(raw_messages, list):
        raise OpenDataError(source, index, "messages", "expected an array")
    messages = []
    for m_index, message in enumerate(raw_messages):
        if not isinstance(message, Mapping):
            raise OpenDataError(source, index, f"messages[{m_index}]", "expected an object")
        created = clean(message.get("createDate"))
        author = clean(message.get("authorName"))
        text = html_to_text(message.get("content"))
        messages.append(
            ImportedItem(
                item_id=_message_id(uuid, created, author, text),
                text=text,
                author=author,
                created_at=parse_site_datetime(created),
                url=url,
            )
        )
    return messages


def parse_policy_opendata(
    data: object, *, source: str = "", log: FieldLog | None = None, skipped: list[OpenDataError] | None = None
) -> list[PolicyListEntry]:
    """Consultations of ``/toOpenData/ey/policy`` in either shape; ``source`` names the file or URL in errors.

    Strict without ``log`` (the importer: a title is required); with ``log`` (the crawler) only the URL is
    required: missing fields are noted in ``log``, and an entry without a usable URL is left out and its error
    appended to ``skipped``.
    """
    policies = []
    entries = _readable_entries(data, source, ("網址", "url", "URL"), POLICY_FIELDS, log, skipped)
    for index, entry, uuid, url in entries:
        messages = _embedded_messages(entry, uuid, url, source, index)
        title = _text(entry, "標題", "title", lenient=log is not None)
        if not title and log is None:
            raise OpenDataError(source, index, "標題", "missing or empty")
        comment_count = to_int(entry.get("留言數量"))
        if comment_count is None and "messages" in entry:
            comment_count = len(messages)
        policies.append(
            PolicyListEntry(
                uuid=uuid,
                title=title,
                url=url,
                agency=_text(entry, "提議機關", "機關", "agency", lenient=log is not None),
                published_at=parse_site_datetime(entry.get("發佈日期") or entry.get("publishDate")),
                closes_at=parse_site_datetime(entry.get("下線日期") or entry.get("endDate")),
                follower_count=to_int(entry.get("關注數量")),
                declared_comment_count=comment_count,
                messages=tuple(messages),
            )
        )
    return policies


def parse_idea_opendata(
    data: object, *, source: str = "", log: FieldLog | None = None, skipped: list[OpenDataError] | None = None
) -> list[Idea]:
    """Proposals of ``/toOpenData/v2/ey/idea?year=`` or ``/toOpenData/ey/idea``.

    No status, agency or responses in this shape (those come from the detail page). Numbers may be
    strings; ``提送日期`` may be the sentinel ``"無"``. ``log`` and ``skipped`` as for policies.
    """
    ideas = []
    for index, entry, uuid, url in _readable_entries(
        data, source, ("網址", "url"), IDEA_FIELDS, log, skipped
    ):
        title = _text(entry, "標題", lenient=log is not None)
        if not title and log is None:
            raise OpenDataError(source, index, "標題", "missing or empty")
        endorse = to_int(entry.get("附議數量"))
        if entry.get("附議數量") not in (None, "") and endorse is None and log is None:
            raise OpenDataError(source, index, "附議數量", f"not a number: {entry.get('附議數量')!r}")
        content = html_to_text(entry.get("提議內容"))
        ideas.append(
            Idea(
                uuid=uuid,
                title=title,
                url=url,
                outline=content[:200],
                content=content,
                outcome=html_to_text(entry.get("利益與影響")),
                proposer=_text(entry, "提議者", lenient=log is not None),
                published_at=parse_site_datetime(entry.get("publishDate")),
                endorse_count=endorse or 0,
                endorse_goal=to_int(entry.get("附議門檻")) or 5000,
                passed_at=parse_site_datetime(entry.get("提送日期")),
                follower_count=to_int(entry.get("關注數量")),
                comment_count=to_int(entry.get("留言數量")),
            )
        )
    return ideas


__all__ = [
    "OpenDataError",
    "OpenDataParser",
    "opendata_shape",
    "parse_idea_opendata",
    "parse_policy_opendata",
]
