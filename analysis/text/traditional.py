"""Simplified→Traditional script with OpenCC, skipped for texts with no Simplified-only character."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Protocol

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class _Converter(Protocol):
    """What is used of ``opencc.OpenCC`` (the package has no type information)."""

    split_chars_re: re.Pattern[str]

    def convert(self, text: str) -> str: ...


@lru_cache(maxsize=1)
def _s2t() -> tuple[_Converter, frozenset[str], re.Pattern[str]]:
    """The OpenCC Simplified→Traditional converter, the characters that only occur in Simplified text,
    and a pattern finding those of them in the Basic Multilingual Plane (see :func:`_has_simplified_only`)."""
    import opencc
    from opencc import OpenCC

    converter: _Converter = OpenCC("s2t")
    table = Path(str(opencc.__file__)).with_name("dictionary") / "STCharacters.txt"
    simplified_only: set[str] = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if source and source not in targets.split():
            simplified_only.add(source)
    basic = _character_class(c for c in simplified_only if c <= "\uffff")
    return converter, frozenset(simplified_only), basic


def load_converter() -> None:
    """Load the converter now (before forking workers, so that each inherits it loaded)."""
    _s2t()


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


def to_traditional(text: str) -> str:
    """Simplified→Traditional with OpenCC, skipped (fast path) when no Simplified-only character occurs."""
    if not _has_simplified_only(text):
        return text
    converter = _s2t()[0]
    # OpenCC converts each clause between its separators on its own (``OpenCC.convert`` splits on
    # ``split_chars_re``): converting the clauses one by one, each distinct clause once, gives the same
    # text. Comments repeat clauses (quotes, stock phrases), so each distinct clause is converted once
    # (a third of the time: docs/benchmarks.md).
    parts = converter.split_chars_re.split(text)
    parts[::2] = map(_clause_to_traditional, parts[::2])
    return "".join(parts)


@lru_cache(maxsize=1 << 16)
def _clause_to_traditional(clause: str) -> str:
    return str(_s2t()[0].convert(clause))


__all__ = ["load_converter", "to_traditional"]
