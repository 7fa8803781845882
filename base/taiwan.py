"""Taiwan time, in which join.gov.tw shows every date (UTC+8 all year: no daylight saving since 1979)."""

from __future__ import annotations

from datetime import timedelta, timezone

TAIPEI_OFFSET = timedelta(hours=8)
TAIPEI = timezone(TAIPEI_OFFSET, "Asia/Taipei")

__all__ = ["TAIPEI", "TAIPEI_OFFSET"]
