"""The real site, 公共政策網路參與平臺 (Taiwan's Public Policy Network Participation Platform): the crawler's
default, named in the command line's help and in the replica's absolute URLs."""

from __future__ import annotations

REAL_SITE = "https://join.gov.tw"

__all__ = ["REAL_SITE"]
