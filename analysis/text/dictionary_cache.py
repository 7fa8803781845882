"""jieba's prefix dictionary with the domain words added, cached on disk and read back in one call."""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Protocol

from analysis.text.lexicon import DICT_PATH, USERDICT_PATH
from base.cache import user_cache_dir

DICTIONARY_CACHE_VERSION = 1  # bump when what the cache holds changes


class Tokenizer(Protocol):
    """What segmentation uses of ``jieba.Tokenizer`` (jieba has no type information)."""

    FREQ: dict[str, int]
    total: int
    initialized: bool

    def initialize(self) -> None: ...

    def load_userdict(self, f: str) -> None: ...


def dictionary_cache_path() -> Path:
    """Where the loaded prefix dictionary is cached: named by both dictionaries' contents and jieba's version.

    A changed dictionary (or jieba) gets a new name, so a stale cache is never read; hashing the two
    files costs far less than building the dictionary.
    """
    import jieba

    digest = hashlib.sha256(f"jieba {jieba.__version__}, cache {DICTIONARY_CACHE_VERSION}".encode())
    for path in (DICT_PATH, USERDICT_PATH):
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return user_cache_dir() / f"jieba-{digest.hexdigest()[:24]}.marshal"


def load_dictionaries(tokenizer: Tokenizer) -> None:
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


__all__ = ["DICTIONARY_CACHE_VERSION", "Tokenizer", "dictionary_cache_path", "load_dictionaries"]
