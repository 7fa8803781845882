"""An item's one identity: its kind, its source and the source's own id, unique across sources.

A comment or a proposal is named by the site it was crawled from (its ``msgUid`` or uuid is unique per
host only); an imported item by the dataset it was imported under (``import --dataset``: two files may
both number their rows from 1). Written out, the key is ``kind:source:id``
(``comment:join.gov.tw:1582738213325``, ``import:workshop:w1``): the ``item_id`` of ``export
assignments`` and ``suggest-examples``, and what ``analyze --examples`` and ``evaluate`` read. Those two
also take a bare id (``1582738213325``) when it names exactly one item, so files written before keys
existed still work; a bare id that names two items is refused with both keys.

Analysis runs refer to items (duplicates, a campaign's exemplar, a theme's representatives) by the
written key. Runs stored before keys existed refer by bare id; :class:`ItemIndex` reads both.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import NamedTuple

KINDS = ("comment", "idea", "import")


class ItemKey(NamedTuple):
    kind: str  # comment | idea | import
    source: str  # the site (host name) of a crawled item; the dataset of an imported one
    item_id: str  # the site's msgUid or uuid; the file's id

    @property
    def text(self) -> str:
        """The key as written in files and stored references: ``kind:source:id``."""
        return written_key(self.kind, self.source, self.item_id)


def written_key(kind: str, source: str, item_id: str) -> str:
    """An item's key as written (``ItemKey.text``), from its parts: for rows streamed by the million."""
    return f"{kind}:{source}:{item_id}"


class ItemIndex:
    """Finds items by written key or by bare id, among a known set (a run's items, the stored corpus)."""

    def __init__(self, keys: Iterable[ItemKey]) -> None:
        self.keys = list(keys)
        self.by_text: dict[str, ItemKey] = {written_key(*key): key for key in self.keys}

    @cached_property
    def by_id(self) -> tuple[dict[str, ItemKey], dict[str, list[ItemKey]]]:
        """The items by bare id — the first item of each id, and every item of an id that several share —,
        made at the first reference that is not a written key: only runs stored before keys existed refer by
        bare id (the report benchmark's fixture does). Not a list for each of a million ids."""
        first: dict[str, ItemKey] = {}
        shared: dict[str, list[ItemKey]] = {}
        for key in self.keys:
            found = first.setdefault(key.item_id, key)
            if found is not key:
                shared.setdefault(key.item_id, [found]).append(key)
        return first, shared

    def candidates(self, written: str) -> list[ItemKey]:
        """The items ``written`` may name: one, none (unknown) or several (a bare id shared by sources)."""
        exact = self.by_text.get(written)
        if exact is not None:
            return [exact]
        first, shared = self.by_id
        if written in shared:
            return list(shared[written])
        found = first.get(written)
        return [] if found is None else [found]

    def find(self, written: str) -> ItemKey | None:
        """The item a stored reference names. A bare id of a run stored before keys existed may be shared
        by two sources (that release stored both): the first of them, in kind order, as it was shown."""
        found = self.candidates(written)
        return min(found, key=lambda k: (KINDS.index(k.kind) if k.kind in KINDS else 9, k)) if found else None

    def __contains__(self, written: object) -> bool:
        return isinstance(written, str) and bool(self.candidates(written))


def ambiguity(written: str, found: list[ItemKey]) -> str:
    """Why a bare id is refused: the keys it could mean."""
    shown = ", ".join(key.text for key in sorted(found)[:3])
    return f"item id {written!r} names {len(found)} items ({shown}): write the item key instead"


__all__ = ["KINDS", "ItemIndex", "ItemKey", "ambiguity", "written_key"]
