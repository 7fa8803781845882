"""analysis/assignment/novelty.py: groups on what the catalogue leaves out are ``none``, by mode."""

from __future__ import annotations

import random

import numpy as np
import pytest
import scipy.sparse as sp

from analysis.assignment.assign import NONE_EXAMPLE, Assignment, Settings, _new_groups, assign_corpus
from analysis.assignment.decisions import NONE, Decision
from analysis.assignment.grouping import corpus_groups
from analysis.assignment.novelty import (
    MAX_SIMULATIONS,
    NONE_MODES,
    Measured,
    left_out_commitments,
    left_out_strengths,
    new_groups,
    share_above_null,
    simulate,
)
from analysis.assignment.prototypes import UNLABELLED
from analysis.catalogue import Catalogue, load_catalogue
from analysis.pipeline import PreparedCorpus, assign, corpus_views, prepare

CATALOGUE = """id,title,description,keywords
IND,擴大原住民族國際合作與交流,推動原住民族與南島語族的國際交流，保障傳統領域與族語文化。,原住民族;部落;南島;族語;傳統領域;國際交流
REG,地方創生互動平台,讓地方政府、在地團隊與返鄉青年媒合資源，公開地方創生計畫。,地方創生;返鄉;偏鄉;人口外流;在地;媒合
YTH,青年政策參與,擴大青年參與公共政策，青年諮詢委員會與校園公民教育。,青年;青諮會;校園;公民教育;年輕人
DON,政治獻金透明化,公開政治獻金資料，候選人與政黨收支可以即時查詢。,政治獻金;候選人;政黨;捐款;收支
"""

ON_TOPIC = {
    "IND": [
        "部落的族語教材應該更多",
        "傳統領域的劃設要尊重族人",
        "南島語族的交流活動可以擴大",
        "原住民族文化要保存",
    ],
    "REG": ["地方創生計畫要公開進度", "返鄉青年需要媒合資源", "人口外流讓在地產業萎縮", "地方創生平台要好用"],
    "YTH": ["青諮會的建議要被採納", "校園公民教育要加強", "青年參與政策的管道太少", "青年諮詢委員要多元"],
    "DON": ["政治獻金資料要即時公開", "候選人的收支應該可以下載", "政黨捐款要透明", "政治獻金法應該修正"],
}
# Off-topic themes; the first phrase of each shares one generic word (國際, 偏鄉, 年輕人) with a
# commitment and occurs in every sixth item of its theme, as a theme's recurring point does.
OFF_TOPIC = {
    "air": [
        "燃煤電廠的排放標準應該跟國際接軌",
        "老舊柴油車的汰換補助應該擴大",
        "冬天空氣汙染太嚴重",
        "工業區旁邊的居民長期吸廢氣",
        "露天燃燒稻草要取締",
    ],
    "health": [
        "偏鄉的醫療資源不足，看專科要坐兩小時車",
        "急診室壅塞的問題要解決",
        "護理人員的工時太長",
        "長照的人力嚴重缺乏",
    ],
    "housing": ["年輕人買不起房子", "房價所得比太高", "社會住宅要蓋更多", "租屋補貼的申請太麻煩"],
}


def _corpus(
    seed: int, themes: tuple[str, ...] = tuple(OFF_TOPIC), per_theme: int = 36
) -> tuple[list[str], list[str]]:
    """25 comments per commitment, then ``per_theme`` comments of each off-topic theme (gold ``off:…``)."""
    rng = random.Random(seed)
    texts, gold = [], []
    for code, phrases in ON_TOPIC.items():
        for _ in range(25):
            texts.append("。".join(rng.sample(phrases, 2)) + "。")
            gold.append(code)
    for theme in themes:
        phrases = OFF_TOPIC[theme]
        for i in range(per_theme):
            if i % 6 == 0:
                texts.append(
                    f"{phrases[0]}。" if i % 12 == 0 else f"{phrases[0]}。{rng.choice(phrases[1:])}。"
                )
            else:
                texts.append("。".join(rng.sample(phrases[1:], 2)) + "。")
            gold.append(f"off:{theme}")
    return texts, gold


def _catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    path = tmp_path_factory.mktemp("novelty") / "catalogue.csv"
    path.write_text(CATALOGUE, encoding="utf-8")
    return load_catalogue(path)


def assign_rows(
    prepared: PreparedCorpus, catalogue: Catalogue, examples: dict[int, str] | None = None, **settings: object
) -> Assignment:
    """``assign_corpus`` on the distinct rows of a lexical corpus (copies as sample weights); ``examples``:
    distinct row → commitment code or ``"none"``."""
    counts = np.bincount(prepared.inverse)
    labels: list[str | None] = [None] * counts.size
    for row, label in (examples or {}).items():
        labels[row] = label
    return assign_corpus(
        corpus_views(prepared, None),
        catalogue.codes,
        counts,
        labels,
        Settings(**settings),  # type: ignore[arg-type]
    )


def lexical_groups(prepared: PreparedCorpus, n_commitments: int, seed: int = 0) -> np.ndarray:
    """The groups ``assign_corpus`` decides ``none`` for, on a lexical corpus (no sentence vectors)."""
    return corpus_groups(prepared.unique_X, None, n_commitments, np.bincount(prepared.inverse), seed)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory):
    catalogue = _catalogue(tmp_path_factory)
    texts, gold = _corpus(7)
    prepared = prepare(texts, catalogue)
    assignment, decisions = assign(prepared, catalogue, seed=0)
    return catalogue, gold, prepared, assignment, decisions


def _none_share(decisions: list[Decision], gold: list[str], off_topic: bool) -> float:
    chosen = [
        d.status == NONE for d, g in zip(decisions, gold, strict=True) if g.startswith("off:") is off_topic
    ]
    return sum(chosen) / len(chosen)


def test_off_topic_themes_are_partly_none(analysed) -> None:
    """Three off-topic themes make up half of this corpus; each shares a generic word («國際», «偏鄉»,
    «年輕人») with one commitment. Some of their groups must be ``none`` in the default mode (the
    earlier gate answered ``none`` for over half of them here, lexically)."""
    _, gold, _, assignment, decisions = analysed
    assert _none_share(decisions, gold, off_topic=True) >= 0.25, (
        assignment.new_groups,
        assignment.none_measured,
    )


@pytest.mark.embeddings
@pytest.mark.parametrize(
    "theme",
    [
        "air",
        "health",
        pytest.param(
            "housing",
            marks=pytest.mark.xfail(
                reason="its comments name 年輕人, a keyword of the youth commitment: most of them beat the "
                "median unrelated match, so the group rule keeps them (a neighbour the rule cannot tell "
                "apart; README, how items are assigned)",
                strict=True,
            ),
        ),
    ],
)
def test_a_small_off_topic_theme_is_none(tmp_path_factory: pytest.TempPathFactory, theme: str) -> None:
    """One off-topic theme of eight comments beside a hundred that belong: its group is called new (the
    comment that shares the generic word with a commitment may keep it), nothing that belongs is, and
    the generous mode calls at least as much new as the balanced one. With the product's default
    (sentence vectors): on words alone, a comment sharing one generic bigram with the catalogue (擴大)
    already beats the median unrelated match, which is about zero for sparse rows, so a small theme
    of such comments is not called new (docs/architecture.md)."""
    catalogue = _catalogue(tmp_path_factory)
    for seed in (0, 1):
        texts, gold = _corpus(seed, (theme,), per_theme=8)
        prepared = prepare(texts, catalogue)
        balanced = assign(prepared, catalogue, seed=0)[1]
        assert _none_share(balanced, gold, off_topic=True) >= 0.7, (theme, seed)
        assert _none_share(balanced, gold, off_topic=False) == 0.0, (theme, seed)
        generous = assign(prepared, catalogue, seed=0, params={"none": "generous"})[1]
        assert _none_share(generous, gold, off_topic=True) >= _none_share(balanced, gold, off_topic=True)


def test_real_matches_with_specific_terms_stay_assigned(analysed) -> None:
    _, gold, _, _, decisions = analysed
    matched = [(d.code, g) for d, g in zip(decisions, gold, strict=True) if g in ON_TOPIC]
    assert sum(code == g for code, g in matched) / len(matched) >= 0.95
    assert all(0.0 <= d.confidence <= 1.0 for d in decisions)
    assert all((d.code is None) == (d.status == NONE) for d in decisions)


def test_the_analysis_is_deterministic(analysed) -> None:
    catalogue, _, prepared, assignment, decisions = analysed
    again, repeat = assign(prepared, catalogue, seed=0)
    assert repeat == decisions
    assert again.none_measured == assignment.none_measured
    assert again.view_weights == assignment.view_weights


def test_a_group_is_new_when_few_of_its_comments_beat_unrelated_text() -> None:
    """A mode calls a group new where fewer of its comments (copies counted) than its share match better
    than the median unrelated match: a quarter (strict), a third (balanced), a half (generous)."""
    assert list(NONE_MODES) == ["strict", "balanced", "generous"]
    groups = np.array([0, 0, 0, 0, 0, 1, 1, 2, 2, 2])
    strength = np.array([0.9, 0.2, 0.3, 0.1, 0.4, 0.7, 0.6, 0.5, 0.51, 0.2])
    counts = np.array([1, 1, 1, 1, 1, 2, 1, 1, 1, 1])
    share = share_above_null(strength, groups, 4, counts)
    assert share.tolist() == pytest.approx([0.2, 1.0, 1 / 3, 1.0])  # group 3 is empty: it belongs
    weighted = share_above_null(strength, groups, 3, np.array([3, 1, 1, 1, 1, 1, 1, 1, 1, 1]))
    assert weighted[0] == pytest.approx(3 / 7)
    called = {}
    for value in (0.2, 0.3, 0.4, 0.6):
        called[value] = [bool(new_groups(np.array([value]), mode)[0]) for mode in NONE_MODES]
    assert called == {
        0.2: [True, True, True],
        0.3: [False, True, True],
        0.4: [False, False, True],
        0.6: [False, False, False],
    }


def test_left_out_commitments() -> None:
    best = np.array([0, 0, 1, 3, 3, 3])
    counts = np.ones(6)
    assert left_out_commitments(best, counts, 2, 0) == []  # fewer than three commitments: no trial
    assert left_out_commitments(best, counts, 5, 0) == [0, 1, 3]  # only commitments some comment has
    assert left_out_commitments(best, np.array([1, 1, 0, 1, 1, 1]), 5, 0) == [0, 3]
    many = np.arange(60) % 30
    drawn = left_out_commitments(many, np.ones(60), 30, 4)
    assert len(drawn) == MAX_SIMULATIONS
    assert drawn == sorted(set(drawn))
    assert drawn == left_out_commitments(many, np.ones(60), 30, 4)


def test_leaving_a_commitment_out_measures_the_modes() -> None:
    """Six commitments, each with its own comments (one group each); the comments of commitment 0 share
    nothing with the other five, the others some words with their neighbours. Leaving 0 out makes its
    group match worse than unrelated text: every mode finds it, and calls nothing else new."""
    rng = np.random.default_rng(0)
    k, per = 6, 20
    truth = np.repeat(np.arange(k), per)
    scores = np.where(rng.random((truth.size, k)) < 0.5, rng.uniform(0.05, 0.2, (truth.size, k)), 0.0)
    scores[truth == 0] = 0.0
    scores[np.arange(truth.size), truth] = rng.uniform(0.5, 0.9, truth.size)
    same = np.eye(k, dtype=bool)
    counts = np.ones(truth.size)
    strengths = left_out_strengths([scores], same, counts, [False], [0])
    measured = simulate([scores], np.ones(1), truth, counts, [0], strengths)
    assert measured.trials == 1
    assert measured.figures == dict.fromkeys(NONE_MODES, (1.0, 1.0))
    assert simulate([scores], np.ones(1), truth, counts, [], []) == Measured({}, 0)


def test_the_run_reports_what_each_mode_measured(analysed) -> None:
    _, _, _, assignment, _ = analysed
    assert set(assignment.none_measured) == set(NONE_MODES)
    recall = [assignment.none_measured[m][1] for m in NONE_MODES]
    assert recall == sorted(recall)  # the stricter the mode, the fewer it finds
    assert all(0.0 <= p <= 1.0 and 0.0 <= r <= 1.0 for p, r in assignment.none_measured.values())


def test_examples_overrule_the_gate_for_their_group() -> None:
    groups = np.array([0, 0, 1, 1, 2, 2, 3])
    called = np.array([True, False, False, True])
    labels = np.full(groups.size, UNLABELLED)
    assert _new_groups(called, groups, labels).tolist() == [True, False, False, True]
    labels[0] = 1  # a commitment's example in a group called new: the group belongs
    labels[2] = NONE_EXAMPLE  # a none example in a group that belongs: the group is new
    labels[6] = NONE_EXAMPLE
    labels[4], labels[5] = NONE_EXAMPLE, 0  # both: the commitment's example wins
    assert _new_groups(called, groups, labels).tolist() == [False, True, False, True]


def test_a_none_example_makes_its_group_none(tmp_path_factory: pytest.TempPathFactory) -> None:
    catalogue = _catalogue(tmp_path_factory)
    texts, gold = _corpus(0, ("air",), per_theme=24)
    prepared = prepare(texts, catalogue)
    plain = assign_rows(prepared, catalogue)
    groups = lexical_groups(prepared, len(catalogue.codes))
    rows = np.unique(prepared.inverse[[i for i, g in enumerate(gold) if g == "off:air"]])
    # The group that holds most of the off-topic theme and that the gate did not call new.
    kept = [
        int(g)
        for g in np.unique(groups[rows])
        if all(plain.decisions[r].status != NONE for r in np.flatnonzero(groups == g))
    ]
    assert kept, "an off-topic group the gate kept, or this test checks nothing"
    group = max(kept, key=lambda g: int(np.isin(np.flatnonzero(groups == g), rows).sum()))
    members = np.flatnonzero(groups == group)
    example = int(members[0])
    steered = assign_rows(prepared, catalogue, {example: NONE})
    decided = steered.decisions[example]
    assert (decided.status, decided.code, decided.confidence) == (NONE, None, 1.0)
    assert sum(steered.decisions[r].status == NONE for r in members) >= 0.8 * members.size
    # The gate reads the views without the examples: outside the group, nothing turns none or back.
    outside = np.flatnonzero(groups != group)
    assert [steered.decisions[r].status == NONE for r in outside] == [
        plain.decisions[r].status == NONE for r in outside
    ]


def test_a_commitment_example_keeps_its_group(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A group called new that holds a comment the facilitator placed under a commitment is not new: its
    comments get their best commitment again."""
    catalogue = _catalogue(tmp_path_factory)
    texts, _ = _corpus(0, ("health",), per_theme=8)
    prepared = prepare(texts, catalogue)
    plain = assign_rows(prepared, catalogue)
    none_rows = [r for r, d in enumerate(plain.decisions) if d.status == NONE]
    assert none_rows, "a group called new, or this test checks nothing"
    groups = lexical_groups(prepared, len(catalogue.codes))
    group = int(groups[none_rows[0]])
    steered = assign_rows(prepared, catalogue, {none_rows[0]: "DON"})
    assert steered.decisions[none_rows[0]].code == "DON"
    assert steered.decisions[none_rows[0]].confidence == 1.0
    assert all(steered.decisions[r].status != NONE for r in np.flatnonzero(groups == group))
    assert steered.new_groups == plain.new_groups - 1


def test_tiny_corpora_are_one_group_never_new(tmp_path_factory: pytest.TempPathFactory) -> None:
    catalogue = _catalogue(tmp_path_factory)
    prepared = prepare(["冬天空氣汙染太嚴重", "房價所得比太高", "政黨捐款要透明"], catalogue)
    assert lexical_groups(prepared, len(catalogue.codes)).tolist() == [0, 0, 0]
    assignment = assign_rows(prepared, catalogue)
    assert assignment.new_groups == 0
    assert [d.status for d in assignment.decisions] != [NONE] * 3
    assert sp.issparse(prepared.unique_X)
