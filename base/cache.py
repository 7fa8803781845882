"""The user's cache folder, where the analysis keeps what only saves time (dictionary, sentence vectors).

This is the one place outside ``joinfeedback.config`` that reads the environment, and it reads only
``XDG_CACHE_HOME``: the freedesktop convention every program on the machine shares, not a joinfeedback
setting, so the configuration has nothing to add to it and no caller needs to pass it down.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/joinfeedback`` (default ``~/.cache/joinfeedback``): the user's own folder, not the
    shared temporary one, since what is cached there is read back with ``marshal`` and numpy."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "joinfeedback"


__all__ = ["user_cache_dir"]
