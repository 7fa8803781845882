"""analysis/assignment/fit.py: an off-topic theme sharing one generic word with a commitment is ``none``."""

from __future__ import annotations

import random

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from analysis.assignment.assign import NONE, CommitmentAssigner
from analysis.assignment.fit import EvidenceGate, storey_cut
from analysis.catalogue import Catalogue, CommitmentEntry, load_catalogue
from analysis.pipeline import assign, prepare

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


def _corpus(seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, gold = [], []
    for code, phrases in ON_TOPIC.items():
        for _ in range(25):
            texts.append("。".join(rng.sample(phrases, 2)) + "。")
            gold.append(code)
    for theme, phrases in OFF_TOPIC.items():
        for i in range(36):
            if i % 6 == 0:
                texts.append(
                    f"{phrases[0]}。" if i % 12 == 0 else f"{phrases[0]}。{rng.choice(phrases[1:])}。"
                )
            else:
                texts.append("。".join(rng.sample(phrases[1:], 2)) + "。")
            gold.append(f"off:{theme}")
    return texts, gold


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("fit") / "catalogue.csv"
    path.write_text(CATALOGUE, encoding="utf-8")
    catalogue = load_catalogue(path)
    texts, gold = _corpus(7)
    prepared = prepare(texts, catalogue)
    assigner, decisions = assign(prepared, catalogue, seed=0)
    return texts, gold, prepared, assigner, decisions


def test_off_topic_themes_are_mostly_none(analysed) -> None:
    """Three off-topic themes make up half of this corpus. ``none`` needs a cluster whose comments,
    taken together, match no entry better than unrelated text does; what a theme's comments share
    with the catalogue («國際», «偏鄉», «年輕人») or what sentence vectors relate keeps some of its
    clusters assigned. Measured: 0.28-0.48 of the off-topic items none with embeddings, 0.56 without
    (seeds 0-2); the earlier gate reached 0.8 here but answered ``none`` for 27 % of comments that
    belonged to a terse catalogue, and for 59 % of the Taipei questions."""
    _texts, gold, prepared, assigner, decisions = analysed
    off_topic = [d.status == NONE for d, g in zip(decisions, gold, strict=True) if g.startswith("off:")]
    assert sum(off_topic) / len(off_topic) >= 0.25
    lexical = assign(prepared, _catalogue_of(assigner), seed=0, params={"embeddings": "off"})[1]
    off_lexical = [d.status == NONE for d, g in zip(lexical, gold, strict=True) if g.startswith("off:")]
    assert sum(off_lexical) / len(off_lexical) >= 0.5


def test_real_matches_with_specific_terms_stay_assigned(analysed) -> None:
    _, gold, _, _, decisions = analysed
    matched = [(d.code, g) for d, g in zip(decisions, gold, strict=True) if g in ON_TOPIC]
    assert sum(code == g for code, g in matched) / len(matched) >= 0.95
    assigned = [d for d, g in zip(decisions, gold, strict=True) if g in ON_TOPIC and d.status != NONE]
    assert all(0.0 <= d.confidence <= 1.0 for d in assigned)


def test_the_gate_is_deterministic_and_follows_conventions(analysed) -> None:
    _, _, prepared, assigner, decisions = analysed
    gate = EvidenceGate(random_state=4)
    assert not [k for k in vars(gate) if k.endswith("_")]
    with pytest.raises(NotFittedError):
        gate.fits(np.zeros(3), np.zeros(3, dtype=int))
    k = len(assigner.classes_)
    strength = np.linspace(0.0, 1.0, prepared.unique_X.shape[0])
    first = gate.fit(strength, gate.cluster(prepared.unique_X, k))
    second = clone(gate).fit(strength, clone(gate).cluster(prepared.unique_X, k))
    assert np.array_equal(first.clusters_, second.clusters_)
    assert np.array_equal(first.fits(strength, first.clusters_), second.fits(strength, second.clusters_))
    assert np.array_equal(first.predict_clusters(prepared.unique_X), first.clusters_)
    # The same corpus analysed twice gives the same decisions.
    _, repeat = assign(prepared, _catalogue_of(assigner), seed=0)
    assert repeat == decisions


def _catalogue_of(assigner: CommitmentAssigner) -> Catalogue:

    return Catalogue("t", tuple(CommitmentEntry(str(c), str(c)) for c in assigner.classes_))


def test_storey_cut_best_of_k_on_dense_scores() -> None:
    # Half the items match commitment 0 clearly, half match nothing, and every item has some score
    # to every commitment (as sentence vectors do). An unrelated item's best is the larger of k null
    # draws, while the runner-up null is about the largest of k - 1: best_of_k corrects for that.
    def corpus(k: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        unrelated = rng.uniform(0.3, 0.7, size=(2000, k))
        related = rng.uniform(0.3, 0.7, size=(2000, k))
        related[:, 0] = rng.uniform(0.75, 1.0, 2000)
        return np.vstack([related, unrelated]), related.max(axis=1), unrelated.max(axis=1)

    scores, related, unrelated = corpus(2, 0)
    plain_cut, plain_share, _ = storey_cut(scores, 0.9)
    cut, share, _ = storey_cut(scores, 0.9, best_of_k=True)
    assert share > plain_share + 0.1  # nearer the true 0.5
    assert float((unrelated <= cut).mean()) > 0.6 > 0.3 > float((unrelated <= plain_cut).mean())
    assert bool((related > cut).all())
    # With many commitments the correction is small (k / (k - 1) = 1.09 for twelve).
    many, _, _ = corpus(12, 1)
    assert abs(storey_cut(many, 0.9, best_of_k=True)[0] - storey_cut(many, 0.9)[0]) < 0.01


def test_storey_cut_and_tiny_inputs() -> None:
    # Three commitments; four rows match one each clearly, three rows match nothing.
    scores = np.array([[0.9, 0.2, 0.0]] * 4 + [[0.05, 0.0, 0.0]] * 3)
    cut, share, _ = storey_cut(scores, 0.9)
    assert 0.0 < share < 1.0
    assert 0.05 <= cut < 0.9
    assert storey_cut(scores, 0.9, none_share=0.0)[1] == 0.0
    # Too few rows to cluster: one group, never off-topic as a whole.
    gate = EvidenceGate()
    X = sp.csr_matrix(np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 0, 1.0]]))
    fitted = gate.fit(np.array([0.9, 0.6, 0.0]), gate.cluster(X, 3))
    assert fitted.kmeans_ is None
    assert fitted.fits(np.array([0.9, 0.6, 0.0]), fitted.clusters_).tolist() == [True, True, True]
    with pytest.raises(ValueError, match="one label per row"):
        EvidenceGate().fit(np.zeros(2), fitted.cluster(X, 3))


def test_an_off_topic_cluster_is_none_unless_a_member_is_strong() -> None:
    """Clusters are given: one where most members match better than unrelated text typically does,
    one where nearly none do (a theme the catalogue leaves out)."""
    from analysis.assignment.fit import Clustering

    labels = np.array([0] * 6 + [1] * 6)
    strength = np.array([0.9, 0.8, 0.7, 0.2, 0.6, 0.1, 0.1, 0.3, 0.2, 0.4, 0.05, 0.97])
    gate = EvidenceGate().fit(strength, Clustering(labels, None, object()))
    assert gate.offtopic_.tolist() == [False, True]
    # Weak members of a topical cluster stay assigned; a strong member of the off-topic one too.
    assert gate.fits(strength, labels).tolist() == [True] * 6 + [False] * 5 + [True]
    # Copies count: the same rows, the evident one repeated, make the cluster topical.
    counts = np.array([1] * 6 + [1, 1, 1, 1, 1, 40])
    assert not EvidenceGate().fit(strength, Clustering(labels, None, object()), counts).offtopic_[1]
