"""Consultations (眾開講): open-data list → detail pages → every page of every comment board; the open-data
programme list (``/toOpenData/ey/act``) is kept raw."""

from __future__ import annotations

import dataclasses
import email.utils
import json
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import datetime, timedelta

from scrapy.http import Request, Response

from crawler.items import PolicyListEntry
from crawler.pages.comment_board import parse_comment_board
from crawler.pages.common import FieldLog, LayoutError, load_json_body
from crawler.pages.opendata import OpenDataError, parse_policy_opendata
from crawler.pages.policy_detail import policy_from_sources, read_policy_detail
from crawler.spiders.base import JoinSpider, SpiderOutput
from storage.crawlstate import PolicyState, policy_states

# A Date header this far past the newest publication is not the site's clock (a replica, a frozen mirror).
CLOCK_PLAUSIBLE = timedelta(days=60)


def is_current(state: PolicyState | None, entry: PolicyListEntry) -> bool:
    """Stored and complete: the declared count is unchanged and every declared comment is stored."""
    return (
        state is not None
        and entry.declared_comment_count is not None
        and state.declared_comment_count == entry.declared_comment_count == state.stored_comments
    )


def is_open(state: PolicyState | None, entry: PolicyListEntry, site_clock: datetime | None) -> bool:
    """Still taking comments by the site's clock: likes and new comments may not show in the counts yet."""
    closes = entry.closes_at or (state.closes_at if state else None)
    return site_clock is not None and closes is not None and closes > site_clock


def pages_to_fetch(
    state: PolicyState | None, entry: PolicyListEntry, site_clock: datetime | None
) -> tuple[bool, bool]:
    """(detail page, comment board) to fetch again for one consultation of the open-data list.

    Changed counts or an incomplete board: both. Still open: the board. Only the follower count moved:
    the detail page (the row takes its counts from the open-data entry).
    """
    if not is_current(state, entry):
        return True, True
    assert state is not None
    followers_moved = entry.follower_count is not None and entry.follower_count != state.follower_count
    return followers_moved, is_open(state, entry, site_clock)


def site_clock_of(published: Iterable[datetime | None], date_header: bytes | None) -> datetime | None:
    """The site's "now": its Date header when plausible, else its newest publication (a lower bound, so
    a consultation closing after it counts as open: fetching it again is the safe mistake)."""
    newest = max((p for p in published if p is not None), default=None)
    served: datetime | None = None
    if date_header:
        try:
            served = email.utils.parsedate_to_datetime(date_header.decode("latin-1"))
        except (TypeError, ValueError):
            served = None
    if served is None or served.tzinfo is None:
        return newest
    if newest is None or newest <= served <= newest + CLOCK_PLAUSIBLE:
        return served
    return newest


class PoliciesSpider(JoinSpider):
    name = "policies"

    def __init__(
        self,
        name: str | None = None,
        *,
        base_url: str | None = None,
        policies: Sequence[str] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(name, base_url=base_url, **kwargs)
        # ``crawl --policy``: only these consultations (and their comments); None = every one listed.
        self.only_policies = frozenset(policies) if policies else None

    async def start(self) -> AsyncIterator[Request]:
        self.board_size = self.settings.getint("JOINFEEDBACK_COMMENT_PAGE_SIZE")
        self.collected: dict[str, set[str]] = {}
        self.declared: dict[str, int | None] = {}
        self.board_failed: set[str] = set()
        self.site_clock: datetime | None = None
        yield self.request(self.url("/toOpenData/ey/policy"), self.parse_open_data, priority=100)
        yield self.request(self.url("/toOpenData/ey/act"), self.parse_acts, priority=90)

    def board_url(self, uuid: str, page: int) -> str:
        return self.url(f"/joinComments/board/policy/{uuid}?size={self.board_size}&page={page}")

    def parse_open_data(self, response: Response) -> Iterator[SpiderOutput]:
        log, skipped = FieldLog(), list[OpenDataError]()
        try:
            entries = parse_policy_opendata(
                load_json_body(response.body, response.url), source=response.url, log=log, skipped=skipped
            )
            if not entries and not skipped:
                raise LayoutError(response.url, "the open-data list of consultations is empty")
        except LayoutError as error:
            yield from self.refetch_or_give_up(response, error)
            return
        except OpenDataError as error:
            yield from self.refetch_or_give_up(response, LayoutError(response.url, str(error)))
            return
        yield self.harvest(response, [], "opendata_policy")  # kept raw: the counts the run compared against
        self.warnings.add("opendata_policy", response.url, log.missing)
        for problem in skipped:  # no usable URL: that consultation cannot be crawled
            self.record_failure(response.url, str(problem))
        if self.only_policies is not None:
            listed = {e.uuid for e in entries}
            for uuid in sorted(self.only_policies - listed):
                self.record_failure(response.url, f"consultation {uuid} is not in the open-data list")
            entries = [e for e in entries if e.uuid in self.only_policies]
        states = policy_states(self.db, self.site)
        self.site_clock = site_clock_of((e.published_at for e in entries), response.headers.get(b"Date"))
        self.incomplete: dict[str, tuple[PolicyListEntry, tuple[str, ...]]] = {}
        for entry in entries:
            state = states.get(entry.uuid)
            detail, board = pages_to_fetch(state, entry, self.site_clock)
            if state is not None and state.missing_fields and not detail:
                self.incomplete[entry.uuid] = (entry, state.missing_fields)
            if not (detail or board):
                self.skipped += 1
                continue
            # Only our own keys travel in meta: response.meta would carry Scrapy's too (download_latency…).
            meta = {"entry": entry}
            if detail:
                yield self.request(
                    self.url(f"/policies/detail/{entry.uuid}"), self.parse_detail, priority=10, meta=meta
                )
            if board:
                self.declared[entry.uuid] = entry.declared_comment_count
                self.collected[entry.uuid] = set()
                yield self.request(self.board_url(entry.uuid, 1), self.parse_board, priority=5, meta=meta)

        if self.incomplete:  # stored without some fields: does the site give them now? One page tells.
            entry, _missing = next(iter(self.incomplete.values()))
            yield self.request(
                self.url(f"/policies/detail/{entry.uuid}"),
                self.parse_detail,
                priority=10,
                meta={"entry": entry, "probe": True},
            )

    def parse_acts(self, response: Response) -> Iterator[SpiderOutput]:
        """Programme progress [I]: no table yet (its fields are unrecorded), the payload is kept raw."""
        try:
            acts = load_json_body(response.body, response.url)
            if not isinstance(acts, list):
                raise LayoutError(
                    response.url, f"expected a JSON array of programmes, got {type(acts).__name__}"
                )
        except LayoutError as error:
            yield from self.refetch_or_give_up(response, error)
            return
        yield self.harvest(response, [], "opendata_act")

    def parse_detail(self, response: Response) -> Iterator[SpiderOutput]:
        entry: PolicyListEntry = response.meta["entry"]
        try:
            page = read_policy_detail(response, response.url)
        except LayoutError as error:
            yield from self.refetch_or_give_up(response, error)
            return
        if page.value.title and entry.title and page.value.title != entry.title:
            self.mismatches.append(f"{response.url}: title {page.value.title!r} ≠ open data {entry.title!r}")
        # Open data first (precise times, the counts), then the page (body, attachments): policy_from_sources.
        reading = policy_from_sources(page, entry)
        self.warnings.add("policy_detail", response.url, reading.missing)
        yield self.harvest(response, [reading.value], "policy_detail")
        if response.meta.get("probe"):
            yield from self.fetch_incomplete(entry.uuid, reading.value.missing_fields)

    def fetch_incomplete(self, probed: str, still_missing: tuple[str, ...]) -> Iterator[SpiderOutput]:
        """The probe found fields its stored row lacked: fetch the other incomplete consultations' pages too.
        (Not when it found nothing new: on a site that never gives a field, that would cost a page per
        consultation on every crawl.)"""
        _entry, before = self.incomplete.pop(probed)
        if not set(before) - set(still_missing):
            return
        for entry, _missing in self.incomplete.values():
            yield self.request(
                self.url(f"/policies/detail/{entry.uuid}"),
                self.parse_detail,
                priority=10,
                meta={"entry": entry},
            )
        self.incomplete.clear()

    def parse_board(self, response: Response) -> Iterator[SpiderOutput]:
        entry: PolicyListEntry = response.meta["entry"]
        if response.status != 200:
            try:  # a 503 whose body is a valid board is a board; anything else is a failure
                json.loads(response.text)
            except ValueError:
                self.board_failed.add(entry.uuid)
                self.record_failure(response.url, f"HTTP {response.status}")
                return
        try:
            page = parse_comment_board(response.body, response.url, entry.uuid)
        except LayoutError as error:
            retries = list(self.refetch_or_give_up(response, error))
            if not retries:
                self.board_failed.add(entry.uuid)
            yield from retries
            return
        self.warnings.add("comment_board", response.url, page.missing)
        if page.total_pages is None:  # no pager: the next page while this one came back full
            if page.top_level_count >= self.board_size:
                yield self.request(
                    self.board_url(entry.uuid, page.current_page + 1), self.parse_board, meta={"entry": entry}
                )
        elif page.current_page == 1:
            for number in range(2, page.total_pages + 1):
                yield self.request(
                    self.board_url(entry.uuid, number), self.parse_board, meta={"entry": entry}
                )
        self.collected.setdefault(entry.uuid, set()).update(c.msg_uid for c in page.comments)
        # A comment's link is its consultation's page: the board page it was read from shifts as comments
        # arrive (the raw board page stays linked through raw_payload_id).
        page_url = self.url(f"/policies/detail/{entry.uuid}")
        yield self.harvest(
            response, [dataclasses.replace(c, url=page_url) for c in page.comments], "comment_board"
        )

    def closed(self, reason: str) -> None:
        given_up = " ".join(f["url"] for f in self.failures)
        for uuid, seen in sorted(self.collected.items()):
            declared = self.declared.get(uuid)
            complete = uuid not in self.board_failed and f"/policy/{uuid}?" not in given_up
            if complete and declared is not None and declared != len(seen):
                self.mismatches.append(
                    f"policy {uuid}: open data declares {declared} comments, board served {len(seen)}"
                )
        super().closed(reason)
