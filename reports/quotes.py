"""Verbatim quotes: fetch the stored texts of the items a report cites, excerpt, verify, redact."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy.orm import Session

from reports.model import Quote
from reports.textsafety import excerpt, redact, safe_url, verify_quote
from storage.items import ItemKey
from storage.queries import items as item_queries

log = logging.getLogger(__name__)
QUOTE_CHARS = 160


def comment_link(url: str, msg_uid: str) -> str:
    """A link to the comment itself: a consultation page renders each comment in an element with the
    id ``mcb_{msgUid}`` (docs/site-shapes.md), so the fragment scrolls to it once the comments
    are drawn. Other URLs (imported files, a page of unknown shape) are left as they are; the quote
    shows the comment id beside the link either way."""
    if not url or "#" in url or "/policies/detail/" not in url or not msg_uid.isdigit():
        return url
    return f"{url}#mcb_{msg_uid}"


class QuoteBook:
    """Holds the verified quotes of one report; texts are fetched once, in batches."""

    def __init__(self, *, redact_print: bool, mask: str, limit: int = QUOTE_CHARS) -> None:
        self.redact_print = redact_print
        self.mask = mask
        self.limit = limit
        self._quotes: dict[ItemKey, Quote] = {}
        self.missing: list[ItemKey] = []

    def load(self, session: Session, keys: Iterable[ItemKey]) -> None:
        wanted = [key for key in dict.fromkeys(keys) if key not in self._quotes]
        texts = item_queries.item_texts(session, wanted)
        for key in wanted:
            item = texts.get(key)
            if item is None or not item.text.strip():
                self.missing.append(key)
                log.warning("no stored text for %s; not quoted", key.text)
                continue
            quote, cut = excerpt(item.text, self.limit)
            verify_quote(quote, item.text, kind=key.kind, item_id=key.item_id)
            printed = redact(quote, self.mask) if self.redact_print else quote
            url = comment_link(item.url, key.item_id) if key.kind == "comment" else item.url
            self._quotes[key] = Quote(key.kind, key.item_id, quote, printed, cut, safe_url(url))

    def get(self, key: ItemKey | None) -> Quote | None:
        return self._quotes.get(key) if key else None

    def verify_all(self, session: Session) -> int:
        """Re-read every quoted item and check each quote again (the last gate before writing files)."""
        texts = item_queries.item_texts(session, self._quotes)
        for key, quote in self._quotes.items():
            stored = texts.get(key)
            verify_quote(quote.text, stored.text if stored else "", kind=key.kind, item_id=key.item_id)
        return len(self._quotes)


__all__ = ["QUOTE_CHARS", "QuoteBook", "comment_link"]
