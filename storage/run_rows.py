"""The rows of an analysis run, in their one home: what an analysis writes and what a report reads back.

Each row has two shapes. The analysis hands ``complete_run`` plain dicts (``AssignmentRow``,
``ClusterRow``, ``CampaignRow``: TypedDicts with every column, fed to the driver as they are). Reports
read them back as dataclasses (``StoredAssignment``, ``StoredCluster``, ``StoredCampaign``) without the
columns no page reads: an assignment's ranked candidates and a theme's centroid are the largest JSON of a
run and only the next analysis needs them (``storage.analysis_store``). They are frozen, but for
``StoredAssignment``: a report makes one per item, and a frozen dataclass sets each field through
``object.__setattr__`` (a million of them: 1.36 s against 0.49 s); nothing writes to one once made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from storage.items import ItemKey
from storage.models import AssignmentStatus, WeightedTerms

SUPPORT_SUFFIX = "#support"  # the key suffix the analysis gives a scope's support / no-argument group


class AssignmentRow(TypedDict):
    """Where one item landed, as the analysis writes it (table ``assignment``)."""

    item_kind: str
    item_source: str  # with the kind and the id, the item's key (storage.items)
    item_id: str
    status: str
    commitment_code: str | None
    confidence: float
    candidates: WeightedTerms  # [code, probability], best first
    cluster_key: str | None
    duplicate_of: str | None
    campaign_key: str | None


class ClusterRow(TypedDict):
    """A theme, as the analysis writes it (table ``cluster``)."""

    cluster_key: str
    scope: str
    label: str
    terms: WeightedTerms  # [word, weight], best first
    size: int
    representative_ids: list[str]
    is_minority: bool
    centroid: WeightedTerms  # [word, mean weight]


class CampaignRow(TypedDict):
    """A form-letter campaign, as the analysis writes it (table ``campaign``)."""

    campaign_key: str
    size: int
    exemplar_item_id: str
    exemplar_text: str
    first_at: datetime | None
    last_at: datetime | None
    is_burst: bool
    commitment_code: str | None


@dataclass(slots=True)  # not frozen, for speed only (see above); unhashable, as nothing needs it
class StoredAssignment:
    """An assignment as a report reads it, with the facts of its item that pages count (date, consultation,
    likes, endorsements)."""

    kind: str
    source: str
    item_id: str
    status: AssignmentStatus
    commitment_code: str | None
    confidence: float
    cluster_key: str | None
    duplicate_of: (
        str | None
    )  # the written key (or, in runs stored before keys, the bare id) of its group's first
    campaign_key: str | None
    # what a report reads of the item's own stored row, read with the placement
    # (``queries.runs.assignments``); None or 0 when that row is gone
    created_at: datetime | None = None  # when the item was written
    policy_uuid: str | None = None  # a comment's consultation
    likes: int = 0  # a comment's likes
    endorsements: int = 0  # a proposal's endorsements
    key: ItemKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # every page reads the key of nearly every item, some many times: made once, not at each read
        self.key = ItemKey(self.kind, self.source, self.item_id)

    @property
    def is_unique(self) -> bool:
        """An item counts as its own argument unless it duplicates another one (a campaign counts once)."""
        return self.duplicate_of is None or self.duplicate_of in (self.key.text, self.item_id)


@dataclass(frozen=True, slots=True)
class StoredCluster:
    """A theme as a report reads it: its terms as words, best first."""

    cluster_key: str
    scope: str
    label: str
    terms: tuple[str, ...]
    size: int
    representative_ids: tuple[str, ...]
    is_minority: bool

    @property
    def is_support(self) -> bool:
        """The support / no-argument group of its scope (``analysis.themes.keys.support_key``)."""
        return self.cluster_key.endswith(SUPPORT_SUFFIX)


@dataclass(frozen=True, slots=True)
class StoredCampaign:
    """A campaign as a report reads it."""

    campaign_key: str
    size: int
    exemplar_item_id: str
    exemplar_text: str
    first_at: datetime | None
    last_at: datetime | None
    is_burst: bool
    commitment_code: str | None


__all__ = [
    "SUPPORT_SUFFIX",
    "AssignmentRow",
    "CampaignRow",
    "ClusterRow",
    "StoredAssignment",
    "StoredCampaign",
    "StoredCluster",
]
