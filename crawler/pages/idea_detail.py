"""Proposal page ``/idea/detail/{uuid}``: the embedded ``var idea = {…}`` [V 2017], else the HTML [C]."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from crawler.items import AgencyResponse, Idea
from crawler.pages.common import (
    LayoutError,
    clean,
    embedded_json,
    from_epoch_ms,
    html_to_text,
    page_source,
    selector_of,
    to_int,
    uuid_from_url,
)

# The first answer usually only promises the formal one by a date: 「將於107年10月17日前發布正式回應時說明」.
PLACEHOLDER_RE = re.compile(r"將於.{0,40}?前.{0,6}(?:發布|提出|公布).{0,4}正式回應")
DEFAULT_GOAL = 5000


def is_placeholder_response(*blocks: str) -> bool:
    return any(PLACEHOLDER_RE.search(block) for block in blocks if block)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _response(raw: Mapping[str, Any], idea_uuid: str, url: str) -> AgencyResponse:
    uuid = clean(raw.get("id"))
    if not uuid:
        raise LayoutError(url, "a govResponse without id")
    analysis, suggest, plan, reference = (
        html_to_text(raw.get(key)) for key in ("analysis", "suggest", "plan", "reference")
    )
    return AgencyResponse(
        uuid=uuid,
        idea_uuid=clean(raw.get("ideaId")) or idea_uuid,
        agency=clean(_mapping(raw.get("organization")).get("organizationName")),
        responded_at=from_epoch_ms(raw.get("responseTime")),
        site_updated_at=from_epoch_ms(raw.get("updateDate")),
        analysis=analysis,
        suggest=suggest,
        plan=plan,
        reference=reference,
        is_placeholder=is_placeholder_response(analysis, suggest, plan, reference),
    )


def idea_from_json(data: Mapping[str, Any], url: str) -> Idea:
    """An Idea from the embedded object (61 keys in 2017); epoch-ms times, ``""`` for empty ones."""
    uuid = clean(data.get("id")) or uuid_from_url(url)
    title = clean(data.get("title"))
    if not uuid or not title:
        raise LayoutError(url, "embedded idea without id or title")
    proposer = _mapping(data.get("proposer"))
    master = _mapping(_mapping(data.get("approvalOrganization")).get("master"))
    responses = data.get("govResponses") or []
    if not isinstance(responses, list):
        raise LayoutError(url, "govResponses is not a list")
    return Idea(
        uuid=uuid,
        title=title,
        url=url,
        outline=html_to_text(data.get("outline")),
        content=html_to_text(data.get("content")),
        outcome=html_to_text(data.get("outcome")),
        status=clean(data.get("status")),
        proposer=clean(proposer.get("nickname")) or clean(proposer.get("name")),
        agency=clean(master.get("organizationName")),
        published_at=from_epoch_ms(data.get("publishDate")),
        endorse_count=to_int(data.get("endorseCount")) or 0,
        endorse_goal=to_int(data.get("endorseGoal")) or DEFAULT_GOAL,
        endorse_due_at=from_epoch_ms(data.get("endorseDueDate")),
        passed_at=from_epoch_ms(data.get("secondSignedTime")),
        response_due_at=from_epoch_ms(data.get("advisedTime")) or from_epoch_ms(data.get("approvedDueDate")),
        follower_count=to_int(data.get("attentionCount")),
        comment_count=to_int(data.get("commentCount")),
        site_updated_at=from_epoch_ms(data.get("updateDate")),
        responses=tuple(_response(_mapping(r), uuid, url) for r in responses),
    )


_JOIN_NUM_RE = re.compile(r"已附議\s*([\d,]+)")


def idea_from_html(page: Any, url: str) -> Idea:
    """Fallback when no ``var idea`` is embedded: title and endorsement summary only [C]."""
    sel = selector_of(page)
    uuid = uuid_from_url(url)
    title = clean(sel.css("h1.idea-title ::text, .idea_title ::text").get()) or clean(
        sel.css("title::text").get()
    )
    title = title.split("｜")[0].strip()
    summary = clean(" ".join(sel.css(".detail-join-num ::text").getall()))
    match = _JOIN_NUM_RE.search(summary)
    if not uuid or not title or match is None:
        raise LayoutError(url, "neither `var idea = {…}` nor <title> + .detail-join-num 「已附議 N」")
    return Idea(uuid=uuid, title=title, url=url, endorse_count=to_int(match.group(1)) or 0)


def parse_idea_detail(page: Any, url: str) -> Idea:
    source = page_source(page, url)
    data = embedded_json(source, "idea")
    if isinstance(data, Mapping):
        return idea_from_json(data, url)
    return idea_from_html(page, url)
