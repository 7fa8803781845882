"""Taiwan time, in which join.gov.tw shows every date (UTC+8 all year: no daylight saving since 1979)."""

from __future__ import annotations

from datetime import timedelta, timezone

TAIPEI = timezone(timedelta(hours=8), "Asia/Taipei")

__all__ = ["TAIPEI"]
