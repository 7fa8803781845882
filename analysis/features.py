"""Lexical features for Chinese: TF-IDF over jieba words and over character n-grams, side by side.

Character bigrams are robust where segmentation fails (names, new terms); words carry meaning where
characters are ambiguous. Both are L2-normalised, weighted and stacked, then normalised again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize


def _identity(tokens: Sequence[str]) -> Sequence[str]:
    return tokens


def _cjk_char_ngrams(text: str, n_min: int, n_max: int) -> list[str]:
    """Character n-grams within runs of non-space characters (never straddling two Latin words)."""
    grams: list[str] = []
    for chunk in text.split():
        length = len(chunk)
        for n in range(n_min, n_max + 1):
            grams.extend(chunk[i : i + n] for i in range(length - n + 1))
    return grams


class CharNgrams:
    """A picklable analyzer for character n-grams."""

    def __init__(self, n_min: int, n_max: int) -> None:
        self.n_min, self.n_max = n_min, n_max

    def __call__(self, text: str) -> list[str]:
        return _cjk_char_ngrams(text, self.n_min, self.n_max)


class LexicalVectorizer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Documents given as ``(normalised_text, tokens)`` pairs → stacked word + character TF-IDF rows.

    Parameters: ``word_weight`` (share of the word block; the character block gets the rest),
    ``char_ngram`` (n-gram range), ``min_df`` and ``max_df`` as in scikit-learn.
    """

    def __init__(
        self,
        word_weight: float = 0.5,
        char_ngram: tuple[int, int] = (2, 2),
        min_df: int = 1,
        max_df: float = 0.5,
    ) -> None:
        self.word_weight = word_weight
        self.char_ngram = char_ngram
        self.min_df = min_df
        self.max_df = max_df

    def fit(self, documents: Sequence[tuple[str, Sequence[str]]], y: Any = None) -> LexicalVectorizer:
        self.fit_transform(documents)
        return self

    def _vectorizers(self) -> tuple[TfidfVectorizer, TfidfVectorizer]:
        words = TfidfVectorizer(
            analyzer=_identity, sublinear_tf=True, min_df=self.min_df, max_df=self.max_df, dtype=np.float32
        )
        chars = TfidfVectorizer(
            analyzer=CharNgrams(*self.char_ngram),
            sublinear_tf=True,
            min_df=self.min_df,
            max_df=self.max_df,
            dtype=np.float32,
        )
        return words, chars

    def fit_transform(self, documents: Sequence[tuple[str, Sequence[str]]], y: Any = None) -> sp.csr_matrix:
        texts = [d[0] for d in documents]
        tokens = [list(d[1]) for d in documents]
        self.words_, self.chars_ = self._vectorizers()
        # max_df above 1/2 of a tiny corpus would drop everything: relax it for small inputs.
        if len(documents) < 20:
            self.words_.set_params(max_df=1.0)
            self.chars_.set_params(max_df=1.0)
        word_block = self.words_.fit_transform(tokens)
        char_block = self.chars_.fit_transform(texts)
        return self._stack(word_block, char_block)

    def transform(self, documents: Sequence[tuple[str, Sequence[str]]]) -> sp.csr_matrix:
        word_block = self.words_.transform([list(d[1]) for d in documents])
        char_block = self.chars_.transform([d[0] for d in documents])
        return self._stack(word_block, char_block)

    def _stack(self, word_block: sp.spmatrix, char_block: sp.spmatrix) -> sp.csr_matrix:
        w = float(np.sqrt(self.word_weight))
        c = float(np.sqrt(1.0 - self.word_weight))
        stacked = sp.hstack([word_block * w, char_block * c], format="csr", dtype=np.float32)
        return normalize(stacked)

    @property
    def n_word_features_(self) -> int:
        return len(self.words_.vocabulary_)

    def feature_names(self) -> np.ndarray:
        return np.concatenate([self.words_.get_feature_names_out(), self.chars_.get_feature_names_out()])


__all__ = ["CharNgrams", "LexicalVectorizer"]
