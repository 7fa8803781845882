"""The one-line errors an import reports: always the file, then where in it, then what is wrong."""

from __future__ import annotations

import re

from base.display import has_control_characters, printable
from base.errors import UserError

_SURROGATE = re.compile("[\ud800-\udfff]")


class BadImportFile(UserError):
    """A file that cannot be imported; nothing has been written."""


def bad_file(label: str, where: str, what: str) -> BadImportFile:
    """``comments.csv: line 14: column "text" is empty`` (``where`` may be empty). One line, whatever the
    file's names and keys hold: line breaks and control characters in them are shown escaped."""
    middle = f"{where}: " if where else ""
    return BadImportFile(printable(f"{label}: {middle}{what}"))


def check_storable(label: str, where: str, name: str, value: str, *, max_chars: int | None = None) -> str:
    """Refuse text no database column can hold: NUL characters, lone surrogates, over-long values."""
    if "\x00" in value:
        raise bad_file(label, where, f"{name} contains a NUL character (is this a binary file?)")
    if _SURROGATE.search(value):
        raise bad_file(label, where, f"{name} contains an unpaired UTF-16 surrogate (\\ud800-\\udfff)")
    if max_chars is not None and len(value) > max_chars:
        raise bad_file(label, where, f"{name} is {len(value)} characters long, the limit is {max_chars}")
    return value


def check_identifier(label: str, where: str, name: str, value: str) -> str:
    """Refuse an id holding control characters, line breaks or bidi overrides: ids are echoed in messages,
    file names and reports, where such characters forge lines or reorder text."""
    if has_control_characters(value):
        raise bad_file(label, where, f"{name} contains a control or bidirectional character ({value!r})")
    return value
