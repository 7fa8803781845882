"""``joinfeedback crawl --check``: fetch one page of each type, politely, and say which shape each matched,
which fields it gave and which it did not. Stores nothing (no database is opened).

Run it before the first crawl of a new deployment, and once a day from the scheduler: it is how an operator
learns that the site changed before a crawl loses data. It reads the pages with the crawler's own parsers, so
what it reports is what a crawl would store. Not Scrapy: a dozen sequential requests need no reactor, and the
check must be able to run beside a crawl.
"""

from __future__ import annotations

import json
import textwrap
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

from base.errors import UserError
from crawler.items import TAIPEI, Idea, IdeaListEntry, PolicyListEntry
from crawler.pages.comment_board import parse_comment_board
from crawler.pages.common import ChallengePage, FieldLog, LayoutError, Missing, load_json_body
from crawler.pages.idea_detail import idea_from_sources, read_idea_detail
from crawler.pages.idea_list import parse_idea_list
from crawler.pages.opendata import (
    OpenDataError,
    OpenDataParser,
    opendata_shape,
    parse_idea_opendata,
    parse_policy_opendata,
)
from crawler.pages.policy_detail import policy_from_sources, read_policy_detail
from crawler.settings import USER_AGENT, profile_settings
from crawler.spiders.base import check_base_url
from crawler.spiders.ideas import LIST_STATES

CHECK_PAGE_SIZE = 10  # small pages: the check reads shapes, not data
T = TypeVar("T")


class FetchedPage(Protocol):
    """What the check reads of an HTTP response (``urllib.request.urlopen`` gives one)."""

    @property
    def status(self) -> int: ...
    def read(self) -> bytes: ...


class Opener(Protocol):
    """``urllib.request.urlopen``, or a stand-in for it."""

    def __call__(
        self, request: urllib.request.Request, /, *, timeout: float
    ) -> AbstractContextManager[FetchedPage]: ...


class Shaped(Protocol):
    """A parser's account of one page: the shape it matched and the optional fields it found or missed."""

    @property
    def shape(self) -> str: ...
    @property
    def found(self) -> tuple[str, ...]: ...
    @property
    def missing(self) -> tuple[Missing, ...]: ...


@dataclass
class CheckRow:
    """One fetched page: ``problem`` set means required data is missing (or the page could not be read)."""

    page_type: str
    url: str
    shape: str = ""
    found: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    note: str = ""
    problem: str = ""

    @property
    def result(self) -> str:
        if self.problem:
            return "FAIL"
        return "warn" if self.missing else "ok"


@dataclass
class CheckReport:
    base_url: str
    rows: list[CheckRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(r.problem for r in self.rows)

    def table(self, width: int = 44) -> str:
        header = ("page type", "result", "shape matched", "fields found", "missing (stored empty, warned)")
        cells = [header]
        for row in self.rows:
            missing = ", ".join(row.missing) or "-"
            cells.append((row.page_type, row.result, row.shape or "-", ", ".join(row.found) or "-", missing))
        widths = [max(len(c[i]) for c in cells) for i in range(3)] + [width, width]
        lines = [f"crawl check of {self.base_url} (nothing stored)"]
        for n, cell in enumerate(cells):
            wrapped = [
                textwrap.wrap(text, widths[i]) or [""] if i >= 3 else [text] for i, text in enumerate(cell)
            ]
            for k in range(max(len(w) for w in wrapped)):
                parts = [(w[k] if k < len(w) else "").ljust(widths[i]) for i, w in enumerate(wrapped)]
                lines.append("  ".join(parts).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
            else:
                row = self.rows[n - 1]
                where = urlsplit(row.url)
                lines.append(
                    f"    {where.path}{'?' + where.query if where.query else ''}"
                    + (f" — {row.note}" if row.note else "")
                )
                if row.problem:
                    lines.append(f"    required data missing: {row.problem}")
        failed = [r for r in self.rows if r.problem]
        warned = [r for r in self.rows if r.missing and not r.problem]
        if failed:
            lines.append(
                f"check FAILED: {len(failed)} page types lack required data "
                f"({', '.join(r.page_type for r in failed)}); a crawl would lose them"
            )
        else:
            lines.append(
                "check ok: every page type gives its required data"
                + (
                    f"; {len(warned)} page types miss optional fields (stored empty, with warnings)"
                    if warned
                    else ""
                )
            )
        return "\n".join(lines)


class CheckFetchError(Exception):
    pass


class SiteUnreachable(UserError):
    """The site did not answer at all: no page type can be checked."""

    exit_code = 4


class PoliteFetcher:
    """Sequential GETs with the crawler's User-Agent, the profile's delay apart, obeying robots.txt."""

    def __init__(self, base_url: str, profile: str, *, opener: Opener | None = None) -> None:
        settings = profile_settings(profile)
        self.base_url = base_url
        self.delay = float(settings.get("DOWNLOAD_DELAY", 0)) + float(
            settings.get("AUTOTHROTTLE_START_DELAY", 0)
        )
        self.timeout = float(settings.get("DOWNLOAD_TIMEOUT", 60))
        self.open: Opener = opener or urllib.request.urlopen
        self.last = 0.0
        self.robots: urllib.robotparser.RobotFileParser | None = None
        self.requests = 0

    def _get(self, url: str) -> tuple[int, bytes]:
        wait = self.last + self.delay - time.monotonic()
        if wait > 0 and self.requests:
            time.sleep(wait)
        self.requests += 1
        # base_url is an http(s) URL (check_base_url): no file: or custom scheme reaches urlopen
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})  # noqa: S310
        try:
            with self.open(request, timeout=self.timeout) as response:
                return int(response.status), bytes(response.read())
        except urllib.error.HTTPError as error:
            return int(error.code), bytes(error.read() or b"")
        except (urllib.error.URLError, OSError) as error:
            raise CheckFetchError(f"cannot fetch {url}: {getattr(error, 'reason', error)}") from error
        finally:
            self.last = time.monotonic()

    def get(self, path: str) -> tuple[str, int, bytes]:
        url = f"{self.base_url}{path}"
        if self.robots is None:
            try:  # the first request: a site that does not answer is said once, not as a robots.txt verdict
                status, body = self._get(f"{self.base_url}/robots.txt")
            except CheckFetchError as error:
                raise SiteUnreachable(
                    f"{self.base_url} is unreachable ({error}): check the base URL and that the site is up; "
                    "nothing was checked"
                ) from error
            self.robots = urllib.robotparser.RobotFileParser()
            self.robots.parse(body.decode("utf-8", "replace").splitlines() if status == 200 else [])
        if not self.robots.can_fetch(USER_AGENT, url):
            raise CheckFetchError(f"robots.txt disallows {url}")
        status, body = self._get(url)
        return url, status, body


@dataclass
class _Page:
    """What the page parsers need of a response: its text."""

    text: str


def _read(row: CheckRow, action: Callable[[bytes], T], body: bytes = b"") -> T | None:
    """Parse one page's ``body``; a missing required part or an unreadable page becomes the row's problem."""
    try:
        return action(body)
    except ChallengePage:
        row.problem = "a bot-challenge page came instead (Cloudflare?): try again later"
    except LayoutError as error:
        row.problem = error.missing
    except OpenDataError as error:
        row.problem = str(error)
    return None


def _fetch(
    fetcher: PoliteFetcher, report: CheckReport, page_type: str, path: str
) -> tuple[CheckRow, bytes | None]:
    row = CheckRow(page_type, f"{fetcher.base_url}{path}")
    report.rows.append(row)
    try:
        url, status, body = fetcher.get(path)
    except CheckFetchError as error:
        row.problem = str(error)
        return row, None
    row.url = url
    if status != 200 and not (status == 503 and body[:1] in (b"{", b"[")):
        row.problem = f"HTTP {status}"
        return row, None
    return row, body


def _entries_row(row: CheckRow, log: FieldLog, count: int, what: str) -> None:
    row.found = tuple(f for f in log.found if f not in {m.field for m in log.missing})
    row.missing = tuple(m.field for m in log.missing)
    row.note = f"{count} {what}"


def _reading_row(row: CheckRow, reading: Shaped) -> None:
    row.shape, row.found = reading.shape, reading.found
    row.missing = tuple(m.field for m in reading.missing)


def _page(body: bytes) -> _Page:
    return _Page(body.decode("utf-8", "replace"))


def _read_opendata(
    row: CheckRow,
    body: bytes,
    parse: OpenDataParser[T],
    log: FieldLog,
    skipped: list[OpenDataError],
) -> list[T] | None:
    """An open-data list's entries (None when the body is no JSON); its shape goes on the row."""
    data = _read(row, lambda b: load_json_body(b, row.url), body)
    if data is None:
        return None
    row.shape = opendata_shape(data)
    return _read(row, lambda _: parse(data, source=row.url, log=log, skipped=skipped)) or []


def _check_policy_opendata(fetcher: PoliteFetcher, report: CheckReport) -> list[PolicyListEntry]:
    """The open data of consultations: the crawler's index of them."""
    row, body = _fetch(fetcher, report, "opendata_policy", "/toOpenData/ey/policy")
    if body is None:
        return []
    log, skipped = FieldLog(), list[OpenDataError]()
    policies = _read_opendata(row, body, parse_policy_opendata, log, skipped)
    if policies is None:
        return []
    _entries_row(row, log, len(policies), "consultations")
    if skipped:
        row.note += f", {len(skipped)} without a usable URL (not crawlable): {skipped[0]}"
    if not policies and not row.problem:
        row.problem = "no consultation with a URL (網址/url): nothing to crawl"
    return policies


def _check_policy_detail(fetcher: PoliteFetcher, report: CheckReport, entry: PolicyListEntry) -> None:
    row, body = _fetch(fetcher, report, "policy_detail", f"/policies/detail/{entry.uuid}")
    if body is None:
        return
    page = _read(row, lambda b: read_policy_detail(_page(b), row.url), body)
    if page is not None:
        merged = policy_from_sources(page, entry)
        _reading_row(row, merged)
        row.note = f"title {merged.value.title[:30]!r}" if merged.value.title else "no title"


def _check_comment_board(fetcher: PoliteFetcher, report: CheckReport, entry: PolicyListEntry) -> None:
    path = f"/joinComments/board/policy/{entry.uuid}?size={CHECK_PAGE_SIZE}&page=1"
    row, body = _fetch(fetcher, report, "comment_board", path)
    if body is None:
        return
    board = _read(row, lambda b: parse_comment_board(b, row.url, entry.uuid), body)
    if board is not None:
        _reading_row(row, board)
        row.note = f"{len(board.comments)} comments on page 1" + (
            f" of {board.total_pages}" if board.total_pages is not None else ""
        )


def _check_idea_list(fetcher: PoliteFetcher, report: CheckReport, state: str) -> tuple[IdeaListEntry, ...]:
    path = f"/idea/index/search/{state}?page=1&size={CHECK_PAGE_SIZE}"
    row, body = _fetch(fetcher, report, f"idea_list {state}", path)
    if body is None:
        return ()
    page = _read(row, lambda b: parse_idea_list(_page(b), row.url), body)
    if page is None:
        return ()
    _reading_row(row, page)
    row.note = f"{len(page.entries)} proposals" + (" (an empty state)" if not page.entries else "")
    return page.entries


def newest_year(listed: Iterable[IdeaListEntry]) -> int:
    """The open-data year the crawler would read first: that of the newest listed proposal, else this year."""
    published = [e.published_at for e in listed if e.published_at is not None]
    return max(published).astimezone(TAIPEI).year if published else datetime.now(TAIPEI).year


def _check_idea_opendata(fetcher: PoliteFetcher, report: CheckReport, year: int) -> dict[str, Idea]:
    """The proposals' open data of ``year``, or of the year before when ``year`` has none yet."""
    for candidate in (year, year - 1):
        row, body = _fetch(fetcher, report, "opendata_idea", f"/toOpenData/v2/ey/idea?year={candidate}")
        if body is None:
            return {}
        log, skipped = FieldLog(), list[OpenDataError]()
        ideas = _read_opendata(row, body, parse_idea_opendata, log, skipped)
        if ideas is None:
            return {}
        _entries_row(row, log, len(ideas), "proposals")
        if ideas or row.problem:
            return {i.uuid: i for i in ideas}
        report.rows.pop()  # an empty year (early January): the year before says more
        if candidate != year:
            report.rows.append(row)
    return {}


def _check_idea_detail(
    fetcher: PoliteFetcher, report: CheckReport, listed: dict[str, IdeaListEntry], open_ideas: dict[str, Idea]
) -> None:
    """One proposal: the first listed, else the first of the open data."""
    uuid = next(iter(listed), None) or next(iter(open_ideas), None)
    if uuid is None:
        report.rows.append(
            CheckRow(
                "idea_detail",
                f"{fetcher.base_url}/idea/detail/…",
                note="no proposal listed anywhere: not checked",
            )
        )
        return
    row, body = _fetch(fetcher, report, "idea_detail", f"/idea/detail/{uuid}")
    if body is None:
        return
    idea_reading = _read(row, lambda b: read_idea_detail(_page(b), row.url), body)
    if idea_reading is not None:
        idea = idea_from_sources(idea_reading, listed.get(uuid), open_ideas.get(uuid))
        _reading_row(row, idea)
        row.note = f"{len(idea.value.responses)} agency responses"


def run_check(
    base_url: str,
    *,
    profile: str = "polite",
    year: int | None = None,
    opener: Opener | None = None,
) -> CheckReport:
    """Fetch one page of each type (about a dozen requests) and report what each gives; stores nothing."""
    base_url = check_base_url(base_url)
    fetcher = PoliteFetcher(base_url, profile, opener=opener)
    report = CheckReport(base_url)
    policies = _check_policy_opendata(fetcher, report)
    if policies:  # the consultation with the most comments, so that the board shows a comment's fields
        entry = max(policies, key=lambda e: (e.declared_comment_count or 0, e.uuid))
        _check_policy_detail(fetcher, report, entry)
        _check_comment_board(fetcher, report, entry)
    listed: dict[str, IdeaListEntry] = {}
    for state in LIST_STATES:
        for item in _check_idea_list(fetcher, report, state):
            listed.setdefault(item.uuid, item)
    open_ideas = _check_idea_opendata(fetcher, report, year or newest_year(listed.values()))
    _check_idea_detail(fetcher, report, listed, open_ideas)
    return report


def check_json(report: CheckReport) -> str:
    """The report as JSON (for monitoring)."""
    return json.dumps(
        {
            "base_url": report.base_url,
            "ok": report.ok,
            "pages": [
                {
                    "page_type": r.page_type,
                    "url": r.url,
                    "result": r.result,
                    "shape": r.shape,
                    "found": list(r.found),
                    "missing": list(r.missing),
                    "note": r.note,
                    "problem": r.problem,
                }
                for r in report.rows
            ],
        },
        ensure_ascii=False,
    )


__all__ = ["CheckReport", "CheckRow", "SiteUnreachable", "check_json", "run_check"]
