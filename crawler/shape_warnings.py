"""Warnings of one crawl: optional fields a page type did not give, counted per (page type, field) with the
first example pages. Stored with the crawl run (``crawl_run.warnings``) and shown by ``joinfeedback status``.

A warning never fails a crawl: the record is stored with that field null (or empty text). Only missing
required data (a consultation's id or board, a proposal's id or data) is a failure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from crawler.pages.common import Missing
from storage.crawlstate import merge_warnings
from storage.models import ShapeWarning  # the schema keeps it: one definition

logger = logging.getLogger(__name__)
EXAMPLES = 3


class ShapeWarnings:
    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], ShapeWarning] = {}

    def add(self, page_type: str, url: str, missing: Iterable[Missing]) -> None:
        for item in missing:
            key = (page_type, item.field)
            entry = self._by_key.get(key)
            if entry is None:
                entry = ShapeWarning(
                    page_type=page_type, field=item.field, tried=item.tried, count=0, examples=[]
                )
                self._by_key[key] = entry
                logger.warning(
                    "%s: %s not found (tried %s); stored without it (more pages like this are counted, "
                    "not logged: see `joinfeedback status`)",
                    url,
                    item.field,
                    item.tried,
                )
            entry["count"] += 1
            if len(entry["examples"]) < EXAMPLES and url not in entry["examples"]:
                entry["examples"].append(url)

    def as_list(self) -> list[ShapeWarning]:
        return [{**v, "examples": list(v["examples"])} for _k, v in sorted(self._by_key.items())]

    def __len__(self) -> int:
        return sum(v["count"] for v in self._by_key.values())


__all__ = ["ShapeWarnings", "merge_warnings"]
