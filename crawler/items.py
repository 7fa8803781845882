"""Domain items the parsers return: frozen, slotted dataclasses with tz-aware datetimes (Asia/Taipei)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from base.taiwan import TAIPEI as TAIPEI  # the items' times are Taipei times

# Who wrote a board message: a member of the public, or an agency / the platform answering on the board.
AuthorKind = Literal["citizen", "agency"]


@dataclass(frozen=True, slots=True)
class Policy:
    """A consultation (眾開講)."""

    uuid: str
    title: str
    url: str
    agency: str = ""
    body: str = ""
    published_at: datetime | None = None
    closes_at: datetime | None = None
    attachments: tuple[str, ...] = ()
    follower_count: int | None = None
    declared_comment_count: int | None = None
    missing_fields: tuple[str, ...] = ()  # optional fields no source gave (stored empty, with a warning)


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment (or a reply, with ``parent_msg_uid``) on a consultation.

    ``author_kind`` is ``"agency"`` for messages agencies or the platform post on the board (agency
    replies: stored and shown as such, never analysed as public input), ``"citizen"`` otherwise.
    """

    msg_uid: str
    policy_uuid: str
    text: str
    url: str
    html: str = ""
    author: str = ""
    created_at: datetime | None = None
    parent_msg_uid: str | None = None
    like_count: int = 0
    unlike_count: int = 0
    is_deleted: bool = False
    author_kind: AuthorKind = "citizen"


@dataclass(frozen=True, slots=True)
class AgencyResponse:
    """An agency's answer to a proposal; the first one is often a placeholder promising a date."""

    uuid: str
    idea_uuid: str
    agency: str = ""
    responded_at: datetime | None = None
    site_updated_at: datetime | None = None
    analysis: str = ""
    suggest: str = ""
    plan: str = ""
    reference: str = ""
    is_placeholder: bool = False


@dataclass(frozen=True, slots=True)
class Idea:
    """A citizen proposal (提點子)."""

    uuid: str
    title: str
    url: str
    outline: str = ""
    content: str = ""
    outcome: str = ""
    status: str = ""
    proposer: str = ""
    agency: str = ""
    published_at: datetime | None = None
    endorse_count: int = 0
    endorse_goal: int = 5000
    endorse_due_at: datetime | None = None
    passed_at: datetime | None = None
    response_due_at: datetime | None = None
    follower_count: int | None = None
    comment_count: int | None = None
    site_updated_at: datetime | None = None
    responses: tuple[AgencyResponse, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class IdeaListEntry:
    """One row of a proposal list page or of the open-data list: enough to decide whether to re-fetch."""

    uuid: str
    title: str
    status: str = ""
    endorse_count: int | None = None
    comment_count: int | None = None
    published_at: datetime | None = None
    site_updated_at: datetime | None = None
    follower_count: int | None = None


@dataclass(frozen=True, slots=True)
class ImportedItem:
    """A comment from a user-supplied file."""

    item_id: str
    text: str
    author: str = ""
    created_at: datetime | None = None
    url: str = ""
    source_line: int | None = None


@dataclass(frozen=True, slots=True)
class EndorsementSnapshot:
    """The endorsement count of one proposal as one crawl run saw it (stored once per idea per run)."""

    idea_uuid: str
    endorse_count: int


@dataclass(frozen=True, slots=True)
class PolicyListEntry:
    """One consultation of the open-data list: the counts decide whether its pages need fetching again.

    The 2017 open-data shape embedded the comments without ids; they come back as ``messages``.
    """

    uuid: str
    title: str
    url: str
    agency: str = ""
    published_at: datetime | None = None
    closes_at: datetime | None = None
    follower_count: int | None = None
    declared_comment_count: int | None = None
    messages: tuple[ImportedItem, ...] = ()


@dataclass(frozen=True, slots=True)
class RawPage:
    """A fetched body as the site served it: stored once per sha256, referenced by each row parsed from it."""

    url: str
    body: bytes = field(repr=False)
    content_type: str = ""


# Which page a harvest came from ("" when the spider does not say)
PageKind = Literal[
    "",
    "opendata_policy",
    "opendata_act",
    "opendata_idea",
    "policy_detail",
    "comment_board",
    "idea_list",
    "idea_detail",
]
# What a page yields for storage.
Record = Policy | Comment | Idea | EndorsementSnapshot


@dataclass(frozen=True, slots=True)
class PageHarvest:
    """What one fetched page yielded: its raw body plus the domain records parsed from it."""

    page: RawPage
    records: tuple[Record, ...] = ()
    kind: PageKind = ""
