"""A run's campaigns: the duplicate groups that are form letters, as rows, and who belongs to which."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from analysis.assignment.decisions import Decision
from analysis.duplicates.finder import DuplicateFinder, DuplicateGroup, is_burst, is_campaign
from analysis.result import CampaignRow
from storage.corpus import TextItem


class Campaigns(NamedTuple):
    rows: list[CampaignRow]
    duplicate_of: dict[int, str]  # item index → the item id of its group's first item
    campaign_of: dict[int, str]  # item index → campaign key


def campaigns(finder: DuplicateFinder, items: Sequence[TextItem], decisions: Sequence[Decision]) -> Campaigns:
    """Campaign rows, and for each duplicate item its group's first item and its campaign key."""
    keys = finder.contents_
    found = Campaigns([], {}, {})
    for group in finder.groups_:
        first = items[group.members[0]]
        for i in group.members[1:]:
            found.duplicate_of[i] = first.key.text
        # Proposals (提點子) that repeat one another are duplicates, not form letters: on that board the
        # campaign signal is the endorsement count. Campaigns are made of comments and imported items.
        letters = DuplicateGroup(tuple(i for i in group.members if items[i].kind != "idea"), group.exact)
        if not is_campaign(letters, keys):
            continue
        row = _campaign_row(letters, keys[letters.members[0]], items, decisions)
        found.rows.append(row)
        for i in letters.members:
            found.campaign_of[i] = row["campaign_key"]
    return found


def _campaign_row(
    letters: DuplicateGroup, content: str, items: Sequence[TextItem], decisions: Sequence[Decision]
) -> CampaignRow:
    exemplar = items[letters.members[0]]
    times = [items[i].created_at for i in letters.members]
    stamps = [t for t in times if t is not None]
    codes = Counter(code for i in letters.members if (code := decisions[i].code))
    return {
        "campaign_key": "c-" + hashlib.sha1(content.encode()).hexdigest()[:12],  # noqa: S324
        "size": len(letters.members),
        "exemplar_item_id": exemplar.key.text,
        "exemplar_text": exemplar.text[:2000],
        "first_at": min(stamps) if stamps else None,
        "last_at": max(stamps) if stamps else None,
        "is_burst": is_burst(times),
        "commitment_code": codes.most_common(1)[0][0] if codes else None,
    }


__all__ = ["Campaigns", "campaigns"]
