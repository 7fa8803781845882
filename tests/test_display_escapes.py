"""base/display.py: the one-scan check in ``printable`` finds exactly the characters it escapes."""

from __future__ import annotations

import sys

from base import display


def test_the_quick_check_matches_the_escapes_on_every_code_point() -> None:
    changed = [chr(c) for c in range(sys.maxunicode + 1) if display._escape(chr(c)) != chr(c)]
    found = [chr(c) for c in range(sys.maxunicode + 1) if display._ESCAPED.search(chr(c))]
    assert found == changed
    assert display.printable("一行\u202e字\n") == "一行\\u202e字\\n"
    assert display.printable("沒有控制字元 plain") == "沒有控制字元 plain"
