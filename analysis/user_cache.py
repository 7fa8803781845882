"""The user's cache folder, where the analysis keeps what only saves time (dictionary, sentence vectors)."""

from __future__ import annotations

from pathlib import Path

from joinfeedback.config import cache_home


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/joinfeedback`` (default ``~/.cache/joinfeedback``): the user's own folder, not the
    shared temporary one, since what is cached there is read back with ``marshal`` and numpy."""
    return cache_home() / "joinfeedback"


__all__ = ["user_cache_dir"]
