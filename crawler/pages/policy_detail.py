"""Consultation page ``/policies/detail/{uuid}``.

Required: the consultation's uuid (``data-uuid`` or the URL). Everything else is optional and read from the
first source that has it (docs/site-shapes.md, "Where each field comes from"): the open-data entry (merged by
``policy_from_sources``), then ``<title>``, ``<h1>``, then the metadata block ``#policyDetail`` [I]. The real
2021+ page is a Knockout.js skeleton [V class names]; the block is our guess, so its absence is a warning.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urljoin

from parsel import Selector

from crawler.items import Policy, PolicyListEntry
from crawler.pages.common import (
    FieldLog,
    Missing,
    Page,
    Reading,
    clean,
    html_to_text,
    page_source,
    parse_site_datetime,
    required_missing,
    selector_of,
    uuid_from_url,
)

TITLE_SUFFIX = "｜公共政策網路參與平臺"
SITE_NAME = "公共政策網路參與平臺"
BLOCK = "#policyDetail, .policy_detail"
TRIED = {
    "title": "open data 標題/title, <title>, <h1>, #policyDetail h1.policy-title",
    "agency": "open data 提議機關, #policyDetail li.org .info-value",
    "published_at": "open data 發佈日期, #policyDetail li.period .start",
    "closes_at": "open data 下線日期, #policyDetail li.period .end",
    "body": "#policyDetail .policy-content",
    "attachments": "#policyDetail .attachments, a.attachment",
}


def _page_title(sel: Selector) -> str:
    title = clean(sel.css("title::text").get()).split(TITLE_SUFFIX)[0].strip()
    return "" if title == SITE_NAME else title


def read_policy_detail(page: Page, url: str) -> Reading[Policy]:
    """The consultation on a detail page; comments are not in this HTML (they come from the board JSON)."""
    page_source(page, url)
    sel = selector_of(page)
    blocks = sel.css(BLOCK)
    block = blocks[0] if blocks else None
    uuid = (clean(block.attrib.get("data-uuid")) if block is not None else "") or uuid_from_url(url)
    if not uuid:
        raise required_missing(url, "consultation uuid", "#policyDetail[data-uuid], /policies/detail/{uuid}")
    if block is not None:
        shape = "#policyDetail block [I]"
    elif sel.css("#boardContainer"):
        shape = "Knockout skeleton (#boardContainer) [V]"
    else:
        shape = "unknown (no #policyDetail, no #boardContainer)"
    log = FieldLog()
    title = _page_title(sel) or clean(" ".join(sel.css("h1 ::text").getall()))
    if not title and block is not None:
        title = clean(" ".join(block.css(".policy-title ::text").getall()))
    log.note("title", bool(title), TRIED["title"])
    agency = start = end = None
    body, attachments = "", tuple[str, ...]()
    if block is not None:
        agency = clean(" ".join(block.css("li.org .info-value ::text").getall())) or None
        start = parse_site_datetime(block.css("li.period .start::text").get())
        end = parse_site_datetime(block.css("li.period .end::text").get())
        if block.css(".policy-content"):
            body = html_to_text("".join(block.css(".policy-content > *, .policy-content::text").getall()))
            log.note("body", True, "")
        if block.css(".attachments, a.attachment"):
            hrefs = block.css("a.attachment::attr(href), .attachments a::attr(href)").getall()
            attachments = tuple(dict.fromkeys(urljoin(url, h.strip()) for h in hrefs if h.strip()))
            log.note("attachments", True, "")
    log.note("agency", agency is not None, TRIED["agency"])
    log.note("published_at", start is not None, TRIED["published_at"])
    log.note("closes_at", end is not None, TRIED["closes_at"])
    log.note("body", "body" in log.found, TRIED["body"])
    log.note("attachments", "attachments" in log.found, TRIED["attachments"])
    policy = Policy(
        uuid=uuid,
        title=title,
        url=url,
        agency=agency or "",
        body=body,
        published_at=start,
        closes_at=end,
        attachments=attachments,
    )
    reading = log.reading(policy, shape)
    return Reading(
        dataclasses.replace(policy, missing_fields=tuple(m.field for m in reading.missing)),
        shape,
        reading.found,
        reading.missing,
    )


def parse_policy_detail(page: Page, url: str) -> Policy:
    return read_policy_detail(page, url).value


def policy_from_sources(reading: Reading[Policy], entry: PolicyListEntry) -> Reading[Policy]:
    """The page merged with its open-data entry, which comes first for every field it has (it carries the
    precise times and the counts); a field neither gives stays missing."""
    page = reading.value
    from_entry = {
        "title": entry.title,
        "agency": entry.agency,
        "published_at": entry.published_at,
        "closes_at": entry.closes_at,
    }
    merged = dataclasses.replace(
        page,
        title=entry.title or page.title,
        agency=entry.agency or page.agency,
        published_at=entry.published_at or page.published_at,
        closes_at=entry.closes_at or page.closes_at,
        follower_count=entry.follower_count,
        declared_comment_count=entry.declared_comment_count,
    )
    missing: tuple[Missing, ...] = tuple(m for m in reading.missing if not from_entry.get(m.field))
    found = tuple(dict.fromkeys([*reading.found, *(k for k, v in from_entry.items() if v)]))
    merged = dataclasses.replace(merged, missing_fields=tuple(m.field for m in missing))
    return Reading(merged, reading.shape, found, missing)
