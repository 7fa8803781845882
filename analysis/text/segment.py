"""jieba word segmentation with the vendored Traditional dictionary and the domain user dictionary."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from math import log

from analysis.parallel import fork_map, fork_workers
from analysis.text.dictionary_cache import load_dictionaries
from analysis.text.jieba_route import RE_HAN, best_route
from analysis.text.lexicon import DICT_PATH, stopwords
from analysis.text.normalise import normalise

# A token worth keeping: at least one letter, digit or CJK character.
# a term is a CJK word, or a Latin/digit word of two or more characters with a letter in it (API, PM2.5,
# CEDAW): single letters, lone digits and symbol junk (control characters, ÿ) never become theme terms
_WORDLIKE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|^(?=.*[A-Za-z])[A-Za-z0-9.+#-]{2,}$")
# Below this many characters of distinct blocks, segmenting in this process is faster than forking
# workers (which copy-on-write the pages of the dictionary they read and pickle the tokens back); the
# crossover is measured in docs/benchmarks.md.
PARALLEL_MIN_CHARS = 200_000
MAX_ROUTES = 500_000  # blocks whose route is remembered; past this the memory starts afresh


class Segmenter:
    """jieba with the vendored Traditional dictionary and the domain user dictionary; one per process.

    A catalogue's titles and keywords are added for one analysis with :meth:`extra_words`, which
    restores the dictionary afterwards: in a long-lived process (``schedule``, a benchmark over several
    catalogues) one run's catalogue never shapes the next run's tokens. :meth:`add_words` adds for good
    (idempotent).
    """

    def __init__(self) -> None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer(dictionary=str(DICT_PATH))
        load_dictionaries(self._tokenizer)
        self._added: set[str] = set()
        self._lock = threading.Lock()
        self._stop = stopwords()
        # log P(word) of the words met so far, valid for the dictionary total they were computed with
        self._log_p: dict[str, float] = {}
        self._log_p_total = -1
        # the route of each block met so far, valid with the counts that _log_p is valid for: the themes
        # read the texts again for their labels, and blocks repeat across texts
        self._routes: dict[str, list[str]] = {}

    def add_words(self, words: Iterable[str]) -> None:
        with self._lock:
            for word in words:
                word = normalise(word)
                if len(word) >= 2 and word not in self._added and " " not in word:
                    self._tokenizer.add_word(word, freq=max(self._tokenizer.suggest_freq(word), 50))
                    self._added.add(word)

    @contextmanager
    def extra_words(self, words: Iterable[str]) -> Iterator[None]:
        """Segment with ``words`` added inside the block only; the dictionary is as before afterwards.

        Words are added as :meth:`add_words` adds them, in the same order, so a run in a fresh process
        segments exactly as before. jieba's ``add_word`` sets the word's count, adds it to the total and
        enters every prefix with count 0; each entry it touches is saved first and put back after.
        """
        tokenizer = self._tokenizer
        with self._lock:
            total = tokenizer.total
            saved: dict[str, int | None] = {}
            added: set[str] = set()
            for word in words:
                word = normalise(word)
                if len(word) < 2 or " " in word or word in self._added or word in added:
                    continue
                added.add(word)
                for end in range(1, len(word) + 1):
                    saved.setdefault(word[:end], tokenizer.FREQ.get(word[:end]))
                tokenizer.add_word(word, freq=max(tokenizer.suggest_freq(word), 50))
        try:
            yield
        finally:
            with self._lock:
                for fragment, count in saved.items():
                    if count is None:
                        tokenizer.FREQ.pop(fragment, None)
                    else:
                        tokenizer.FREQ[fragment] = count
                tokenizer.total = total
                self._log_p, self._log_p_total = {}, -1  # counts changed at an equal total
                self._routes = {}

    def cut(self, text: str) -> list[str]:
        """All word tokens of an already normalised text (stopwords and punctuation removed)."""
        return [
            token
            for token in self.words(text)
            if token.strip() and token not in self._stop and _WORDLIKE.search(token.strip())
        ]

    def words(self, text: str) -> Iterator[str]:
        """Exactly the tokens of ``jieba.Tokenizer.cut(text, HMM=False)`` (a test checks), faster: one loop.

        Blocks jieba routes go through :func:`analysis.text.jieba_route.best_route`; the others (punctuation,
        spaces) still go through jieba itself. Each block's tokens are remembered.
        """
        tokenizer = self._tokenizer
        if tokenizer.total != self._log_p_total:  # words were added: every probability changed
            self._log_p, self._log_p_total, self._routes = {}, tokenizer.total, {}
        if len(self._routes) > MAX_ROUTES:
            self._routes = {}
        routes = self._routes
        for block in RE_HAN.split(text):
            if not block:
                continue
            route = routes.get(block)
            if route is None:
                # punctuation and spaces are remembered too: jieba splits them by pattern alone, through
                # a generator per block (a third of the theme labels' segmenting time at 100 K)
                route = routes[block] = (
                    best_route(block, tokenizer.FREQ, log(tokenizer.total), self._log_p)
                    if RE_HAN.match(block)
                    else list(tokenizer.cut(block, HMM=False))
                )
            yield from route

    def cut_many(self, texts: Sequence[str]) -> list[list[str]]:
        """Segment many texts, each distinct block of CJK/alphanumeric characters once.

        jieba segments every block between punctuation on its own (``re_han_default`` splits the text
        first), so caching blocks gives exactly the tokens of :meth:`cut` (a test checks this). Form
        letters, quotes and stock phrases repeat whole clauses, so distinct blocks are far fewer than
        distinct texts (docs/benchmarks.md). Large inputs are split over
        the CPU cores with forked workers, which inherit this segmenter (dictionary and added words).
        """
        split = RE_HAN.split
        distinct = list(dict.fromkeys(texts))
        pieces = [[b for b in split(t) if b] for t in distinct]
        blocks = list(dict.fromkeys(b for parts in pieces for b in parts))
        workers = fork_workers()
        if sum(map(len, blocks)) >= PARALLEL_MIN_CHARS and workers > 1:
            chunk = -(-len(blocks) // (workers * 4))
            parts = [blocks[i : i + chunk] for i in range(0, len(blocks), chunk)]
            results = [tokens for part in fork_map(self._cut_blocks, parts, workers) for tokens in part]
        else:
            results = self._cut_blocks(blocks)
        cache = dict(zip(blocks, results, strict=True))
        by_text = {t: [w for b in parts for w in cache[b]] for t, parts in zip(distinct, pieces, strict=True)}
        return [by_text[t] for t in texts]

    def _cut_blocks(self, blocks: list[str]) -> list[list[str]]:
        return [self.cut(b) for b in blocks]


_SEGMENTER: Segmenter | None = None
_SEGMENTER_LOCK = threading.Lock()


def segmenter() -> Segmenter:
    """The process-wide segmenter, initialised on first use (loading the dictionary is the slow part)."""
    global _SEGMENTER
    with _SEGMENTER_LOCK:
        if _SEGMENTER is None:
            _SEGMENTER = Segmenter()
        return _SEGMENTER


__all__ = ["Segmenter", "segmenter"]
