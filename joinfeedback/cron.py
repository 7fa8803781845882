"""Cron expressions: the usual five fields, or six with seconds first (``*/5 * * * * *``)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from base.errors import UserError


def parse_cron(expression: str, timezone: str = "Asia/Taipei") -> CronTrigger:
    """A trigger for ``expression``; ``UserError`` naming the expression when it does not parse."""
    parts = expression.split()
    tz = ZoneInfo(timezone)
    try:
        if len(parts) == 5:
            return CronTrigger.from_crontab(expression, timezone=tz)
        if len(parts) == 6:
            second, minute, hour, day, month, day_of_week = parts
            return CronTrigger(
                second=second,
                minute=minute,
                hour=hour,
                day=day,
                month=month,
                day_of_week=day_of_week,
                timezone=tz,
            )
    except ValueError as exc:
        raise UserError(f"cron expression {expression!r}: {exc}") from exc
    raise UserError(
        f"cron expression {expression!r} has {len(parts)} fields; expected 5 "
        "(minute hour day month weekday) or 6 (second first)"
    )


def next_fire_time(
    expression: str, timezone: str = "Asia/Taipei", *, after: datetime | None = None
) -> datetime:
    """When ``expression`` next fires after ``after`` (default: now)."""
    trigger = parse_cron(expression, timezone)
    now = after or datetime.now(ZoneInfo(timezone))
    fire: datetime | None = trigger.get_next_fire_time(None, now)
    if fire is None:  # a trigger that can never fire again (e.g. 30 February)
        raise UserError(f"cron expression {expression!r} never fires")
    return fire
