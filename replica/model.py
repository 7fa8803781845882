"""Records the replica generates once per (seed, size), plus the ground-truth labels.

Everything is stored with its own time (epoch milliseconds, UTC); what the site shows at an epoch is a
pure function of these records and the replica's clock, so ``advance`` only moves the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from base.taiwan import TAIPEI as TAIPEI  # the site shows Taipei times

DAY_MS = 86_400_000
# Epoch 0 of the replica's clock: during the reference OGP consultation (2020-02-21 → 2020-03-06).
CLOCK_START_MS = int(datetime(2020, 3, 1, 12, 0, tzinfo=TAIPEI).timestamp() * 1000)
STEP_MS = DAY_MS
ENDORSE_GOAL = 5000
ENDORSE_DAYS = 60

OGP_UUID = "031e9918-59d5-4a1a-b105-96af228f3147"
OGP_TITLE = "大家一起來寫「臺灣開放政府國家行動方案」！"


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def utc_str(epoch_ms: int) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC (comment ``cdate``)."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def taipei_str(epoch_ms: int) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in Taiwan time (``beforeNow``, open data)."""
    return datetime.fromtimestamp(epoch_ms / 1000, TAIPEI).strftime("%Y-%m-%d %H:%M:%S")


def taipei_date(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, TAIPEI).strftime("%Y-%m-%d")


def roc_date(epoch_ms: int) -> str:
    """民國 date as agencies write it in placeholder responses (「106年1月9日」)."""
    d = datetime.fromtimestamp(epoch_ms / 1000, TAIPEI)
    return f"{d.year - 1911}年{d.month}月{d.day}日"


@dataclass(frozen=True, slots=True)
class Label:
    """Ground truth for one generated item.

    ``kind``: commitment | offtopic | generic | campaign | hostile | reply | deleted | idea.
    ``commitments``: the commitment ids the text was written for (empty: none of them).
    """

    kind: str
    commitments: tuple[str, ...] = ()
    theme: str = ""
    campaign: str = ""


AGENCY_UID_PREFIX = "agency-"


@dataclass(frozen=True, slots=True)
class Author:
    uid: str
    name: str

    @property
    def is_agency(self) -> bool:
        """An agency answering on its board (``uid`` = ``agency-<name>``), not a member of the public."""
        return self.uid.startswith(AGENCY_UID_PREFIX)


@dataclass(frozen=True, slots=True)
class CommentRec:
    msg_uid: int
    policy_uuid: str
    parent_uid: int | None
    html: str
    author: Author
    created_ms: int
    like_count: int
    unlike_count: int
    deleted: bool
    label: Label


@dataclass(slots=True)
class PolicyRec:
    uuid: str
    title: str
    agency: str
    theme: str
    body_html: str
    published_ms: int
    start_ms: int
    end_ms: int
    attention: int
    board_uid: int
    attachments: tuple[tuple[str, str], ...]
    # top-level comments ascending by time; replies by parent, ascending by time
    top_level: list[CommentRec] = field(default_factory=list)
    replies: dict[int, list[CommentRec]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResponseRec:
    uuid: str
    idea_uuid: str
    agency: str
    response_ms: int
    update_ms: int
    analysis: str
    suggest: str
    plan: str
    reference: str
    placeholder: bool


ClosedStatus = Literal["", "Revoked", "Rejected"]  # how a proposal ends early, if it does


@dataclass(frozen=True, slots=True)
class IdeaRec:
    uuid: str
    title: str
    outline: str
    content: str
    outcome: str
    agency: str
    co_agencies: tuple[str, ...]
    proposer_uid: str
    proposer: str
    publish_ms: int
    approved_ms: int
    final_endorse: int
    pass_ms: int | None  # when endorsements reached the goal, if ever
    closed_status: ClosedStatus  # ends the idea at closed_ms
    closed_ms: int | None
    attention_final: int
    comments_final: int
    views_final: int
    numbers_as_strings: bool  # the open data sometimes serialises numbers as strings [C]
    responses: tuple[ResponseRec, ...]
    label: Label
