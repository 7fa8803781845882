"""What spiders and the store pipeline tell the crawl run's account (``crawler.account.RunAccount``).

Scrapy signals, sent as Scrapy's own are: ``crawler.signals.send_catch_log(signal, **arguments)``. The sender
needs nothing but its crawler; the account, an extension, connects to them in ``from_crawler``.
"""

from __future__ import annotations

page_given_up = object()
"""A page the crawl gave up on, its required data lost: ``url``, ``error``; ``cause`` ``"StoreError"`` when
it was fetched but could not be stored."""

fields_missing = object()
"""Optional fields a page did not give (stored empty): ``page_type``, ``url``, ``missing``
(``crawler.pages.common.Missing`` of each)."""

site_mismatch = object()
"""Two of the site's sources disagree (the open data and a page, a list and a detail page): ``note``, one
line for the run's report."""

store_failed = object()
"""A batch could not be written and the crawl stops: ``error``, why."""

__all__ = ["fields_missing", "page_given_up", "site_mismatch", "store_failed"]
