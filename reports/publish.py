"""Publishing a report folder atomically: build beside it, then swap it into place in one step.

A build killed at any moment (``kill -9``, power switch aside) leaves either the previous report or the new
one at ``out_dir``, never a mixture or a half-written ``index.html``. The new folder is built as a hidden
sibling (same file system, so ``rename`` is atomic), then exchanged with the old one by ``renameat2``
(``RENAME_EXCHANGE``, Linux); elsewhere the old folder is moved aside and the new one renamed in, which
leaves a moment with no folder at all but still never a half-written one. Leftovers of killed builds are
removed by the next build.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import re
import shutil
from pathlib import Path

from joinfeedback.errors import UserError

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
MARKER = Path("data") / "report.json"  # written last: a folder with it is a finished report


def _sibling(out_dir: Path, role: str) -> Path:
    return out_dir.parent / f".{out_dir.name}.{role}-{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(out_dir: Path) -> list[Path]:
    """Delete staging folders of builds whose process is gone; returns what was removed."""
    pattern = re.compile(rf"^\.{re.escape(out_dir.name)}\.(?:building|old)-(\d+)$")
    removed: list[Path] = []
    if not out_dir.parent.is_dir():
        return removed
    for path in out_dir.parent.iterdir():
        match = pattern.match(path.name)
        if match and path.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def check_target(out_dir: Path) -> None:
    """Refuse a target that is a file, or a non-empty folder that is not an earlier report (we replace it)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"report folder {out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
        raise UserError(
            f"report folder {out_dir} is not empty and holds no earlier report: "
            "choose a new or empty folder (the report replaces the folder's contents)"
        )


def staging_dir(out_dir: Path) -> Path:
    """A fresh hidden sibling of ``out_dir`` to build into."""
    remove_leftovers(out_dir)
    staging = _sibling(out_dir, "building")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir(parents=True)
    except OSError as exc:
        raise UserError(f"cannot create report folder {out_dir}: {exc.strerror}") from exc
    return staging


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2``); ``False`` when the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def publish(staging: Path, out_dir: Path) -> None:
    """Put the finished ``staging`` folder at ``out_dir`` in one step and delete the previous report."""
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    if _exchange(staging, out_dir):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the previous report
        return
    old = _sibling(out_dir, "old")
    out_dir.rename(old)
    staging.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)


def discard(staging: Path) -> None:
    with contextlib.suppress(OSError):
        shutil.rmtree(staging)


__all__ = ["MARKER", "check_target", "discard", "publish", "remove_leftovers", "staging_dir"]
