"""What one analysis run stores, as plain rows the storage layer writes, and its summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict, overload

from analysis.assignment.decisions import Decision
from storage.corpus import TextItem
from storage.run_rows import AssignmentRow, CampaignRow, ClusterRow


class Summary(TypedDict, total=False):
    """The run's figures, stored in its manifest; the first three only when items met a catalogue."""

    none_share: float
    new_topic_groups: int  # groups of comments called new to the catalogue
    none_mode: str  # strict | balanced | generous
    # per mode, [precision, recall] of ``none`` measured by leaving each commitment out in turn
    none_measured: dict[str, list[float]]
    view_weights: dict[str, float]  # how much each view counted (by its agreement with the others)
    embeddings: str  # the model used, or "off"
    n_items: int
    n_unique_arguments: int
    n_duplicate_groups: int
    n_campaigns: int
    n_campaign_submissions: int
    status_counts: dict[str, int]
    n_clusters: int
    timings_s: dict[str, float]


@dataclass(slots=True)
class AnalysisResult:
    """Everything a run stores, as plain rows (the storage layer writes them)."""

    assignments: Sequence[AssignmentRow]
    clusters: list[ClusterRow]
    campaigns: list[CampaignRow]
    summary: Summary = field(default_factory=lambda: Summary())


class AssignmentRows(Sequence[AssignmentRow]):
    """One row per item: its decision, its theme, the item it duplicates and its campaign.

    Each row is built when it is read (the store streams them in batches): a million rows held at once
    as dicts weighed more than the analysis that made them.
    """

    def __init__(
        self,
        items: Sequence[TextItem],
        decisions: Sequence[Decision],
        cluster_of: Mapping[int, str],
        duplicate_of: Mapping[int, str],
        campaign_of: Mapping[int, str],
    ) -> None:
        if len(items) != len(decisions):
            raise ValueError(f"{len(items)} items but {len(decisions)} decisions")
        self._items, self._decisions = items, decisions
        self._cluster_of, self._duplicate_of, self._campaign_of = cluster_of, duplicate_of, campaign_of
        # Items with equal texts share one Decision object: its candidates are listed once, and every
        # row of it holds that one list (the store serialises each list once).
        self._listed: dict[int, list[list[str | float]]] = {}

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> AssignmentRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[AssignmentRow]: ...

    def __getitem__(self, index: int | slice) -> AssignmentRow | list[AssignmentRow]:
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self._row(index % len(self))

    def __iter__(self) -> Iterator[AssignmentRow]:
        return map(self._row, range(len(self)))

    def _row(self, i: int) -> AssignmentRow:
        item, d = self._items[i], self._decisions[i]
        candidates = self._listed.get(id(d))
        if candidates is None:
            candidates = self._listed[id(d)] = [[c, s] for c, s in d.candidates]
        return {
            "item_kind": item.kind,
            "item_source": item.source,
            "item_id": item.item_id,
            "status": d.status,
            "commitment_code": d.code,
            "confidence": float(d.confidence),
            "candidates": candidates,
            "cluster_key": self._cluster_of.get(i),
            "duplicate_of": self._duplicate_of.get(i),
            "campaign_key": self._campaign_of.get(i),
        }


def status_counts(decisions: Sequence[Decision]) -> dict[str, int]:
    return dict(Counter(d.status for d in decisions))


def summary_line(run_id: int, summary: Summary, embeddings_mode: str) -> str:
    """The line ``analyze`` prints about a finished run (``embeddings_mode``: the mode asked for)."""
    evidence = ""
    if "embeddings" in summary:  # items were assigned to a catalogue
        used = summary["embeddings"]
        evidence = "; evidence lexical" if used == "off" else "; evidence lexical + sentence embeddings"
        if used == "off" and embeddings_mode == "auto":
            evidence += " (embeddings auto: extra joinfeedback[embeddings] not installed)"
    return (
        f"analysis run {run_id}: {summary['n_items']} items "
        f"({summary['n_unique_arguments']} unique arguments), statuses {summary['status_counts']}, "
        f"{summary['n_clusters']} themes, {summary['n_campaigns']} campaigns{evidence}"
    )


__all__ = [
    "AnalysisResult",
    "AssignmentRow",
    "AssignmentRows",
    "CampaignRow",
    "ClusterRow",
    "Summary",
    "status_counts",
    "summary_line",
]
