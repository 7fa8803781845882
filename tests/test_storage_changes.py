"""Compare, then upsert (``storage.changes``): the one rule the crawler and file import store rows by."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from base.taiwan import TAIPEI
from storage.changes import KEY_CHUNK, ONE_PASS_KEYS, StoreCounts, upsert_changed
from storage.db import open_database, transaction
from storage.models import Policy

SITE = "join.gov.tw"


def _policy(uuid: str, title: str, published: datetime, **extra: object) -> dict[str, object]:
    return {
        "site": SITE,
        "uuid": uuid,
        "title": title,
        "published_at": published,
        "attachments": ("a.pdf",),
        **extra,
    }


def test_only_new_and_changed_rows_are_written(db_url: str) -> None:
    engine = open_database(db_url)
    noon = datetime(2020, 2, 21, 12, 0, 5, 250_000, tzinfo=TAIPEI)
    compared = ("title", "published_at", "attachments")
    first = [_policy("p1", "草案", noon, url="u1"), _policy("p2", "草案", noon, url="u2")]
    with transaction(engine) as session:
        counts = upsert_changed(session, Policy, first, keys=("site", "uuid"), compared=compared)
    assert counts == StoreCounts(new=2)

    # The same instant to the second in another zone, the attachments as a tuple: no change. A new title is.
    again = [
        _policy("p1", "草案", noon.astimezone(UTC).replace(microsecond=0), url="moved"),
        _policy("p2", "修正草案", noon, url="u2"),
        _policy("p3", "新", noon, url="u3"),
    ]
    with transaction(engine) as session:
        counts = upsert_changed(
            session,
            Policy,
            again,
            keys=("site", "uuid"),
            compared=compared,
            stamp={"follower_count": 7},
            keep=("url",),
        )
    assert counts == StoreCounts(new=1, updated=1, unchanged=1)
    with transaction(engine) as session:
        rows = {r.uuid: r for r in session.scalars(select(Policy))}
    assert (rows["p1"].url, rows["p1"].follower_count) == ("u1", None), "an unchanged row is left alone"
    assert (rows["p2"].title, rows["p2"].follower_count, rows["p2"].url) == ("修正草案", 7, "u2")
    assert rows["p3"].follower_count == 7


@pytest.mark.parametrize("n", [KEY_CHUNK + 20, ONE_PASS_KEYS + 20], ids=["IN lists", "one pass"])
def test_many_keys_of_one_site_are_compared(sqlite_url: str, n: int) -> None:
    engine = open_database(sqlite_url)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    rows = [_policy(f"p{n}", "t", start + timedelta(minutes=n)) for n in range(n)]
    with transaction(engine) as session:
        upsert_changed(session, Policy, rows[:-10], keys=("site", "uuid"), compared=("title", "published_at"))
    with transaction(engine) as session:
        counts = upsert_changed(
            session, Policy, rows, keys=("site", "uuid"), compared=("title", "published_at")
        )
    assert counts == StoreCounts(new=10, unchanged=n - 10)
