"""Proposal list ``/idea/index/search/{STATUS}?page=N&size=M``: ``var searchResult`` [V 2017], else markup [C]."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crawler.items import IdeaListEntry
from crawler.pages.common import (
    LayoutError,
    clean,
    embedded_json,
    from_epoch_ms,
    page_source,
    parse_site_datetime,
    selector_of,
    to_int,
    uuid_from_url,
)


@dataclass(frozen=True, slots=True)
class IdeaListPage:
    entries: tuple[IdeaListEntry, ...]
    current_page: int
    total_pages: int
    total_results: int | None


def entry_from_json(raw: Mapping[str, Any], url: str) -> IdeaListEntry:
    uuid = clean(raw.get("id"))
    if not uuid:
        raise LayoutError(url, "a list entry without id")
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


def _from_json(data: Mapping[str, Any], url: str) -> IdeaListPage:
    result = data.get("result")
    if not isinstance(result, list):
        raise LayoutError(url, "searchResult without a 'result' list")
    entries = tuple(entry_from_json(r, url) for r in result if isinstance(r, Mapping))
    current = to_int(data.get("currentPage")) or 1
    total_pages = to_int(data.get("totalPages")) or 0
    total = to_int(data.get("totalResults"))
    if not entries and current <= total_pages:
        raise LayoutError(url, f"list page {current} of {total_pages} holds no proposals")
    return IdeaListPage(entries, current, total_pages, total)


_PAGER_RE = re.compile(r"(\d+)\s*/\s*(\d+)")


def _from_html(page: Any, url: str) -> IdeaListPage:
    sel = selector_of(page)
    container = sel.css("#searchResult")
    if not container:
        raise LayoutError(url, "neither `var searchResult = {…}` nor #searchResult")
    entries = []
    for item in container.css("div.list_item"):
        href = item.css("h4 > a::attr(href)").get() or ""
        uuid = uuid_from_url(href)
        if not uuid:
            raise LayoutError(url, "a div.list_item without h4 > a[href=/idea/detail/{uuid}]")
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
    current, total_pages = (int(pager.group(1)), int(pager.group(2))) if pager else (1, 1 if entries else 0)
    if not entries and current <= total_pages:
        raise LayoutError(url, f"list page {current} of {total_pages} holds no div.list_item")
    return IdeaListPage(tuple(entries), current, total_pages, None)


def parse_idea_list(page: Any, url: str) -> IdeaListPage:
    source = page_source(page, url)
    data = embedded_json(source, "searchResult")
    if isinstance(data, Mapping):
        return _from_json(data, url)
    return _from_html(page, url)
