"""Dates as people in Taiwan write them in spreadsheets and as join.gov.tw's open data serves them.

Accepted: ISO 8601 (``2020-02-21``, ``2020-02-21T10:00:00+08:00``, ``…Z``), ``YYYY-MM-DD HH:MM[:SS]``,
``YYYY/MM/DD [HH:MM[:SS]]``, ``YYYY年M月D日``, and Republic of China (民國) years: ``109/02/21``,
``109-02-21``, ``109.02.21``, ``109年2月21日``, ``民國109年2月21日`` (year + 1911). A time without an offset
is Taiwan time (the site and local spreadsheets use it). Anything else is refused, never guessed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from base.taiwan import TAIPEI

ROC_OFFSET = 1911
# Outside these years a date is a typo, and far-off years break time-zone arithmetic in the databases.
YEAR_RANGE = (1900, 2200)

_TIME = r"(?:[ T]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,6}))?)?)?"
_NUMERIC = re.compile(r"(?P<y>\d{2,4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})" + _TIME)
_CJK = re.compile(r"(?P<roc>民國)?\s*(?P<y>\d{2,4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日" + _TIME)

FORMATS_HELP = "ISO 8601, YYYY-MM-DD HH:MM:SS, YYYY/MM/DD, or an ROC date like 109/02/21 or 民國109年2月21日"


def parse_date(value: str) -> datetime | None:
    """Aware datetime for ``value``; ``None`` when blank; ``ValueError`` (with the reason) otherwise."""
    text = value.strip()
    if not text:
        return None
    match = _NUMERIC.fullmatch(text) or _CJK.fullmatch(text)
    if match:
        return _from_match(match, text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"unrecognised date {text!r} (use {FORMATS_HELP})") from None
    return _plausible(parsed if parsed.tzinfo else parsed.replace(tzinfo=TAIPEI), text)


def _plausible(moment: datetime, text: str) -> datetime:
    if not YEAR_RANGE[0] <= moment.year <= YEAR_RANGE[1]:
        raise ValueError(f"implausible year in {text!r} (expected {YEAR_RANGE[0]}–{YEAR_RANGE[1]})")
    return moment


def _from_match(match: re.Match[str], text: str) -> datetime:
    year = int(match["y"])
    groups = match.groupdict()
    # Four digits are a Western year; two or three an ROC year (民國 1 = 1912; the site began in 民國 104).
    if len(match["y"]) <= 3 or groups.get("roc"):
        if groups.get("roc") and len(match["y"]) == 4:
            raise ValueError(f"unrecognised date {text!r}: 民國 with a four-digit year")
        year += ROC_OFFSET
    try:
        moment = datetime(
            year,
            int(match["m"]),
            int(match["d"]),
            int(match["h"] or 0),
            int(match["mi"] or 0),
            int(match["s"] or 0),
            int((match["f"] or "0").ljust(6, "0")),
            tzinfo=TAIPEI,
        )
    except ValueError as exc:
        raise ValueError(f"impossible date {text!r} ({exc})") from None
    return _plausible(moment, text)


def from_epoch_ms(value: int | float) -> datetime:
    """join.gov.tw's embedded JSON counts milliseconds since 1970 (UTC); shown in Taiwan time."""
    try:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)
    except (OverflowError, ValueError):
        raise ValueError(f"impossible epoch-milliseconds time {value!r}") from None
    return _plausible(moment.astimezone(TAIPEI), str(value))
