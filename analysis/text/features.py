"""Lexical features for Chinese: TF-IDF over jieba words and over character n-grams, side by side.

Character bigrams are robust where segmentation fails (names, new terms); words carry meaning where
characters are ambiguous. Both are L2-normalised, weighted and stacked, then normalised again.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, repeat

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import normalize


def _cjk_char_ngrams(text: str, n_min: int, n_max: int) -> list[str]:
    """Character n-grams within runs of non-space characters (never straddling two Latin words)."""
    grams: list[str] = []
    for chunk in text.split():
        length = len(chunk)
        for n in range(n_min, n_max + 1):
            grams.extend(chunk[i : i + n] for i in range(length - n + 1))
    return grams


class CharNgrams:
    """A picklable analyzer for character n-grams (the reference for :class:`CharNgramTfidf`)."""

    def __init__(self, n_min: int, n_max: int) -> None:
        self.n_min, self.n_max = n_min, n_max

    def __call__(self, text: str) -> list[str]:
        return _cjk_char_ngrams(text, self.n_min, self.n_max)


_BITS = 21  # every Unicode code point fits in 21 bits: up to three pack exactly into a uint64
# Characters of text whose n-grams are keyed and counted at once: the arrays of every occurrence of a
# million comments at once took more memory than the rest of the analysis.
ENTRIES_PART_CHARS = 2_000_000


class CharNgramTfidf:
    """TF-IDF over character n-grams (n ≤ 3), counted with numpy instead of one Python string per gram.

    The same features and weights as ``TfidfVectorizer(analyzer=CharNgrams(n_min, n_max), sublinear_tf=True,
    min_df, max_df)`` (a test checks it), several times faster on large corpora (docs/benchmarks.md): the
    texts are joined by spaces into one code-point array, each n-gram is its code points packed into one
    integer (a 1-gram < 2^21 ≤ a 2-gram < 2^42 ≤ a 3-gram, so ids never collide across n), and grams holding a
    space are dropped — exactly the analyzer's "never across a space" rule.
    """

    def __init__(self, n_min: int, n_max: int, min_df: int, max_df: float) -> None:
        if not 1 <= n_min <= n_max <= 3:
            raise ValueError(f"character n-grams need 1 <= n_min <= n_max <= 3, got {n_min}..{n_max}")
        self.n_min, self.n_max, self.min_df, self.max_df = n_min, n_max, min_df, max_df

    def _grams(self, texts: Sequence[str], first_doc: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(document index, gram id) of every n-gram occurrence; documents are numbered from ``first_doc``."""
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        joined = " ".join(texts) + " " * self.n_max
        points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        doc_of = np.repeat(np.arange(first_doc, first_doc + len(texts), dtype=np.int64), lengths + 1)
        total = doc_of.size - 1 if len(texts) else 0  # the last separator is not a position
        space = points == 32
        docs, ids = [], []
        for n in range(self.n_min, self.n_max + 1):
            gram = np.zeros(total, dtype=np.uint64)
            blocked = np.zeros(total, dtype=bool)
            for k in range(n):
                gram = (gram << np.uint64(_BITS)) | points[k : k + total]
                blocked |= space[k : k + total]
            keep = ~blocked
            docs.append(doc_of[:total][keep])
            ids.append(gram[keep])
        if len(docs) == 1:
            return docs[0], ids[0]
        return np.concatenate(docs), np.concatenate(ids)

    def _counts(self, texts: Sequence[str], columns: np.ndarray) -> sp.csr_matrix:
        """Counts of the known grams ``columns`` (sorted ids) in each text."""
        return self._known(*self._grams(texts), columns, len(texts))

    @staticmethod
    def _known(docs: np.ndarray, ids: np.ndarray, columns: np.ndarray, n: int) -> sp.csr_matrix:
        col = np.searchsorted(columns, ids)
        col = np.minimum(col, max(0, columns.size - 1))
        known = columns[col] == ids if columns.size else np.zeros(ids.size, dtype=bool)
        docs, col = docs[known], col[known]
        counts = sp.csr_matrix((np.ones(col.size, dtype=np.float32), (docs, col)), shape=(n, columns.size))
        counts.sum_duplicates()
        return counts

    def _fit_counts(self, texts: Sequence[str]) -> sp.csc_matrix:
        """Counts of every gram in each text, by column (sets ``gram_ids_``, the sorted gram ids).

        Each occurrence becomes one integer, gram id above document index, and one sort of those
        groups them by gram, then document: the distinct keys are the matrix entries in column order
        and their run lengths the counts. That replaces a sort for the gram ids, a binary search of
        every occurrence and a sort of the entries (about half the time: docs/benchmarks.md; the
        default bigrams need 42 + 17 bits). Longer keys than 64 bits take the two-step way.

        The keys are made and counted a part of the texts at a time (:meth:`_entries`), so that the
        arrays of every occurrence never exist at once for a whole large corpus.
        """
        n = len(texts)
        doc_bits = max(1, (n - 1).bit_length())
        if self.n_max * _BITS + doc_bits > 64:
            docs, ids = self._grams(texts)
            self.gram_ids_ = np.unique(ids)
            return self._known(docs, ids, self.gram_ids_, n).tocsc()
        key, counts = self._entries(texts, doc_bits)
        order = np.argsort(key, kind="stable")
        key, counts = key[order], counts[order]
        del order
        gram = key >> np.uint64(doc_bits)
        first = np.flatnonzero(np.r_[True, gram[1:] != gram[:-1]]) if gram.size else np.zeros(0, np.int64)
        self.gram_ids_ = gram[first]
        index = np.int32 if key.size < 2**31 else np.int64  # as scipy would choose
        rows = (key & np.uint64((1 << doc_bits) - 1)).astype(index)
        indptr = np.r_[first, gram.size].astype(index)
        return sp.csc_matrix((counts, rows, indptr), shape=(n, first.size))

    def _entries(self, texts: Sequence[str], doc_bits: int) -> tuple[np.ndarray, np.ndarray]:
        """The distinct (gram, document) keys of every text and their counts, unordered across parts."""
        keys: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        part = 0
        while part < len(texts) or not keys:
            end = part + 1
            chars = len(texts[part]) if part < len(texts) else 0
            while end < len(texts) and chars < ENTRIES_PART_CHARS:
                chars += len(texts[end])
                end += 1
            docs, ids = self._grams(texts[part:end], first_doc=part)
            key = (ids << np.uint64(doc_bits)) | docs.astype(np.uint64)
            del docs, ids
            key.sort()
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else np.zeros(0, np.int64)
            counts.append(np.diff(np.r_[starts, key.size]).astype(np.float32))
            keys.append(key[starts])
            part = end
        return np.concatenate(keys), np.concatenate(counts)

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        counts = self._fit_counts(texts)
        df = np.diff(counts.indptr)  # documents per gram: each (gram, document) entry is distinct
        n = counts.shape[0]
        max_count = self.max_df * n if isinstance(self.max_df, float) else self.max_df
        kept = np.flatnonzero((df >= self.min_df) & (df <= max_count))
        self.gram_ids_ = self.gram_ids_[kept]
        self.tfidf_ = TfidfTransformer(sublinear_tf=True)
        return self.tfidf_.fit_transform(counts[:, kept].tocsr()).astype(np.float32)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self.tfidf_.transform(self._counts(texts, self.gram_ids_)).astype(np.float32)

    def get_feature_names_out(self) -> np.ndarray:
        names = []
        mask = (1 << _BITS) - 1
        for gram in self.gram_ids_.tolist():
            chars = []
            while gram:
                chars.append(chr(gram & mask))
                gram >>= _BITS
            names.append("".join(reversed(chars)))
        return np.array(names, dtype=object)


class WordTfidf:
    """TF-IDF over given token lists, counted with numpy: each token is mapped to its column by one
    dictionary lookup and the counts are one sparse matrix, instead of a Python counter per document.

    The same vocabulary (sorted), features and weights as ``TfidfVectorizer(analyzer=<identity>,
    sublinear_tf=True, min_df, max_df)`` (a test checks it), several times faster (docs/benchmarks.md).
    """

    def __init__(self, min_df: int, max_df: float) -> None:
        self.min_df, self.max_df = min_df, max_df

    @staticmethod
    def _counts(
        documents: Sequence[Sequence[str]], vocabulary: dict[str, int], flat: list[str] | None = None
    ) -> sp.csr_matrix:
        """Counts of the ``vocabulary`` words in each document (``flat``: all tokens in order, if known).

        The columns are looked up by ``map`` over one flat list of tokens, C-level iteration that
        took half the time of a generator over the nested lists (docs/benchmarks.md).
        """
        lengths = np.fromiter(map(len, documents), dtype=np.int64, count=len(documents))
        if flat is None:
            flat = list(chain.from_iterable(documents))
        ids = np.fromiter(map(vocabulary.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
        rows = np.repeat(np.arange(len(documents), dtype=np.int64), lengths)
        known = ids >= 0
        counts = sp.csr_matrix(
            (np.ones(int(known.sum()), dtype=np.float32), (rows[known], ids[known])),
            shape=(len(documents), len(vocabulary)),
        )
        counts.sum_duplicates()
        return counts

    def fit_transform(self, documents: Sequence[Sequence[str]]) -> sp.csr_matrix:
        flat = list(chain.from_iterable(documents))
        words = sorted(set(flat))
        counts = self._counts(documents, {word: j for j, word in enumerate(words)}, flat)
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        n = counts.shape[0]
        max_count = self.max_df * n if isinstance(self.max_df, float) else self.max_df
        kept = np.flatnonzero((df >= self.min_df) & (df <= max_count))
        self.vocabulary_ = {words[j]: i for i, j in enumerate(kept.tolist())}
        self.tfidf_ = TfidfTransformer(sublinear_tf=True)
        return self.tfidf_.fit_transform(counts[:, kept]).astype(np.float32)

    def transform(self, documents: Sequence[Sequence[str]]) -> sp.csr_matrix:
        return self.tfidf_.transform(self._counts(documents, self.vocabulary_)).astype(np.float32)

    def get_feature_names_out(self) -> np.ndarray:
        return np.array(list(self.vocabulary_), dtype=object)


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

    def fit(self, documents: Sequence[tuple[str, Sequence[str]]], y: object = None) -> LexicalVectorizer:
        self.fit_transform(documents)
        return self

    def _vectorizers(self, max_df: float) -> tuple[WordTfidf, CharNgramTfidf]:
        return WordTfidf(self.min_df, max_df), CharNgramTfidf(
            *self.char_ngram, min_df=self.min_df, max_df=max_df
        )

    def fit_transform(
        self, documents: Sequence[tuple[str, Sequence[str]]], y: object = None
    ) -> sp.csr_matrix:
        texts = [d[0] for d in documents]
        tokens = [list(d[1]) for d in documents]
        # max_df above 1/2 of a tiny corpus would drop everything: relax it for small inputs.
        self.words_, self.chars_ = self._vectorizers(1.0 if len(documents) < 20 else self.max_df)
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


__all__ = ["CharNgramTfidf", "CharNgrams", "LexicalVectorizer"]
