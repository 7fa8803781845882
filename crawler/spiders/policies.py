"""Consultations (眾開講): open-data list → detail pages → every page of every comment board; the open-data
programme list (``/toOpenData/ey/act``) is kept raw."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Request, Response

from crawler.items import PolicyListEntry
from crawler.pages.comment_board import parse_comment_board
from crawler.pages.common import FieldLog, LayoutError, http_date, load_json_body
from crawler.pages.opendata import OpenDataError, parse_policy_opendata
from crawler.pages.policy_detail import policy_from_sources, read_policy_detail
from crawler.spiders.base import JoinSpider, SpiderOutput
from storage.crawlstate import PolicyState, policy_states

# The reason a ``crawl --policy`` stops when the site lists no such consultation, and the stat naming them.
UNKNOWN_POLICIES = "unknown_policies"
UNKNOWN_POLICIES_STAT = "joinfeedback/unknown_policies"
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
    served = http_date(date_header)
    if served is None:
        return newest
    if newest is None or newest <= served <= newest + CLOCK_PLAUSIBLE:
        return served
    return newest


class PoliciesSpider(JoinSpider):
    name = "policies"
    board_size: int  # comments per board page (JOINFEEDBACK_COMMENT_PAGE_SIZE)

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
        self.only_policies = frozenset(p.lower() for p in policies) if policies else None
        # Per consultation whose board is fetched: the comment ids served, and the count open data declares.
        self.collected: dict[str, set[str]] = {}
        self.declared: dict[str, int | None] = {}
        self.board_failed: set[str] = set()
        self.site_clock: datetime | None = None
        # Stored without some fields (entry, fields): fetched again when a probe finds the site gives them.
        self.incomplete: dict[str, tuple[PolicyListEntry, tuple[str, ...]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: object, **kwargs: object) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.board_size = crawler.settings.getint("JOINFEEDBACK_COMMENT_PAGE_SIZE")
        return spider

    async def start(self) -> AsyncIterator[Request]:
        yield self.request(self.url("/toOpenData/ey/policy"), self.parse_open_data, priority=100)
        if self.only_policies is None:  # else once the open data shows the consultations asked for exist
            yield self.acts_request()

    def acts_request(self) -> Request:
        return self.request(self.url("/toOpenData/ey/act"), self.parse_acts, priority=90)

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
        if self.only_policies is not None:
            entries = [e for e in entries if e.uuid.lower() in self.only_policies]
            self.refuse_unknown(response, entries, skipped)
            yield self.acts_request()
        yield self.harvest(response, [], "opendata_policy")  # kept raw: the counts the run compared against
        self.note_missing("opendata_policy", response.url, log.missing)
        for problem in skipped:  # no usable URL: that consultation cannot be crawled
            self.record_failure(response.url, str(problem))
        states = policy_states(self.db, self.site)
        self.site_clock = site_clock_of((e.published_at for e in entries), response.headers.get(b"Date"))
        for entry in entries:
            state = states.get(entry.uuid)
            detail, board = pages_to_fetch(state, entry, self.site_clock)
            if state is not None and state.missing_fields and not detail:
                self.incomplete[entry.uuid] = (entry, state.missing_fields)
            if not (detail or board):
                self.count("pages_skipped")
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

    def refuse_unknown(
        self, response: Response, entries: Sequence[PolicyListEntry], skipped: Sequence[OpenDataError]
    ) -> None:
        """``crawl --policy``: consultations the open-data list (the site's index of them) does not name are
        unknown to the site, and the crawl stops before it stores anything (``crawler.run`` refuses it).
        With entries the list could not read, an unnamed one may be among them: the crawl goes on and records
        them as given up on."""
        assert self.only_policies is not None
        unknown = sorted(self.only_policies - {e.uuid.lower() for e in entries})
        if unknown and not skipped:
            if self.crawler.stats is not None:
                self.crawler.stats.set_value(UNKNOWN_POLICIES_STAT, unknown)
            raise CloseSpider(UNKNOWN_POLICIES)
        for uuid in unknown:
            self.record_failure(response.url, f"consultation {uuid} is not in the open-data list")

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
            self.note_mismatch(f"{response.url}: title {page.value.title!r} ≠ open data {entry.title!r}")
        # Open data first (precise times, the counts), then the page (body, attachments): policy_from_sources.
        reading = policy_from_sources(page, entry)
        self.note_missing("policy_detail", response.url, reading.missing)
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
        # A comment's link is its consultation's page: the board page it was read from shifts as comments
        # arrive (the raw board page stays linked through raw_payload_id).
        page_url = self.url(f"/policies/detail/{entry.uuid}")
        try:
            page = parse_comment_board(response.body, response.url, entry.uuid, link=page_url)
        except LayoutError as error:
            retries = list(self.refetch_or_give_up(response, error))
            if not retries:
                self.board_failed.add(entry.uuid)
            yield from retries
            return
        self.note_missing("comment_board", response.url, page.missing)
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
        yield self.harvest(response, page.comments, "comment_board")

    def closed(self, reason: str) -> None:
        given_up = " ".join(self.given_up)
        for uuid, seen in sorted(self.collected.items()):
            declared = self.declared.get(uuid)
            complete = uuid not in self.board_failed and f"/policy/{uuid}?" not in given_up
            if complete and declared is not None and declared != len(seen):
                self.note_mismatch(
                    f"policy {uuid}: open data declares {declared} comments, board served {len(seen)}"
                )
        super().closed(reason)
