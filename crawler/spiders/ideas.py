"""Proposals (提點子): every page of every list state → detail pages of new, changed or still-open proposals;
an endorsement snapshot per proposal per run; the per-year open data (``/toOpenData/v2/ey/idea?year=``) as a
cross-check and a safety net (proposals no list shows are fetched from it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response

from base.errors import UserError
from crawler.idea_crosscheck import cross_check, year_of
from crawler.items import EndorsementSnapshot, Idea, IdeaListEntry, Record
from crawler.pages.common import FieldLog, LayoutError, load_json_body
from crawler.pages.idea_detail import idea_from_sources, read_idea_detail
from crawler.pages.idea_list import parse_idea_list
from crawler.pages.opendata import OpenDataError, parse_idea_opendata
from crawler.spiders.base import JoinSpider, SpiderOutput
from storage.crawlstate import IdeaState, idea_states

LIST_STATES = ("ENDORSING", "ADVICE", "COMPLETED", "CLOSED")
# Passed the threshold: the agency owes an answer until a formal (non-placeholder) response is stored.
PASSED_STATUSES = ("SecondSigned", "Advice", "Completed")
# Still moving: open for endorsement, or passed and waiting for the agency. Their years' open data is fetched
# on every crawl; the other years only when a proposal of theirs is new to the database.
LIVE_STATUSES = ("FirstSigned", "SecondSigned", "Advice")


def needs_detail(state: IdeaState | None, entry: IdeaListEntry) -> bool:
    if state is None or state.awaiting_response:
        return True
    return (
        (bool(entry.status) and entry.status != state.status)
        or (entry.endorse_count is not None and entry.endorse_count != state.endorse_count)
        or (entry.comment_count is not None and entry.comment_count != state.comment_count)
        or (entry.follower_count is not None and entry.follower_count != state.follower_count)
    )


def parse_years(text: str) -> list[int]:
    """``JOINFEEDBACK_IDEA_YEARS``: "2015-2020", "2019,2020" or "" (years from the proposals themselves)."""
    years: set[int] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, _, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise UserError(f"JOINFEEDBACK_IDEA_YEARS: {part!r} is not a year or a range like 2015-2020")
        years.update(range(int(first), int(last or first) + 1))
    return sorted(years)


def live_years(states: Iterable[IdeaState]) -> set[int]:
    return {
        y
        for s in states
        if (s.status in LIVE_STATUSES or s.awaiting_response) and (y := year_of(s)) is not None
    }


class IdeasSpider(JoinSpider):
    name = "ideas"
    list_size: int
    configured_years: list[int]  # JOINFEEDBACK_IDEA_YEARS; empty: the years the proposals call for

    def __init__(self, name: str | None = None, *, base_url: str | None = None, **kwargs: object) -> None:
        super().__init__(name, base_url=base_url, **kwargs)
        self.states: dict[str, IdeaState] = {}  # what the database holds, read when the crawl starts
        self.listed: dict[str, IdeaListEntry] = {}
        self.open_data: dict[str, Idea] = {}
        self.years_requested: set[int] = set()
        self.years_read: set[int] = set()
        self.list_failed = False
        self.cross_checked = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: object, **kwargs: object) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.list_size = crawler.settings.getint("JOINFEEDBACK_LIST_PAGE_SIZE")
        spider.configured_years = parse_years(crawler.settings.get("JOINFEEDBACK_IDEA_YEARS") or "")
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        self.states.update(idea_states(self.db, self.site, passed_statuses=PASSED_STATUSES))
        for year in self.configured_years or sorted(live_years(self.states.values())):
            yield self.year_request(year)
        for state in LIST_STATES:
            yield self.request(self.list_url(state, 1), self.parse_list, priority=50, meta={"state": state})

    def list_url(self, state: str, page: int) -> str:
        return self.url(f"/idea/index/search/{state}?page={page}&size={self.list_size}")

    def year_request(self, year: int) -> Request:
        self.years_requested.add(year)
        return self.request(
            self.url(f"/toOpenData/v2/ey/idea?year={year}"),
            self.parse_open_data,
            priority=100,
            meta={"year": year},
        )

    def parse_open_data(self, response: Response) -> Iterator[SpiderOutput]:
        log, skipped = FieldLog(), list[OpenDataError]()
        try:
            ideas = parse_idea_opendata(
                load_json_body(response.body, response.url), source=response.url, log=log, skipped=skipped
            )
        except LayoutError as error:
            yield from self.refetch_or_give_up(response, error)
            return
        except OpenDataError as error:
            yield from self.refetch_or_give_up(response, LayoutError(response.url, str(error)))
            return
        year = int(response.meta["year"])
        self.years_read.add(year)
        self.note_missing("opendata_idea", response.url, log.missing)
        for problem in skipped:  # no usable URL: no way to that proposal's page from this entry
            self.note_mismatch(f"{response.url}: {problem}")
        for idea in ideas:
            if year_of(idea) not in (year, None):
                self.note_mismatch(
                    f"idea {idea.uuid}: published {idea.published_at:%Y-%m-%d}, "
                    f"served in the open data of {year}"
                )
            self.open_data[idea.uuid] = idea
        yield self.harvest(response, [], "opendata_idea")

    def parse_list(self, response: Response) -> Iterator[SpiderOutput]:
        try:
            page = parse_idea_list(response, response.url)
        except LayoutError as error:
            retries = list(self.refetch_or_give_up(response, error))
            self.list_failed = self.list_failed or not retries
            yield from retries
            return
        self.note_missing("idea_list", response.url, page.missing)
        if page.total_pages is None:  # no pager: the next page while this one came back full
            if len(page.entries) >= self.list_size:
                yield self.request(
                    self.list_url(response.meta["state"], page.current_page + 1),
                    self.parse_list,
                    priority=40,
                    meta={"state": response.meta["state"]},
                )
        elif page.current_page == 1:
            for number in range(2, page.total_pages + 1):
                yield self.request(
                    self.list_url(response.meta["state"], number),
                    self.parse_list,
                    priority=40,
                    meta={"state": response.meta["state"]},
                )
        snapshots = []
        for entry in page.entries:
            self.listed[entry.uuid] = entry
            if entry.endorse_count is not None:
                snapshots.append(EndorsementSnapshot(entry.uuid, entry.endorse_count))
            if needs_detail(self.states.get(entry.uuid), entry):
                yield self.detail_request(entry.uuid)
            else:
                self.count("pages_skipped")
        yield self.harvest(response, snapshots, "idea_list")

    def detail_request(self, uuid: str) -> Request:
        return self.request(self.url(f"/idea/detail/{uuid}"), self.parse_detail, priority=10)

    def parse_detail(self, response: Response) -> Iterator[SpiderOutput]:
        try:
            page = read_idea_detail(response, response.url)
        except LayoutError as error:
            yield from self.refetch_or_give_up(response, error)
            return
        entry = self.listed.get(page.value.uuid)
        reading = idea_from_sources(page, entry, self.open_data.get(page.value.uuid))
        self.note_missing("idea_detail", response.url, reading.missing)
        idea = reading.value
        if entry is not None and entry.status and idea.status and entry.status != idea.status:
            self.note_mismatch(f"{response.url}: status {idea.status} ≠ list {entry.status}")
        records: list[Record] = [idea]
        if entry is None:  # found through open data only: the detail page gives this run's count
            records.append(EndorsementSnapshot(idea.uuid, idea.endorse_count))
        yield self.harvest(response, records, "idea_detail")

    def years_to_read(self) -> set[int]:
        """The open-data years still to fetch once the lists are read: those of proposals new to the
        database."""
        if self.configured_years:
            return set()
        new = {year_of(e) for uuid, e in self.listed.items() if uuid not in self.states}
        return {y for y in new if y is not None} - self.years_requested

    def on_idle(self) -> None:
        """Once every list is read: fetch the open data of the years new proposals belong to; once that is
        read too, compare it with the lists and fetch proposals the lists did not show."""
        if self.cross_checked:
            return
        years = sorted(self.years_to_read())
        if years:
            for year in years:
                self.crawler.engine.crawl(self.year_request(year))
            raise DontCloseSpider
        self.cross_checked = True
        found = cross_check(
            self.open_data,
            self.listed,
            self.states,
            years_requested=self.years_requested,
            years_read=self.years_read,
            list_failed=self.list_failed,
        )
        for note in found.mismatches:
            self.note_mismatch(note)
        for uuid in found.to_fetch:
            self.crawler.engine.crawl(self.detail_request(uuid))
        if found.to_fetch:
            raise DontCloseSpider
