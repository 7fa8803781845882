"""Item pipelines, one job each: validate → normalise → store (buffered, flushed in batches)."""

from __future__ import annotations

import dataclasses
import logging
import time
import unicodedata
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.engine import Engine

from crawler import items, signals
from crawler.account import RUN_ID_STAT
from crawler.dbretry import StoreError, with_retries
from crawler.spiders.base import join_spider
from storage import models
from storage.crawlstate import CrawlBatch, store_batch
from storage.db import open_database

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

logger = logging.getLogger(__name__)
# Pages kept raw although they yield no rows: the open-data lists a run compared against.
RAW_KINDS = frozenset({"opendata_policy", "opendata_idea", "opendata_act"})


# A record, or an agency response inside one: any of the items' dataclasses.
Item = TypeVar("Item", bound="DataclassInstance")


def _problem(record: object) -> str | None:
    if isinstance(record, items.Comment):
        if not record.msg_uid or not record.policy_uuid:
            return "comment without msg_uid or policy uuid"
        if record.like_count < 0 or record.unlike_count < 0:
            return f"comment {record.msg_uid} with a negative like count"
    elif isinstance(record, items.Policy | items.Idea):
        if not record.uuid:  # a missing title is a warning (stored empty), not a reason to drop the record
            return "record without uuid"
        if isinstance(record, items.Idea) and (record.endorse_count < 0 or record.endorse_goal <= 0):
            return f"idea {record.uuid} with impossible endorsement figures"
    elif isinstance(record, items.EndorsementSnapshot):
        if not record.idea_uuid or record.endorse_count < 0:
            return "snapshot without idea or with a negative count"
    else:
        return f"unexpected record type {type(record).__name__}"
    return None


class ValidatePipeline:
    """Drop records that cannot be true (and say which and why); a harvest with no page is dropped."""

    def process_item(self, item: object) -> items.PageHarvest:
        if not isinstance(item, items.PageHarvest):
            raise DropItem(f"not a PageHarvest: {type(item).__name__}")
        kept = []
        for record in item.records:
            problem = _problem(record)
            if problem:
                logger.warning("%s: dropped a record: %s", item.page.url, problem)
            else:
                kept.append(record)
        return dataclasses.replace(item, records=tuple(kept))


def _normalise_text(value: str) -> str:
    # NFC so that equal text compares equal; NUL is rejected by PostgreSQL text columns.
    return unicodedata.normalize("NFC", value).replace("\x00", "")


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type[DataclassInstance]) -> tuple[str, ...]:
    """A record type's field names, looked up once per type (records are many, types four)."""
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names


def _normalise(record: Item) -> Item:
    changes: dict[str, object] = {
        name: normalised
        for name in _field_names(type(record))
        if isinstance(value := getattr(record, name), str) and (normalised := _normalise_text(value)) != value
    }
    if isinstance(record, items.Idea):
        responses = tuple(_normalise(r) for r in record.responses)
        if responses != record.responses:
            changes["responses"] = responses
    # most text comes normalised already: a copy of the record only when a field changed
    return dataclasses.replace(record, **changes) if changes else record


class NormalisePipeline:
    """Unicode NFC and no NUL characters in every text field."""

    def process_item(self, item: items.PageHarvest) -> items.PageHarvest:
        return dataclasses.replace(item, records=tuple(_normalise(r) for r in item.records))


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _row(
    record: items.Policy | items.Comment | items.Idea | items.AgencyResponse, site: str, sha: str
) -> tuple[type[models.Base], dict[str, object]]:
    """A record as a row of its table (times in UTC, which both SQLite and PostgreSQL keep faithfully)."""
    values: dict[str, object] = {"site": site, "payload_sha256": sha}
    for name in _field_names(type(record)):
        if name != "responses":
            value = getattr(record, name)
            values[name] = _utc(value) if isinstance(value, datetime) else value
    if isinstance(record, items.Policy):
        values["attachments"] = list(record.attachments)
        values["missing_fields"] = list(record.missing_fields)
        return models.Policy, values
    if isinstance(record, items.Comment):
        return models.Comment, values
    if isinstance(record, items.Idea):
        return models.Idea, values
    if isinstance(record, items.AgencyResponse):
        return models.AgencyResponse, values
    raise TypeError(type(record).__name__)


class StorePipeline:
    """Buffer rows and write them in batches (one transaction each): a killed crawl keeps what was flushed."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db_url = crawler.settings.get("JOINFEEDBACK_DB")
        self.batch_size = crawler.settings.getint("JOINFEEDBACK_BATCH_SIZE")
        self.batch = CrawlBatch()
        self.engine: Engine | None = None
        self.flush_every = crawler.settings.getfloat("JOINFEEDBACK_FLUSH_SECONDS")
        self.last_flush = time.monotonic()
        self.store_wait = crawler.settings.getfloat("JOINFEEDBACK_STORE_RETRY_SECONDS")
        self.failed: StoreError | None = None  # set once a batch could not be written: the crawl stops

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.engine = open_database(self.db_url, migrate=False)

    @property
    def run_id(self) -> int | None:
        """The crawl run's id, as the run's account published it when the spider opened."""
        stats = self.crawler.stats
        run_id = stats.get_value(RUN_ID_STAT) if stats is not None else None
        return int(run_id) if run_id is not None else None

    def process_item(self, item: items.PageHarvest) -> items.PageHarvest:
        if self.failed is not None:  # the crawl is stopping; what is still in flight cannot be stored
            self._not_stored([item.page.url], self.failed)
            return item
        site = join_spider(self.crawler.spider).site
        keep_raw = bool(item.records) or item.kind in RAW_KINDS
        sha = (
            self.batch.add_payload(item.page.url, item.page.body, item.page.content_type) if keep_raw else ""
        )
        for record in item.records:
            if isinstance(record, items.EndorsementSnapshot):
                self.batch.add_snapshot(site, record.idea_uuid, record.endorse_count)
                continue
            self.batch.add_row(*_row(record, site, sha))
            if isinstance(record, items.Idea):
                for response in record.responses:
                    self.batch.add_row(*_row(response, site, sha))
        # Flush by size, and by age so that a crawl killed mid-way loses at most a few seconds of work.
        if len(self.batch) >= self.batch_size or time.monotonic() - self.last_flush > self.flush_every:
            self.flush()
        return item

    def flush(self) -> None:
        if not len(self.batch) and not self.batch.payloads:
            return
        engine = self.engine
        assert engine is not None, "rows are only buffered once open_spider opened the database"
        batch, self.batch = self.batch, CrawlBatch()
        self.last_flush = time.monotonic()
        try:
            counts = with_retries(
                lambda: store_batch(engine, batch, crawl_run_id=self.run_id),
                what=f"storing {len(batch)} rows from {len(batch.payloads)} pages",
                wait_total=self.store_wait,
            )
        except StoreError as error:
            self._stop(batch, error)
            return
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("joinfeedback/items_new", counts.new)
            stats.inc_value("joinfeedback/items_updated", counts.updated)
            stats.inc_value("joinfeedback/items_unchanged", counts.unchanged)

    def _not_stored(self, urls: list[str], error: StoreError) -> None:
        for url in urls:
            self.crawler.signals.send_catch_log(
                signals.page_given_up, url=url, error=f"not stored: {error}", cause="StoreError"
            )

    def _stop(self, batch: CrawlBatch, error: StoreError) -> None:
        """A batch that cannot be written: its pages are listed as failed and the crawl stops (fetching more
        would only lose more); every batch committed before stays, and the next run fetches the rest."""
        logger.error(
            "%s; stopping the crawl (what was committed before is kept; run the crawl again once the "
            "database is back or has space)",
            error,
        )
        self._not_stored(sorted({p["url"] for p in batch.payloads.values()}), error)
        if self.failed is None:
            self.crawler.signals.send_catch_log(signals.store_failed, error=str(error))
            self.failed = error
            engine = self.crawler.engine
            if engine is not None and engine.running:
                deferred_from_coro(engine.close_spider_async(reason="store_failed"))
        self.failed = error

    def close_spider(self) -> None:
        try:
            self.flush()
        finally:
            if self.engine is not None:
                self.engine.dispose()
