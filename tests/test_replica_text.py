"""The replica's comments read like real ones: apart from form letters and very short remarks, near-identical
texts are rare; form-letter copies are near-identical; generation is deterministic."""

from __future__ import annotations

import html
import random
import re
from functools import cache

import numpy as np
import pytest
from scipy import sparse

from replica import text
from replica.bank_commitments import COMMITMENTS
from replica.bank_themes import THEME_TEMPLATES
from replica.data import ReplicaData, generate
from replica.model import CommentRec

NEAR = 0.6  # character 3-gram Jaccard similarity
SHORT = 8  # characters: "+1", "支持！", "加油" may repeat, as on the real site
_TAG = re.compile(r"<[^>]+>")
_NOT_CONTENT = re.compile(r"[\W_]+")


def content(comment_html: str) -> str:
    return _NOT_CONTENT.sub("", html.unescape(_TAG.sub("", comment_html)))


def trigrams(t: str) -> set[str]:
    return {t[i : i + 3] for i in range(max(1, len(t) - 2))}


def jaccard(a: str, b: str) -> float:
    ga, gb = trigrams(a), trigrams(b)
    return len(ga & gb) / len(ga | gb)


def near_pairs(texts: list[str]) -> list[tuple[int, int, float]]:
    """All pairs with 3-gram Jaccard >= NEAR, from a sparse incidence matrix (exact, not estimated)."""
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, t in enumerate(texts):
        for g in trigrams(t):
            rows.append(i)
            cols.append(vocab.setdefault(g, len(vocab)))
    x = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(vocab)))
    sizes = np.asarray(x.sum(axis=1)).ravel()
    inter = sparse.triu(x @ x.T, k=1).tocoo()
    sim = inter.data / (sizes[inter.row] + sizes[inter.col] - inter.data)
    keep = sim >= NEAR
    return list(zip(inter.row[keep].tolist(), inter.col[keep].tolist(), sim[keep].tolist(), strict=True))


def all_comments(data: ReplicaData) -> list[CommentRec]:
    return [c for p in data.policies for c in [*p.top_level, *(r for rs in p.replies.values() for r in rs)]]


@cache
def generated(seed: int, size: str) -> ReplicaData:
    return generate(seed, size)


@pytest.mark.parametrize("size", ["small", "medium"])
@pytest.mark.parametrize("seed", [1, 2])
def test_ordinary_comments_are_rarely_near_duplicates(seed: int, size: str) -> None:
    comments = all_comments(generated(seed, size))
    texts = [
        t
        for c in comments
        if not c.deleted and c.label.kind != "campaign" and len(t := content(c.html)) > SHORT
    ]
    assert len(texts) > 500
    pairs = near_pairs(texts)
    examples = [(texts[a], texts[b]) for a, b, _ in pairs[:5]]
    assert len(pairs) < 0.01 * len(texts), (len(pairs), len(texts), examples)


def test_the_check_sees_repeated_combinations() -> None:
    """The measure is not blind: two sentences repeated together are caught, a reworded pair is not."""
    a = "燃煤電廠的排放標準應該跟國際接軌。老舊柴油車的汰換補助應該擴大。"
    b = "我覺得燃煤電廠的排放標準應該跟國際接軌。老舊柴油車的汰換補助應該擴大。謝謝。"
    c = "冬天中南部的空氣品質太差，小孩一直咳嗽。燃煤電廠的排放標準應該跟國際接軌。"
    found = near_pairs([content(a), content(b), content(c)])
    assert [(i, j) for i, j, _ in found] == [(0, 1)]


@pytest.mark.parametrize("seed", [1, 2])
def test_form_letter_copies_are_near_duplicates_of_each_other(seed: int) -> None:
    by_campaign: dict[str, list[str]] = {}
    for c in all_comments(generated(seed, "medium")):
        if c.label.campaign:
            by_campaign.setdefault(c.label.campaign, []).append(content(c.html))
    assert len(by_campaign) == 3
    for name, copies in by_campaign.items():
        assert len(copies) >= 10, name
        worst = min(jaccard(a, b) for i, a in enumerate(copies) for b in copies[i + 1 :])
        assert worst >= NEAR, (name, worst)


def test_generation_is_deterministic_and_seeds_differ() -> None:
    first = [c.html for c in all_comments(generate(3, "small"))]
    again = [c.html for c in all_comments(generate(3, "small"))]
    other = [c.html for c in all_comments(generate(4, "small"))]
    assert first == again
    assert first != other
    rng_a, rng_b = random.Random(9), random.Random(9)
    assert text.commitment_comment(rng_a, ("1.1",)) == text.commitment_comment(rng_b, ("1.1",))


def test_composers_take_one_draw_from_the_callers_stream() -> None:
    """Text banks can grow without moving the labels, times and authors drawn after each comment."""
    for compose in (
        lambda r: text.commitment_comment(r, ("2.1", "4.2")),
        lambda r: text.offtopic_comment(r, "air"),
        text.generic_comment,
    ):
        rng, reference = random.Random(5), random.Random(5)
        compose(rng)
        reference.getrandbits(64)
        assert rng.random() == reference.random()


def test_templates_expand_to_plain_text() -> None:
    rng = random.Random(1)
    seen = {text.expand(rng, "{甲|乙{丙|丁}}戊{|己}") for _ in range(300)}
    assert seen == {"甲戊", "甲戊己", "乙丙戊", "乙丙戊己", "乙丁戊", "乙丁戊己"}
    for _ in range(200):
        for cid in (c.id for c in COMMITMENTS):
            body, label = text.commitment_comment(rng, (cid,))
            assert label.commitments == (cid,)
            assert not re.search(r"[{}|]", body), body
        for theme in THEME_TEMPLATES:
            body, label = text.offtopic_comment(rng, theme)
            assert label.theme == theme
            assert not re.search(r"[{}|]", body), body
