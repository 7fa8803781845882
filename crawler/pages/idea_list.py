"""Proposal list ``/idea/index/search/{STATUS}?page=N&size=M``: ``var searchResult`` [V 2017], else
markup [C].

Required: the proposals the page lists (each with its id), from one of the two shapes. A well-formed empty
list (``result: []`` with ``totalResults`` 0, or an empty ``#searchResult``) is not an error. Optional
(missing: null with a warning): an entry's title, status and counts, and the pager.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from crawler.items import IdeaListEntry
from crawler.pages.common import (
    FieldLog,
    JsonObject,
    LayoutError,
    Missing,
    Page,
    absent,
    clean,
    embedded_json,
    from_epoch_ms,
    page_source,
    parse_site_datetime,
    required_missing,
    selector_of,
    to_int,
    uuid_from_url,
)

ENTRY_FIELDS = (
    ("title", "title"),
    ("status", "status"),
    ("endorse_count", "endorseCount"),
    ("comment_count", "commentCount"),
    ("follower_count", "attentionCount"),
    ("published_at", "publishDate"),
)


@dataclass(frozen=True, slots=True)
class IdeaListPage:
    entries: tuple[IdeaListEntry, ...]
    current_page: int
    total_pages: int | None  # None: the page did not say (follow pages while they come back full)
    total_results: int | None
    shape: str = "var searchResult [V]"
    found: tuple[str, ...] = ()
    missing: tuple[Missing, ...] = ()


def entry_from_json(raw: JsonObject, url: str, log: FieldLog | None = None) -> IdeaListEntry:
    uuid = clean(raw.get("id"))
    if not uuid:
        raise required_missing(url, "proposal id", "'id' of every searchResult.result entry")
    if log is not None:
        for name, key in ENTRY_FIELDS:
            log.note(name, not absent(raw.get(key)), key)
    return IdeaListEntry(
        uuid=uuid,
        title=clean(raw.get("title")),
        status=clean(raw.get("status")),
        endorse_count=to_int(raw.get("endorseCount")),
        comment_count=to_int(raw.get("commentCount")),
        published_at=from_epoch_ms(raw.get("publishDate")),
        site_updated_at=from_epoch_ms(raw.get("updateDate")),
        follower_count=to_int(raw.get("attentionCount")),
    )


def _pager(log: FieldLog, current: int | None, total_pages: int | None, tried: str) -> int:
    log.note("current_page", current is not None, tried)
    log.note("total_pages", total_pages is not None, tried)
    return current or 1


def _from_json(data: JsonObject, url: str) -> IdeaListPage:
    result = data.get("result")
    if not isinstance(result, list):
        raise required_missing(url, "proposal list", "`var searchResult = {result: [...]}`")
    log = FieldLog()
    entries = tuple(entry_from_json(r, url, log) for r in result if isinstance(r, Mapping))
    total_pages = to_int(data.get("totalPages"))
    current = _pager(log, to_int(data.get("currentPage")), total_pages, "currentPage, totalPages")
    total = to_int(data.get("totalResults"))
    log.note("total_results", total is not None, "totalResults")
    # Empty and the envelope says there is nothing (totalResults 0, or no count at all): an empty state.
    # Empty although it counts proposals on this page: that is data missing, not an empty list.
    if not entries and total and total_pages is not None and current <= total_pages:
        raise LayoutError(url, f"list page {current} of {total_pages} holds no proposals of {total}")
    reading = log.reading(None, "var searchResult [V]")
    return IdeaListPage(entries, current, total_pages, total, reading.shape, reading.found, reading.missing)


_PAGER_RE = re.compile(r"(\d+)\s*/\s*(\d+)")


def _from_html(page: Page, url: str) -> IdeaListPage:
    sel = selector_of(page)
    container = sel.css("#searchResult")
    if not container:
        raise required_missing(url, "proposal list", "`var searchResult = {…}`, #searchResult div.list_item")
    log = FieldLog()
    entries = []
    for item in container.css("div.list_item"):
        href = item.css("h4 > a::attr(href)").get() or ""
        uuid = uuid_from_url(href)
        if not uuid:
            raise required_missing(url, "proposal id", "div.list_item h4 > a[href=/idea/detail/{uuid}]")
        log.note("title", bool(item.css("h4 > a ::text").get()), "h4 > a")
        log.note("endorse_count", bool(item.css(".show_3_1")), ".show_3_1")
        log.note("published_at", bool(item.css(".date")), ".date")
        entries.append(
            IdeaListEntry(
                uuid=uuid,
                title=clean(" ".join(item.css("h4 > a ::text").getall())),
                endorse_count=to_int(
                    re.sub(r"\D", "", " ".join(item.css(".show_3_1 ::text").getall())) or None
                ),
                published_at=parse_site_datetime(item.css(".date ::text").get()),
            )
        )
    pager = _PAGER_RE.search(" ".join(sel.css("#naviPageForm ::text").getall()))
    current_page, total_pages = (int(pager.group(1)), int(pager.group(2))) if pager else (None, None)
    current = _pager(log, current_page, total_pages, '#naviPageForm "N / M"')
    # An empty #searchResult is an empty state, unless the pager says more pages follow this one.
    if not entries and total_pages is not None and current < total_pages:
        raise LayoutError(url, f"list page {current} of {total_pages} holds no div.list_item")
    reading = log.reading(None, "#searchResult markup [C]")
    return IdeaListPage(
        tuple(entries), current, total_pages, None, reading.shape, reading.found, reading.missing
    )


def parse_idea_list(page: Page, url: str) -> IdeaListPage:
    source = page_source(page, url)
    data = embedded_json(source, "searchResult")
    if isinstance(data, Mapping):
        return _from_json(data, url)
    return _from_html(page, url)
