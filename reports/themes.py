"""Themes as a report shows them: a stored cluster with its share, its change since the previous run and
its verified quotes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import chain

from reports.i18n import Translator
from reports.model import Column, Table, Theme
from reports.quotes import QuoteBook
from reports.rundata import RunData
from storage.items import ItemKey
from storage.run_rows import StoredCluster


def quoted_refs(data: RunData, cluster: StoredCluster, limit: int) -> list[ItemKey]:
    """The items a theme quotes: distinct arguments, its representatives first, then its other items.

    Near-duplicates and a campaign's copies are one argument (``RunData.arguments``): a form letter is
    quoted once (with its count, ``theme_view``), and the other quotes are other arguments.
    """
    representatives = [key for ref in cluster.representative_ids if (key := data.refs.find(str(ref)))]
    # read until ``limit`` are chosen (a theme may hold a hundred thousand items); an item met again (a
    # representative among the items) makes an argument already quoted or passed over
    candidates = chain(representatives, data.members.get(cluster.cluster_key, ()))
    chosen: list[ItemKey] = []
    quoted: set[str] = set()
    for key in candidates:
        argument = data.argument(key)
        if argument in quoted:
            continue
        quoted.add(argument)
        chosen.append(key)
        if len(chosen) == limit:
            break
    return chosen


def theme_view(data: RunData, book: QuoteBook, cluster: StoredCluster, scope_total: int, limit: int) -> Theme:
    """A stored theme with its share of ``scope_total`` items, its change since the previous run and its
    quotes (loaded into ``book`` beforehand)."""
    previous = data.previous_cluster_sizes.get(cluster.cluster_key) if data.previous else None
    quotes = tuple(
        replace(q, copies=data.copies(k)) for k in quoted_refs(data, cluster, limit) if (q := book.get(k))
    )
    return Theme(
        cluster.cluster_key,
        cluster.label or " ".join(cluster.terms[:3]),
        cluster.terms[:6],
        cluster.size,
        round(cluster.size / max(1, scope_total), 4),
        None if previous is None else cluster.size - previous,
        cluster.is_minority,
        quotes,
    )


def theme_table(name: str, title: str, themes: Sequence[Theme], t: Translator) -> Table:
    return Table(
        name,
        title,
        (
            Column("theme", t("col_theme")),
            Column("terms", t("col_terms")),
            Column("size", t("col_size"), numeric=True),
            Column("share", t("col_share_all"), numeric=True),
            Column("delta", t("col_delta"), numeric=True),
        ),
        tuple(
            {
                "theme": th.label,
                "terms": " ".join(th.terms),
                "size": th.size,
                "share": th.share,
                "delta": th.delta,
                "key": th.key,
                "minority": th.is_minority,
            }
            for th in themes
        ),
        export_only=("key", "minority"),
    )


__all__ = ["quoted_refs", "theme_table", "theme_view"]
