"""Classify the authors of comments already stored, from the raw board pages kept beside them."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import Engine

from crawler.pages.comment_board import parse_comment_board
from crawler.pages.common import LayoutError
from crawler.spiders.base import site_of
from storage.authorship import BOARD_PATH, set_author_kinds, stored_board_pages

logger = logging.getLogger(__name__)
_POLICY_UUID = re.compile(re.escape(BOARD_PATH) + r"([0-9A-Za-z-]{8,64})")


@dataclass(frozen=True, slots=True)
class ReclassifySummary:
    pages: int
    comments: int
    agency: int
    changed: int

    def __str__(self) -> str:
        return (
            f"reclassify: {self.pages} board pages, {self.comments} messages read, "
            f"{self.agency} agency replies, {self.changed} comments changed"
        )


def reclassify_authors(engine: Engine) -> ReclassifySummary:
    """Apply ``author_kind`` to every stored comment whose board page was kept raw.

    For databases crawled before agency replies were told apart: a re-crawl fetches a closed board
    again only when its comment count changes, so its agency replies would stay counted as citizens'.
    Idempotent; a page that no longer parses is skipped with a warning.
    """
    kinds: dict[str, dict[str, str]] = {}
    pages = 0
    for url, body in stored_board_pages(engine):
        match = _POLICY_UUID.search(url)
        if match is None:
            continue
        try:
            page = parse_comment_board(body, url, match.group(1))
        except LayoutError as exc:
            logger.warning("reclassify: skipped %s", exc)
            continue
        pages += 1
        site_kinds = kinds.setdefault(site_of(url), {})
        for comment in page.comments:
            site_kinds[comment.msg_uid] = comment.author_kind
    changed = sum(set_author_kinds(engine, site, site_kinds) for site, site_kinds in kinds.items())
    every = [kind for site_kinds in kinds.values() for kind in site_kinds.values()]
    return ReclassifySummary(pages, len(every), every.count("agency"), changed)


__all__ = ["ReclassifySummary", "reclassify_authors"]
