"""Theme labels a person can read, subjects merged, and the support / no-argument group."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.catalogue import Catalogue, load_catalogue
from analysis.run import analyse
from analysis.text.normalise import normalise
from analysis.text.segment import segmenter
from analysis.themes.keys import is_support_key, support_key, theme_keys
from analysis.themes.no_argument import is_no_argument
from analysis.themes.phrase_labels import candidate_phrases, phrase_label
from analysis.themes.themes import SUPPORT_LABEL, merge_similar
from storage.corpus import TextItem
from tests.analysis_corpus import make_items, write_catalogue

CHATTER = [
    "推",
    "推推",
    "+1",
    "讚",
    "讚讚讚",
    "同意樓上",
    "支持！",
    "加油",
    "謝謝分享 👍",
    "大家好",
    "同意",
    "樓上說得好",
    "期待正式版本",
    "沒意見，支持。",
    "贊成",
    "支持國發會",
    "好",
    "反對+1",
    "感謝國發會願意開放討論。",
    "請加快腳步。",
    "＋１",
    "這個方案很好，支持政府推動。",
]
ARGUMENTS = [
    "反對核四",
    "空氣污染嚴重影響居民健康",
    "推動資料開放需要專法",
    "支持，但預算要公開",
    "謝謝，不過停車位不夠",
    "同意樓上，颱風天應該停班停課",
]


@pytest.mark.parametrize("text", CHATTER)
def test_chatter_has_no_argument(text: str) -> None:
    assert is_no_argument(normalise(text))


@pytest.mark.parametrize("text", ARGUMENTS)
def test_a_subject_is_an_argument(text: str) -> None:
    assert not is_no_argument(normalise(text))


def _tokens(texts: list[str]) -> list[list[str]]:
    return [list(segmenter().words(normalise(t))) for t in texts]


def test_phrase_label_is_a_short_phrase_from_the_comments() -> None:
    texts = [
        "工業區的空氣污染影響居民健康",
        "空氣污染讓居民健康受損，請政府取締",
        "晚上的空氣污染很嚴重",
        "推",
    ]
    scores = {"空氣": 0.3, "污染": 0.3, "居民": 0.2, "健康": 0.2, "取締": 0.05}
    label = phrase_label(_tokens(texts), [1.0] * len(texts), lambda w: scores.get(w, 0.0))
    assert 4 <= len(label) <= 12
    assert any(label in normalise(t) for t in texts)
    assert "空氣污染" in label


def test_phrase_label_never_ends_on_a_hedge_and_is_empty_without_distinctive_words() -> None:
    texts = ["案件越來越多", "案件越來越多了"]
    label = phrase_label(_tokens(texts), [1.0, 1.0], lambda w: 0.5 if w in {"案件", "越來越"} else 0.0)
    assert not label.endswith("越來越")
    assert phrase_label(_tokens(texts), [1.0, 1.0], lambda w: 0.0) == ""


def test_candidate_phrases_stay_inside_a_clause_and_open_and_close_on_content_words() -> None:
    tokens = ["空氣", "污染", "，", "應該", "取締", "工廠", "排放", " "]
    tokens += ["居民", "健康", "受損", "問題", "嚴重"]
    found = candidate_phrases(tokens, frozenset())
    assert set(found) == {
        "空氣污染",  # the first clause: one phrase of two words
        "取締工廠",
        "取締工廠排放",
        "工廠排放",  # 應該 (a hedge) opens nothing
        "居民健康",
        "居民健康受損",
        "居民健康受損問題",
        "健康受損",
        "健康受損問題",
        "健康受損問題嚴重",
        "受損問題",
        "受損問題嚴重",
        "問題嚴重",
    }
    assert found["居民健康受損問題"] == ("居民", "健康", "受損", "問題")  # at most four words
    # What each token is may be remembered across texts (one theme's texts share most of their words).
    kinds: dict[str, int] = {}
    other = ["工廠", "排放", "，", "居民", "健康"]
    assert candidate_phrases(tokens, frozenset(), kinds) == found
    assert candidate_phrases(other, frozenset(), kinds) == candidate_phrases(other, frozenset())


def test_clusters_about_one_subject_are_merged() -> None:
    import scipy.sparse as sp

    words = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 0.9, 0, 0], [0, 0, 1, 1], [0.9, 1, 0, 0]], dtype=float))
    merged = merge_similar(np.array([0, 0, 1, 2]), words, np.ones(4), 0.3)
    assert merged[0] == merged[3] != merged[2]


def test_support_theme_keeps_its_key_apart_from_numbered_themes() -> None:
    keys = theme_keys("none", [{"a": 1.0}, {"推": 1.0}], [False, True], [("none#support", {"推": 1.0})])
    assert keys == ["none#1", support_key("none")]
    assert is_support_key(keys[1])
    assert not is_support_key(keys[0])


def _chatter_corpus(tmp_path: Path) -> tuple[list[TextItem], Catalogue]:
    rows = make_items(10)
    items = [TextItem("import", r["item_id"], r["text"]) for r in rows]
    items += [TextItem("import", f"chat-{i:03d}", CHATTER[i % len(CHATTER)]) for i in range(60)]
    return items, load_catalogue(write_catalogue(tmp_path / "catalogue.csv"))


def test_chatter_never_appears_as_a_candidate_new_commitment(tmp_path: Path) -> None:
    items, catalogue = _chatter_corpus(tmp_path)
    result = analyse(items, catalogue, seed=0, params={"embeddings": "off"})
    support = {c["cluster_key"] for c in result.clusters if is_support_key(c["cluster_key"])}
    assert support, "the chatter forms a support group"
    by_key = {c["cluster_key"]: c for c in result.clusters}
    for a in result.assignments:
        if a["item_id"].startswith("chat-"):
            assert a["cluster_key"] in support, a  # counted in the support group, in whatever scope
    for c in result.clusters:
        if is_support_key(c["cluster_key"]):
            assert c["label"] == SUPPORT_LABEL
        else:  # no argument theme (a candidate new commitment when its scope is "none") holds chatter
            members = {a["item_id"] for a in result.assignments if a["cluster_key"] == c["cluster_key"]}
            assert not any(m.startswith("chat-") for m in members), by_key[c["cluster_key"]]["label"]
            assert "、" not in c["label"] or c["size"] < 3  # a phrase, not a word list


def test_report_counts_chatter_as_support_and_never_offers_it_as_a_new_commitment(
    tmp_path: Path, sqlite_url: str
) -> None:
    import json

    from analysis.run import run_analysis
    from reports.site import build_report
    from storage.db import open_database, transaction, upsert
    from storage.models import ImportedItem

    engine = open_database(sqlite_url)
    rows = make_items(10)
    rows += [
        {"dataset": "test", "item_id": f"chat-{i:03d}", "text": CHATTER[i % len(CHATTER)]} for i in range(60)
    ]
    with transaction(engine) as session:
        upsert(session, ImportedItem, rows, keys=["dataset", "item_id"])
    run_analysis(engine, catalogue=str(write_catalogue(tmp_path / "c.csv")), quiet=True)
    out = tmp_path / "report"
    build_report(engine, out, quiet=True, pdf=False)
    gaps = (out / "gaps.html").read_text(encoding="utf-8")
    assert "data-support=" in gaps
    assert 'data-item-id="chat-' not in gaps  # no chatter quoted as a possible new commitment
    gap_rows = json.loads((out / "data" / "gap_themes.json").read_text(encoding="utf-8"))["rows"]
    assert all(not str(r["key"]).endswith("#support") for r in gap_rows)
    for page in (out / "commitments").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert 'data-item-id="chat-' not in html
        assert "支持／無具體論點" not in html
        assert "關於「支持" not in html
