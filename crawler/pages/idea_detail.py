"""Proposal page ``/idea/detail/{uuid}``: the embedded ``var idea = {…}`` [V 2017], else the HTML [C].

Required: the proposal's id (embedded ``id`` or the URL) and its data: the embedded object, or at least the
endorsement summary 「已附議 N」 the HTML scrapers read [C]. Everything else is optional (missing: null or
empty with a warning); ``idea_from_sources`` fills a missing title or count from the list entry or the open
data.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from crawler.items import AgencyResponse, Idea, IdeaListEntry
from crawler.pages.common import (
    FieldLog,
    JsonObject,
    LayoutError,
    Missing,
    Page,
    Reading,
    absent,
    clean,
    embedded_json,
    from_epoch_ms,
    html_to_text,
    json_object,
    page_source,
    required_missing,
    selector_of,
    to_int,
    uuid_from_url,
)

# The first answer usually only promises the formal one by a date: 「將於107年10月17日前發布正式回應時說明」.
PLACEHOLDER_RE = re.compile(r"將於.{0,40}?前.{0,6}(?:發布|提出|公布).{0,4}正式回應")
DEFAULT_GOAL = 5000


def is_placeholder_response(*blocks: str) -> bool:
    return any(PLACEHOLDER_RE.search(block) for block in blocks if block)


def _response(raw: JsonObject, idea_uuid: str, url: str, log: FieldLog) -> AgencyResponse:
    uuid = clean(raw.get("id"))
    if not uuid:
        raise required_missing(url, "agency response id", "govResponses[].id")
    log.note(
        "response_agency",
        not absent(json_object(raw.get("organization")).get("organizationName")),
        "govResponses[].organization.organizationName",
    )
    log.note(
        "response_time", from_epoch_ms(raw.get("responseTime")) is not None, "govResponses[].responseTime"
    )
    blocks = ("analysis", "suggest", "plan", "reference")
    log.note(
        "response_text",
        any(not absent(raw.get(k)) for k in blocks),
        "govResponses[].analysis/suggest/plan/reference",
    )
    analysis, suggest, plan, reference = (html_to_text(raw.get(key)) for key in blocks)
    return AgencyResponse(
        uuid=uuid,
        idea_uuid=clean(raw.get("ideaId")) or idea_uuid,
        agency=clean(json_object(raw.get("organization")).get("organizationName")),
        responded_at=from_epoch_ms(raw.get("responseTime")),
        site_updated_at=from_epoch_ms(raw.get("updateDate")),
        analysis=analysis,
        suggest=suggest,
        plan=plan,
        reference=reference,
        is_placeholder=is_placeholder_response(analysis, suggest, plan, reference),
    )


# (field, key in the embedded object): optional, a warning when the key is absent or null. ``""`` is the
# site's own "no value" for times [V] and counts as given.
EMBEDDED_FIELDS = (
    ("title", "title"),
    ("status", "status"),
    ("published_at", "publishDate"),
    ("endorse_count", "endorseCount"),
    ("endorse_goal", "endorseGoal"),
    ("endorse_due_at", "endorseDueDate"),
    ("content", "content"),
    ("outline", "outline"),
    ("proposer", "proposer"),
    ("agency", "approvalOrganization"),
    ("follower_count", "attentionCount"),
    ("comment_count", "commentCount"),
    ("site_updated_at", "updateDate"),
    ("responses", "govResponses"),
)


def _page_title(page: Page) -> str:
    sel = selector_of(page)
    title = clean(sel.css("title::text").get()).split("｜")[0].strip()
    if title in {"", "公共政策網路參與平臺", "提點子"}:
        title = clean(" ".join(sel.css("h1 ::text").getall()))
    return title


def idea_from_json(data: JsonObject, url: str, log: FieldLog | None = None, page: Page | None = None) -> Idea:
    """An Idea from the embedded object (61 keys in 2017); epoch-ms times, ``""`` for empty ones."""
    log = log or FieldLog()
    uuid = clean(data.get("id")) or uuid_from_url(url)
    if not uuid:
        raise required_missing(url, "proposal id", "var idea.id, /idea/detail/{uuid} in the URL")
    for name, key in EMBEDDED_FIELDS:
        log.note(name, not absent(data.get(key)), f"var idea.{key}")
    title = clean(data.get("title"))
    if not title and page is not None:
        title = _page_title(page)
        if title:
            log.note("title", True, "")
            log.missing = [m for m in log.missing if m.field != "title"]
    proposer = json_object(data.get("proposer"))
    master = json_object(json_object(data.get("approvalOrganization")).get("master"))
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
        responses=tuple(_response(json_object(r), uuid, url, log) for r in responses),
    )


_JOIN_NUM_RE = re.compile(r"已附議\s*([\d,]+)")


HTML_ONLY = "the HTML has no var idea"


def idea_from_html(page: Page, url: str, log: FieldLog | None = None) -> Idea:
    """Fallback when no ``var idea`` is embedded: title and endorsement summary only [C]."""
    log = log or FieldLog()
    sel = selector_of(page)
    uuid = uuid_from_url(url)
    summary = clean(" ".join(sel.css(".detail-join-num ::text").getall()))
    match = _JOIN_NUM_RE.search(summary)
    if not uuid or match is None:
        raise required_missing(
            url,
            "proposal data",
            "`var idea = {…}`, .detail-join-num 「已附議 N」, /idea/detail/{uuid} in the URL",
        )
    title = clean(sel.css("h1.idea-title ::text, .idea_title ::text").get()) or _page_title(page)
    log.note("title", bool(title), "h1.idea-title, .idea_title, <title>, <h1>")
    log.note("endorse_count", True, "")
    for name, _key in EMBEDDED_FIELDS:
        if name not in {"title", "endorse_count"}:
            log.note(name, False, HTML_ONLY)
    return Idea(uuid=uuid, title=title, url=url, endorse_count=to_int(match.group(1)) or 0)


def read_idea_detail(page: Page, url: str) -> Reading[Idea]:
    source = page_source(page, url)
    data = embedded_json(source, "idea")
    log = FieldLog()
    if isinstance(data, Mapping):
        return log.reading(idea_from_json(data, url, log, page), "var idea [V]")
    return log.reading(idea_from_html(page, url, log), "HTML .detail-join-num [C]")


def parse_idea_detail(page: Page, url: str) -> Idea:
    return read_idea_detail(page, url).value


def idea_from_sources(
    reading: Reading[Idea], entry: IdeaListEntry | None, open_data: Idea | None
) -> Reading[Idea]:
    """The page first (it is the fullest source), then the list entry, then the open data, for the fields the
    page did not give."""
    idea = reading.value
    missing = {m.field: m for m in reading.missing}
    changes: dict[str, Any] = {}
    for source in (entry, open_data):
        if source is None:
            continue
        for name in ("title", "status", "endorse_count", "comment_count", "follower_count", "published_at"):
            value = getattr(source, name, None)
            if name in missing and name not in changes and value not in (None, ""):
                changes[name] = value
        if isinstance(source, Idea):
            for name in ("content", "outline", "proposer", "endorse_goal"):
                value = getattr(source, name)
                if name in missing and name not in changes and value not in (None, ""):
                    changes[name] = value
    if not changes:
        return reading
    still: tuple[Missing, ...] = tuple(m for m in reading.missing if m.field not in changes)
    found = tuple(dict.fromkeys([*reading.found, *changes]))
    return Reading(dataclasses.replace(idea, **changes), reading.shape, found, still)
