"""The gap map: what people raised that fits no commitment, and the commitments that heard little."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from reports.i18n import Translator
from reports.model import SMALL_N, Brief, Column, Table, Theme
from reports.quotes import QuoteBook
from reports.rundata import RunData
from reports.themes import quoted_refs, theme_view
from storage.run_rows import StoredCluster

MAX_GAP_THEMES = 30  # themes shown with quotes; the table lists every one
QUOTES_PER_GAP = 2
# A possible new commitment is a theme at least this many distinct arguments raise (near-duplicates and a
# campaign's copies count once). Fewer is an anecdote a facilitator cannot weigh: the demo offered a lone
# test comment (「測試alert」); two comments may be one person twice. Smaller themes stay in the table.
MIN_CANDIDATE_ARGUMENTS = 3


@dataclass(frozen=True, slots=True)
class GapMap:
    themes: tuple[Theme, ...]
    quiet: Table
    tables: tuple[Table, ...]
    support: int = 0  # unassigned comments with no argument: counted, never a candidate commitment
    smaller: int = 0  # themes with fewer distinct arguments than a candidate needs (in the table only)


@dataclass(frozen=True, slots=True)
class GapClusters:
    """The themes of the items that fit no commitment."""

    every: list[StoredCluster]  # all of them, largest first
    support: int  # items with no argument: counted, never offered as a possible new commitment
    scope_total: int  # items that fit no commitment
    arguments: dict[str, int]  # theme → its distinct arguments in scope

    @property
    def candidates(self) -> list[StoredCluster]:
        """The themes raised by enough distinct arguments to be a possible new commitment."""
        return [c for c in self.every if self.arguments.get(c.cluster_key, 0) >= MIN_CANDIDATE_ARGUMENTS]


def distinct_arguments(data: RunData, cluster_key: str) -> int:
    return len({data.argument(key) for key in data.members.get(cluster_key, ())})


def gap_clusters(data: RunData) -> GapClusters:
    unassigned = [c for c in data.clusters if c.scope == "none"]
    every = [c for c in unassigned if not c.is_support]
    return GapClusters(
        every=every,
        support=sum(c.size for c in unassigned if c.is_support),
        scope_total=sum(1 for r in data.assignments if r.status == "none"),
        arguments={c.cluster_key: distinct_arguments(data, c.cluster_key) for c in every},
    )


def quiet_commitments(briefs: Iterable[Brief]) -> list[Brief]:
    """Commitments with too few unique arguments for their shares to mean much, quietest first."""
    return [b for b in sorted(briefs, key=lambda b: (b.unique, b.code)) if b.unique < SMALL_N]


def _quiet_table(briefs: Iterable[Brief], t: Translator) -> Table:
    return Table(
        "quiet_commitments",
        t("gaps_quiet_heading"),
        (
            Column("code", t("col_code")),
            Column("title", t("col_commitment"), link_key="page"),
            Column("raw", t("col_raw"), numeric=True),
            Column("unique", t("col_unique"), numeric=True),
        ),
        tuple(
            {
                "code": b.code,
                "title": b.title,
                "page": f"commitments/{b.slug}.html",
                "raw": b.raw,
                "unique": b.unique,
            }
            for b in briefs
        ),
    )


def _gap_themes_table(gaps: GapClusters, t: Translator) -> Table:
    return Table(
        "gap_themes",
        t("gaps_themes_heading"),
        (
            Column("theme", t("col_theme")),
            Column("terms", t("col_terms")),
            Column("size", t("col_size"), numeric=True),
            Column("arguments", t("col_unique"), numeric=True),
            Column("share", t("col_share_all"), numeric=True),
        ),
        tuple(
            {
                "theme": c.label,
                "terms": " ".join(c.terms),
                "size": c.size,
                "arguments": gaps.arguments.get(c.cluster_key, 0),
                "share": round(c.size / max(1, gaps.scope_total), 4),
                "key": c.cluster_key,
                "candidate": gaps.arguments.get(c.cluster_key, 0) >= MIN_CANDIDATE_ARGUMENTS,
            }
            for c in gaps.every
        ),
        export_only=("key", "candidate"),
    )


def build_gap_map(
    session: Session, data: RunData, book: QuoteBook, briefs: Sequence[Brief], t: Translator
) -> GapMap:
    gaps = gap_clusters(data)
    candidates = gaps.candidates
    shown = candidates[:MAX_GAP_THEMES]
    book.load(session, [k for c in shown for k in quoted_refs(data, c, QUOTES_PER_GAP)])
    themes = tuple(theme_view(data, book, c, gaps.scope_total, QUOTES_PER_GAP) for c in shown)
    quiet = _quiet_table(quiet_commitments(briefs), t)
    smaller = len(gaps.every) - len(candidates)
    return GapMap(themes, quiet, (_gap_themes_table(gaps, t), quiet), gaps.support, smaller)


__all__ = [
    "MIN_CANDIDATE_ARGUMENTS",
    "GapClusters",
    "GapMap",
    "build_gap_map",
    "distinct_arguments",
    "gap_clusters",
    "quiet_commitments",
]
