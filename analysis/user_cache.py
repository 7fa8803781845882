"""The user's cache folder, where the analysis keeps what only saves time (dictionary, sentence vectors)."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/joinfeedback`` (default ``~/.cache/joinfeedback``): the user's own folder, not the
    shared temporary one, since what is cached there is read back with ``marshal`` and numpy."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "joinfeedback"


__all__ = ["user_cache_dir"]
