"""Read a user's file and turn its bytes into text, or say exactly why that is impossible.

UTF-8 is the default. Byte-order marks are honoured (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE) and UTF-16
without a mark is recognised by its zero bytes, because spreadsheet programs on Windows write both.
Big5/cp950 (common in Taiwanese government exports) is never guessed silently: the error suggests
``--encoding big5`` or ``iconv``, since a wrong guess would store mojibake without anyone noticing.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from crawler.importing.problems import bad_file

MAX_FILE_BYTES = 512 * 1024 * 1024

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its little-endian mark starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True, slots=True)
class DecodedFile:
    """The raw bytes (kept as the RawPayload) and the text they hold."""

    raw: bytes
    text: str
    encoding: str


def read_bytes(path: Path, label: str) -> bytes:
    """The file's bytes, with one-line errors for a missing, special, unreadable or huge file."""
    try:
        if path.is_dir():
            raise bad_file(label, "", "is a directory, not a file")
        if not path.exists():
            raise bad_file(label, "", "no such file")
        if not path.is_file():
            raise bad_file(label, "", "is not a regular file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise bad_file(
                label, "", f"is {size / 2**20:.0f} MB, over the {MAX_FILE_BYTES // 2**20} MB import limit"
            )
        return path.read_bytes()
    except PermissionError:
        raise bad_file(label, "", "cannot be read (permission denied)") from None
    except OSError as exc:
        raise bad_file(label, "", f"cannot be read ({exc.strerror or exc})") from None


def _utf16_without_bom(raw: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the first bytes show the zero-byte pattern of ASCII in UTF-16."""
    sample = raw[:256]
    if len(sample) < 4 or len(sample) % 2:
        sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    pairs = len(sample) // 2
    zeros_even = sum(1 for i in range(0, len(sample), 2) if sample[i] == 0)
    zeros_odd = sum(1 for i in range(1, len(sample), 2) if sample[i] == 0)
    # A header or a JSON bracket is ASCII: one byte of each pair is zero in most pairs.
    if zeros_odd >= pairs * 0.6 and zeros_even <= pairs * 0.1:
        return "utf-16-le"
    if zeros_even >= pairs * 0.6 and zeros_odd <= pairs * 0.1:
        return "utf-16-be"
    return None


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _decode(raw: bytes, encoding: str, label: str, *, offset: int = 0) -> str:
    try:
        return raw[offset:].decode(encoding)
    except UnicodeDecodeError as exc:
        position = offset + exc.start
        bad = raw[position : position + min(4, exc.end - exc.start)].hex(" ")
        # Count lines in the decoded prefix: raw b"\n" counts would be wrong for UTF-16/32.
        line = raw[offset:position].decode(encoding, errors="replace").count("\n") + 1
        raise bad_file(label, f"line {line}", f"not valid {encoding} (bytes {bad}): {exc.reason}") from None


def decode(raw: bytes, label: str, *, encoding: str | None = None) -> DecodedFile:
    """Text of ``raw``: the given encoding, else a byte-order mark, else UTF-16 by pattern, else UTF-8."""
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise bad_file(
                label, "", f"unknown encoding {encoding!r} (try utf-8, big5, cp950, utf-16)"
            ) from None
        text = _decode(raw, codec, label)
        return DecodedFile(raw, text.removeprefix("\ufeff"), codec)
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return DecodedFile(raw, _decode(raw, codec, label, offset=len(bom)), codec)
    guessed = _utf16_without_bom(raw)
    if guessed:
        return DecodedFile(raw, _decode(raw, guessed, label), guessed)
    try:
        return DecodedFile(raw, raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        line = _line_of(raw, exc.start)
        bad = raw[exc.start : exc.start + 2].hex(" ")
        try:
            raw.decode("cp950")
        except UnicodeDecodeError:
            raise bad_file(
                label,
                f"line {line}",
                f"not valid UTF-8 (bytes {bad}); save the file as UTF-8, "
                "or name its encoding with --encoding",
            ) from None
        raise bad_file(
            label,
            f"line {line}",
            f"not valid UTF-8 (bytes {bad}) but valid Big5/cp950; convert it "
            f"with `iconv -f big5 -t utf-8 {label} > converted.csv` or pass --encoding big5",
        ) from None
