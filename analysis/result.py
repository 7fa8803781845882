"""What one analysis run stores, as plain rows the storage layer writes, and its summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from analysis.assign import Decision
from storage.corpus import TextItem
from storage.run_rows import AssignmentRow, CampaignRow, ClusterRow


class Summary(TypedDict, total=False):
    """The run's figures, stored in its manifest; the first three only when items met a catalogue."""

    none_share: float
    offtopic_clusters: int
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

    assignments: list[AssignmentRow]
    clusters: list[ClusterRow]
    campaigns: list[CampaignRow]
    summary: Summary = field(default_factory=lambda: Summary())


def assignment_rows(
    items: Sequence[TextItem],
    decisions: Sequence[Decision],
    cluster_of: Mapping[int, str],
    duplicate_of: Mapping[int, str],
    campaign_of: Mapping[int, str],
) -> list[AssignmentRow]:
    """One row per item: its decision, its theme, the item it duplicates and its campaign."""
    listed: dict[int, list[list[str | float]]] = {}

    def candidates_of(decision: Decision) -> list[list[str | float]]:
        # Items with equal texts share one Decision object: list its candidates once.
        key = id(decision)
        if key not in listed:
            listed[key] = [[c, s] for c, s in decision.candidates]
        return listed[key]

    return [
        {
            "item_kind": item.kind,
            "item_source": item.source,
            "item_id": item.item_id,
            "status": d.status,
            "commitment_code": d.code,
            "confidence": float(d.confidence),
            "candidates": candidates_of(d),
            "cluster_key": cluster_of.get(i),
            "duplicate_of": duplicate_of.get(i),
            "campaign_key": campaign_of.get(i),
        }
        for i, (item, d) in enumerate(zip(items, decisions, strict=True))
    ]


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
    "CampaignRow",
    "ClusterRow",
    "Summary",
    "assignment_rows",
    "status_counts",
    "summary_line",
]
