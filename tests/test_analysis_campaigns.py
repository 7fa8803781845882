"""Campaigns against the replica's ground truth: form letters found, short stock phrases and repeated
proposals left out (they still count as duplicates)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from analysis.duplicates.finder import (
    CAMPAIGN_MIN_CHARS,
    DuplicateFinder,
    DuplicateGroup,
    compact,
    is_campaign,
)
from analysis.result import AnalysisResult
from analysis.run import analyse
from analysis.text.normalise import normalise, strip_markup
from replica.data import generate
from replica.model import Label
from storage.corpus import TextItem


@pytest.fixture(scope="module")
def replica_run() -> tuple[list[TextItem], dict[str, Label], AnalysisResult]:
    data = generate(1, "small")
    now = data.now_ms
    items: list[TextItem] = []
    labels: dict[str, Label] = {}
    for view in data.views.values():
        for message in view.all_messages(now):
            if message.deleted:
                continue
            item_id = str(message.msg_uid)
            created = datetime.fromtimestamp(message.created_ms / 1000, tz=UTC)
            items.append(TextItem("comment", item_id, strip_markup(message.html), created_at=created))
            labels[item_id] = message.label
    for idea in data.visible_ideas(now):
        items.append(TextItem("idea", idea.uuid, f"{idea.title}\n{idea.outline}"))
        labels[idea.uuid] = idea.label
    return items, labels, analyse(items, None)


def test_campaigns_match_the_replicas_form_letters(replica_run) -> None:
    items, labels, result = replica_run
    truth = {
        item.item_id: labels[item.item_id].campaign
        for item in items
        if labels[item.item_id].kind == "campaign"
    }
    assert len(set(truth.values())) >= 3
    found = {a["item_id"]: a["campaign_key"] for a in result.assignments if a["campaign_key"]}
    recall = len(found.keys() & truth.keys()) / len(truth)
    precision = len(found.keys() & truth.keys()) / max(1, len(found))
    assert recall >= 0.9, f"campaign recall {recall:.2f}"
    assert precision >= 0.9, f"campaign precision {precision:.2f}"
    # One campaign per real campaign: each found campaign is pure, each real one is not split much.
    for key in set(found.values()):
        names = Counter(truth.get(i, "") for i, k in found.items() if k == key)
        assert len(names) == 1, names
        assert "" not in names, names
    for name in set(truth.values()):
        keys = Counter(found.get(i) for i, n in truth.items() if n == name)
        assert keys.most_common(1)[0][1] >= 0.9 * sum(keys.values()), (name, keys)


def test_short_stock_phrases_are_duplicates_but_not_campaigns(replica_run) -> None:
    items, labels, result = replica_run
    rows = {a["item_id"]: a for a in result.assignments}
    generic = [i for i in items if labels[i.item_id].kind == "generic"]
    repeated = Counter(compact(normalise(i.text)) for i in generic)
    assert max(repeated.values()) >= 3, "the replica repeats stock phrases"
    assert not any(rows[i.item_id]["campaign_key"] for i in generic)
    assert any(rows[i.item_id]["duplicate_of"] for i in generic), "exact repeats still count as duplicates"
    assert result.summary["n_unique_arguments"] < len(items)
    ideas = [i for i in items if i.kind == "idea"]
    assert not any(rows[i.item_id]["campaign_key"] for i in ideas)


def test_campaign_needs_enough_content() -> None:
    long_letter = normalise("我們強烈要求政府在今年內完成政府資料開放專法的立法程序，並公布時程。")
    texts = ["沒意見，支持。"] * 5 + [long_letter] * 3 + [long_letter + "謝謝"]
    keys = [compact(t) for t in texts]
    groups = DuplicateFinder().fit(texts).groups_
    assert [g.members for g in groups] == [(0, 1, 2, 3, 4), (5, 6, 7, 8)]
    assert [is_campaign(g, keys) for g in groups] == [False, True]
    assert len(keys[0]) < CAMPAIGN_MIN_CHARS <= len(keys[5])
    assert not is_campaign(DuplicateGroup((5, 6), exact=True), keys), "two copies are not a campaign"
