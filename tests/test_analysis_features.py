"""The numpy character n-gram TF-IDF equals scikit-learn's TfidfVectorizer with the reference analyzer."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from analysis.text import features
from analysis.text.features import CharNgrams, CharNgramTfidf
from analysis.text.normalise import normalise

TEXTS = [
    normalise(t)
    for t in (
        "政府資料開放專法應儘速立法！",
        "PM2.5 預警太晚，學校來不及應變",
        "支持 👍 +1",
        "資料開放 api 與更新通知",
        "a b",
        "",
        "資料開放",
        "青年參與公共政策，青年參與地方創生",
    )
]


@pytest.mark.parametrize(("n_range", "max_df"), [((2, 2), 1.0), ((1, 2), 0.5), ((2, 3), 0.6), ((1, 3), 1.0)])
def test_char_ngram_tfidf_matches_sklearn(n_range: tuple[int, int], max_df: float) -> None:
    reference = TfidfVectorizer(analyzer=CharNgrams(*n_range), sublinear_tf=True, max_df=max_df)
    expected = reference.fit_transform(TEXTS).toarray()
    ours = CharNgramTfidf(*n_range, min_df=1, max_df=max_df)
    got = ours.fit_transform(TEXTS).toarray()
    names = ours.get_feature_names_out()
    order = np.argsort(names)
    assert list(names[order]) == list(reference.get_feature_names_out())
    np.testing.assert_allclose(got[:, order], expected, atol=1e-6)
    queries = ["新的 文字 pm2.5", "青年參與", "🙂"]
    np.testing.assert_allclose(
        ours.transform(queries).toarray()[:, order], reference.transform(queries).toarray(), atol=1e-6
    )


@pytest.mark.parametrize("part_chars", [2_000_000, 40, 1])
@pytest.mark.parametrize("n_range", [(1, 2), (2, 2), (3, 3)])
def test_char_counts_by_one_sort_equal_the_two_step_counts(
    n_range: tuple[int, int], part_chars: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fit counts (gram and document packed in one key, one sort) are the same matrix, bit for bit,
    as a sort of the gram ids plus a binary search; (3, 3) needs more than 64 bits and takes that way.
    Keys made and counted a part of the texts at a time (``part_chars``: one part, parts of a few texts,
    a text per part) give that matrix too."""
    monkeypatch.setattr(features, "ENTRIES_PART_CHARS", part_chars)
    texts = [f"{TEXTS[i % len(TEXTS)]}{i}" for i in range(300)]
    ours = CharNgramTfidf(*n_range, min_df=1, max_df=1.0)
    fitted = ours._fit_counts(texts).tocsr()
    docs, ids = ours._grams(texts)
    reference = ours._known(docs, ids, np.unique(ids), len(texts))
    assert np.array_equal(ours.gram_ids_, np.unique(ids))
    assert fitted.shape == reference.shape
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(fitted, part), getattr(reference, part)), part
        assert getattr(fitted, part).dtype == getattr(reference, part).dtype, part


def test_char_ngram_tfidf_refuses_long_grams() -> None:
    with pytest.raises(ValueError, match="n_max <= 3"):
        CharNgramTfidf(2, 4, min_df=1, max_df=1.0)


def _tokens(tokens: list[str]) -> list[str]:
    return tokens


@pytest.mark.parametrize(("min_df", "max_df"), [(1, 1.0), (1, 0.5), (2, 0.8)])
def test_word_tfidf_matches_sklearn(min_df: int, max_df: float) -> None:
    from analysis.text.features import WordTfidf
    from analysis.text.segment import segmenter

    documents = [segmenter().cut(t) for t in TEXTS] + [["資料", "開放", "資料"], [], ["青年", "api"]]
    reference = TfidfVectorizer(analyzer=_tokens, sublinear_tf=True, min_df=min_df, max_df=max_df)
    expected = reference.fit_transform(documents)
    ours = WordTfidf(min_df, max_df)
    got = ours.fit_transform(documents)
    assert list(ours.get_feature_names_out()) == list(reference.get_feature_names_out())
    assert ours.vocabulary_ == reference.vocabulary_
    np.testing.assert_allclose(got.toarray(), expected.toarray(), atol=1e-6)
    queries = [["資料", "新詞"], ["未知"], []]
    expected_queries = reference.transform(queries).toarray()
    np.testing.assert_allclose(ours.transform(queries).toarray(), expected_queries, atol=1e-6)
