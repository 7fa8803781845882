"""The proposals' cross-check: the open data against the list pages, once both are read.

A pure decision (what disagrees, what to fetch) that ``IdeasSpider.on_idle`` acts on and a test can call
without a crawl.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field

from crawler.items import TAIPEI, Idea, IdeaListEntry
from storage.crawlstate import IdeaState


def year_of(entry: IdeaListEntry | IdeaState | Idea) -> int | None:
    """The open-data year of a proposal: its publication year in Taiwan time."""
    return entry.published_at.astimezone(TAIPEI).year if entry.published_at is not None else None


@dataclass(frozen=True, slots=True)
class CrossCheck:
    """What the comparison found: ``mismatches`` for the crawl run's report, ``to_fetch`` the proposals
    (uuids) the lists did not show whose detail page is needed."""

    mismatches: list[str] = field(default_factory=list)
    to_fetch: list[str] = field(default_factory=list)


def cross_check(
    open_data: Mapping[str, Idea],
    listed: Mapping[str, IdeaListEntry],
    states: Mapping[str, IdeaState],
    *,
    years_requested: Set[int],
    years_read: Set[int],
    list_failed: bool,
) -> CrossCheck:
    """Compare the open data of ``years_read`` with the list entries. A list page given up on
    (``list_failed``) makes "not listed" meaningless, so those mismatches are not reported then."""
    result = CrossCheck()
    missing_years = sorted(years_requested - years_read)
    if missing_years:
        result.mismatches.append(
            f"open-data ideas of {', '.join(map(str, missing_years))} unavailable: "
            "no cross-check for those years"
        )
    for uuid, idea in sorted(open_data.items()):
        entry = listed.get(uuid)
        if entry is None:
            if not list_failed:
                result.mismatches.append(f"idea {uuid}: in open data, in no list state")
            state = states.get(uuid)
            if state is None or state.endorse_count != idea.endorse_count or state.awaiting_response:
                result.to_fetch.append(uuid)
        elif entry.endorse_count is not None and entry.endorse_count != idea.endorse_count:
            result.mismatches.append(
                f"idea {uuid}: endorsements {entry.endorse_count} in the list, "
                f"{idea.endorse_count} in open data"
            )
    if not list_failed:
        for uuid in sorted(set(listed) - set(open_data)):
            if year_of(listed[uuid]) in years_read:
                result.mismatches.append(f"idea {uuid}: listed, absent from open data")
    return result


__all__ = ["CrossCheck", "cross_check", "year_of"]
