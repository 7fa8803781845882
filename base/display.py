"""What may reach a terminal, a log or a file a user shares: no secrets, and one printable line per message.

``redact`` hides passwords in any text that may hold a URL or DSN: the userinfo password (whatever its
characters), secret-looking query parameters, the userinfo of a Redis URL, and every password registered
with ``register_secrets`` (the configured URLs' own, so that a password a database driver quotes without
its URL is hidden too). ``printable`` escapes control characters and bidirectional overrides, so that
an echoed id, key or path can neither forge a second line nor drive the terminal. ``for_display`` does both.
Every message, log line, summary, ``status``, ``config`` line, crawl run's stored site and the run manifest
shown in the report go through them.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

MASK = "***"
SECRET_QUERY_KEYS = ("password", "passwd", "pass", "pwd", "secret", "token", "key")
# Registered secrets shorter than this are masked only where they stand in a URL: replacing every "ab" of a
# message would make it unreadable and hide nothing worth hiding.
_MIN_LITERAL = 4

_registered: set[str] = set()

# scheme://user:password@host — the password may hold any character but a line break; the userinfo ends at
# the last "@" that is followed by a host (no space, quote or "@" up to the end of the authority).
_USERINFO = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s'\"<>]*:)(?P<password>[^\n]*?)@(?=[^@\s'\"<>/]*(?:[/?#\s'\"<>]|$))"
)
# redis://secret@host: redis-py takes a lone userinfo as the password
_REDIS_LONE = re.compile(r"(?P<head>\brediss?://)(?P<password>[^:@/\s'\"<>]+)@")
_QUERY = re.compile(
    r"(?P<head>[?&;](?:[\w.\-]*?)(?:" + "|".join(SECRET_QUERY_KEYS) + r")=)(?P<value>[^&#\s'\"<>]+)",
    re.IGNORECASE,
)
# Cf: format characters (bidi embeddings/overrides/isolates, zero-width joiners, BOM); Zl/Zp: line breaks
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# The characters _escape changes: the bidi controls and the categories Cc (C0, DEL, C1), Zl and Zp, which
# are fixed in Unicode (a test checks the class against unicodedata on every code point).
_ESCAPED = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + "".join(sorted(_BIDI)) + "]")


def secrets_of(url: str) -> list[str]:
    """The passwords a URL or DSN holds (userinfo and secret query parameters), raw and percent-decoded."""
    found: list[str] = []
    scheme, sep, rest = url.partition("://")
    if sep:
        authority = re.split(r"[?#]", rest, maxsplit=1)[0]
        userinfo, at, _host = authority.rpartition("@")
        if at:
            if ":" in userinfo:
                found.append(userinfo.split(":", 1)[1])
            elif scheme.lower().startswith("redis"):
                found.append(userinfo)
    found += [match.group("value") for match in _QUERY.finditer(url)]
    variants = {variant for secret in found if secret for variant in (secret, unquote(secret))}
    # a URL parser that stops at a delimiter inside the password quotes the piece before it
    variants |= {piece for variant in variants for piece in re.split(r"[/?#@:\s]", variant)}
    # one that ends the password at its first unencoded "@" takes the rest for the host, and a driver then
    # quotes that host ("failed to resolve host 'ab@db'"): each such tail, with its "@", is a secret too
    variants |= {
        variant[at + 1 :] + "@" for variant in set(variants) for at, ch in enumerate(variant) if ch == "@"
    }
    return sorted(v for v in variants if v and v != "@")


def register_secrets(*urls: str | None) -> None:
    """Remember the passwords of these URLs, to hide them wherever they appear later."""
    for url in urls:
        if url:
            # a tail ending in "@" stands where a host begins: short as it may be, it is the password's
            _registered.update(s for s in secrets_of(url) if len(s) >= _MIN_LITERAL or s.endswith("@"))


def redact(text: str) -> str:
    """``text`` with every password it holds replaced by ``***`` (see the module docstring)."""
    text = _USERINFO.sub(lambda m: m.group("head") + MASK + "@", text)
    text = _REDIS_LONE.sub(lambda m: m.group("head") + MASK + "@", text)
    text = _QUERY.sub(lambda m: m.group("head") + MASK, text)
    for secret in sorted(_registered, key=len, reverse=True):
        text = text.replace(secret, MASK + "@" if secret.endswith("@") else MASK)
    return text


def printable(text: str) -> str:
    """One printable line: control characters, line breaks and bidi controls become visible escapes."""
    if _ESCAPED.search(text) is None:  # nearly always: one scan instead of a call per character
        return text
    return "".join(_escape(ch) for ch in text)


def _escape(ch: str) -> str:
    if ch == "\\":
        return ch
    if ch in _BIDI or unicodedata.category(ch) in {"Cc", "Zl", "Zp"}:
        code = ord(ch)
        if code < 0x100:
            return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\x{code:02x}")
        return f"\\u{code:04x}"
    return ch


def for_display(text: str) -> str:
    """``redact`` then ``printable``: what a one-line message may show of any value."""
    return printable(redact(text))


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a character ``printable`` would escape (ids must not)."""
    return printable(text) != text


__all__ = [
    "MASK",
    "for_display",
    "has_control_characters",
    "printable",
    "redact",
    "register_secrets",
    "secrets_of",
]
