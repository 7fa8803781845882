"""Consultation page ``/policies/detail/{uuid}``: metadata block (markup [I], see docs/site-shapes.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from crawler.items import Policy
from crawler.pages.common import (
    LayoutError,
    clean,
    html_to_text,
    page_source,
    parse_site_datetime,
    selector_of,
    uuid_from_url,
)

TITLE_SUFFIX = "｜公共政策網路參與平臺"


def parse_policy_detail(page: Any, url: str) -> Policy:
    """The consultation on a detail page; comments are not in this HTML (they come from the board JSON)."""
    page_source(page, url)
    sel = selector_of(page)
    blocks = sel.css("#policyDetail, .policy_detail")
    if not blocks:
        raise LayoutError(url, "no #policyDetail block")
    block = blocks[0]
    uuid = clean(block.attrib.get("data-uuid")) or uuid_from_url(url)
    if not uuid:
        raise LayoutError(url, "no consultation uuid (data-uuid or /detail/{uuid} in the URL)")
    title = clean(" ".join(block.css("h1.policy-title ::text, .policy-title ::text").getall()))
    if not title:
        page_title = clean(sel.css("title::text").get())
        title = page_title.split(TITLE_SUFFIX)[0].strip()
    if not title:
        raise LayoutError(url, "no title (h1.policy-title or <title>)")
    agency = clean(" ".join(block.css("li.org .info-value ::text").getall()))
    start = parse_site_datetime(block.css("li.period .start::text").get())
    end = parse_site_datetime(block.css("li.period .end::text").get())
    body = html_to_text("".join(block.css(".policy-content > *, .policy-content::text").getall()))
    attachments = tuple(
        urljoin(url, href.strip())
        for href in block.css("a.attachment::attr(href), .attachments a::attr(href)").getall()
        if href.strip()
    )
    return Policy(
        uuid=uuid,
        title=title,
        url=url,
        agency=agency,
        body=body,
        published_at=start,
        closes_at=end,
        attachments=tuple(dict.fromkeys(attachments)),
    )
