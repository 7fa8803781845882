"""Publishing a report folder: the report owns only the files it wrote, and replaces them in one step.

``data/report.json`` (written last) is the report's manifest: it lists every file of the report
(``files``). ``--out`` is accepted when the folder is new, empty, or holds only the files of an earlier
report (its manifest present and every entry in the folder listed in it); anything else is refused, naming
the first foreign entry, before anything is written. A symlink is followed: the link stays, its target is
updated.

Two ways to put the new report in place, both leaving no staging folder behind on any exit path:

- **swap** (the usual case): the new folder is built as a hidden sibling ``.<name>.building-<pid>`` (same
  file system, so ``rename`` is atomic) and exchanged with the old one by ``renameat2`` (``RENAME_EXCHANGE``,
  Linux; elsewhere the old folder is moved aside and the new one renamed in, a moment with no folder but
  never a half-written one). A build killed at any moment leaves the previous report or the new one.
- **in place**, when the folder cannot be swapped as a whole: it is the working directory (or holds it), a
  mount point (a container volume), or its parent is not writable. The report is built in
  ``<out>/.joinfeedback-building-<pid>`` and each file is renamed over its old version (each file atomic, the
  report as a whole not); the manifest lists the old and the new files until the old ones are deleted, so a
  killed update is still a folder the next build accepts and completes.

Leftovers of killed builds (either kind) are removed by the next build.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from base.display import printable
from base.errors import UserError

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
MARKER = Path("data") / "report.json"  # written last: the manifest of a finished report
FOLDERS = ("commitments", "consultations", "briefs", "data")  # every build makes them, even when empty
IN_PLACE_PREFIX = ".joinfeedback-building-"
# The names a report gives its files: pages, commitment and consultation pages, briefs, data tables. A
# manifest entry of any other name (a hand-edited manifest listing a user's notes) is not the report's.
REPORT_FILE = re.compile(
    r"[a-z][a-z0-9_-]*\.html"
    r"|commitments/c-[a-z0-9-]+\.html"
    r"|consultations/p-[a-z0-9-]+\.html"
    r"|briefs/c-[a-z0-9-]+\.(?:md|pdf)"
    r"|data/[a-z0-9][a-z0-9_-]*\.(?:csv|json)"
)


@dataclass
class Target:
    """Where a report goes, checked: ``folder`` is the real folder (symlinks followed)."""

    given: Path
    folder: Path
    owned: frozenset[str]  # files of the earlier report, relative POSIX paths (the manifest included)
    in_place: bool
    staging: Path = field(default=Path())


def _sibling(folder: Path, role: str) -> Path:
    return folder.parent / f".{folder.name}.{role}-{os.getpid()}"


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
    folder = Path(os.path.realpath(out_dir))
    candidates: list[tuple[Path, str]] = []
    sibling = re.compile(rf"^\.{re.escape(folder.name)}\.(?:building|old)-(\d+)$")
    inside = re.compile(rf"^{re.escape(IN_PLACE_PREFIX)}(\d+)$")
    for parent, pattern in ((folder.parent, sibling), (folder, inside)):
        if parent.is_dir():
            with contextlib.suppress(OSError):
                candidates += [
                    (path, pattern.pattern) for path in parent.iterdir() if pattern.match(path.name)
                ]
    removed: list[Path] = []
    for path, regex in candidates:
        match = re.match(regex, path.name)
        if match and path.is_dir() and not path.is_symlink() and not _alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _safe_relative(name: object) -> str | None:
    """A manifest entry as a relative POSIX path inside the folder, or ``None`` if it is not one."""
    if not isinstance(name, str) or not name or "\\" in name or "\x00" in name:
        return None
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in {"", ".", ".."} for part in path.parts):
        return None
    return path.as_posix()


def read_manifest(folder: Path) -> frozenset[str] | None:
    """The files an earlier report in ``folder`` wrote (its manifest included); ``None`` when it holds none.

    Reports written before the manifest had ``files`` list their pages and tables; their briefs follow from
    the commitment pages. An entry whose name is not one a report gives its files (``REPORT_FILE``) is not
    taken for the report's: the folder is then refused, naming it, rather than the file deleted.
    """
    marker = folder / MARKER
    if not marker.is_file() or marker.is_symlink():
        return None
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    names: list[object]
    if isinstance(data.get("files"), list):
        names = list(data["files"])
    elif isinstance(data.get("pages"), list) and isinstance(data.get("tables"), list):
        pages, tables = data["pages"], data["tables"]
        names = [*pages, *tables]
        names += [t[: -len(".csv")] + ".json" for t in tables if isinstance(t, str) and t.endswith(".csv")]
        for page in pages:
            if isinstance(page, str) and page.startswith("commitments/") and page.endswith(".html"):
                stem = page[len("commitments/") : -len(".html")]
                names += [f"briefs/{stem}.md", f"briefs/{stem}.pdf"]
    else:
        return None
    safe = [_safe_relative(name) for name in names]
    if any(name is None for name in safe):
        return None
    return frozenset([*(name for name in safe if name and REPORT_FILE.fullmatch(name)), MARKER.as_posix()])


def first_foreign(folder: Path, owned: frozenset[str]) -> str | None:
    """The first entry of ``folder`` (sorted, depth first) that is not the report's own; ``None`` if none."""
    # a folder without a manifest owns nothing: not even an empty data/
    owned_dirs = (set(FOLDERS) if owned else set()) | {
        PurePosixPath(name).parents[i].as_posix()
        for name in owned
        for i in range(len(PurePosixPath(name).parents) - 1)
    }

    def walk(directory: Path, prefix: str) -> str | None:
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            relative = f"{prefix}{entry.name}"
            if not prefix and entry.name.startswith(IN_PLACE_PREFIX):
                continue  # a build's own staging folder (removed when its process is gone)
            if entry.is_dir(follow_symlinks=False):
                if relative not in owned_dirs:
                    return relative + "/"
                found = walk(Path(entry.path), relative + "/")
                if found:
                    return found
            elif relative not in owned:
                return relative
        return None

    return walk(folder, "")


def check_target(out_dir: Path) -> Target:
    """Refuse a target that is a file, or a folder holding anything an earlier report did not write."""
    folder = Path(os.path.realpath(out_dir))
    if folder.exists() and not folder.is_dir():
        raise UserError(f"report folder {out_dir} exists and is not a folder")
    owned: frozenset[str] = frozenset()
    if folder.is_dir():
        try:
            owned = read_manifest(folder) or frozenset()
            foreign = first_foreign(folder, owned)
        except OSError as exc:
            raise UserError(f"cannot read report folder {out_dir}: {exc.strerror}") from exc
        if foreign is not None:
            what = "holds no earlier report" if not owned else "holds files the earlier report did not write"
            raise UserError(
                f"report folder {out_dir} {what} (first: {foreign}): choose a new or empty folder; "
                "nothing was changed"
            )
    return Target(out_dir, folder, owned, in_place=folder.is_dir() and _unswappable(folder))


def _unswappable(folder: Path) -> bool:
    """Whether ``folder`` cannot be exchanged as a whole: a mount point, or the working directory's."""
    if os.path.ismount(folder):
        return True
    with contextlib.suppress(OSError):
        cwd = Path.cwd().resolve()
        if cwd == folder or folder in cwd.parents:
            return True
    return not os.access(folder.parent, os.W_OK | os.X_OK)


def prepare(out_dir: Path) -> Target:
    """Check ``out_dir`` and make a fresh staging folder for the build (see the module docstring)."""
    remove_leftovers(out_dir)
    target = check_target(out_dir)
    if not target.in_place:
        target.staging = _sibling(target.folder, "building")
        try:
            target.folder.parent.mkdir(parents=True, exist_ok=True)
            target.staging.mkdir()
        except OSError as exc:
            if not target.folder.is_dir():
                raise UserError(f"cannot create report folder {out_dir}: {exc.strerror}") from exc
            target.in_place = True  # the parent is not ours to write: update the folder's files instead
    if target.in_place:
        target.staging = target.folder / f"{IN_PLACE_PREFIX}{os.getpid()}"
        shutil.rmtree(target.staging, ignore_errors=True)
        try:
            target.staging.mkdir()
        except OSError as exc:
            raise UserError(f"cannot write into report folder {out_dir}: {exc.strerror}") from exc
    return target


def list_files(staging: Path) -> list[str]:
    """Every file under ``staging`` as a sorted relative POSIX path (what the manifest lists)."""
    return sorted(path.relative_to(staging).as_posix() for path in staging.rglob("*") if path.is_file())


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


def publish(target: Target) -> None:
    """Put the finished build in place; delete the earlier report's files and nothing else."""
    try:
        if target.in_place:
            _publish_in_place(target)
        else:
            _publish_swap(target)
    except OSError as exc:
        raise UserError(f"cannot publish the report into {target.given}: {exc.strerror}") from exc
    finally:
        discard(target.staging)


def _publish_swap(target: Target) -> None:
    folder, staging = target.folder, target.staging
    if not folder.exists():
        staging.rename(folder)
        return
    with contextlib.suppress(OSError):
        os.chmod(staging, folder.stat().st_mode & 0o7777)  # keep the folder's permissions (web servers)
    if _exchange(staging, folder):
        previous = staging  # now holds the earlier report
    else:
        previous = _sibling(folder, "old")
        folder.rename(previous)
        staging.rename(folder)
    foreign = first_foreign(previous, target.owned)
    if foreign is None:
        shutil.rmtree(previous, ignore_errors=True)
        return
    # something was put into the folder while the report was being built: keep it, under a name no
    # build deletes, and say so
    kept = folder.parent / f"{folder.name}.kept-{os.getpid()}"
    previous.rename(kept)
    print(
        printable(
            f"report: {target.given} received {foreign} during the build; "
            f"the earlier folder is kept as {kept}"
        ),
        file=sys.stderr,
    )


def _publish_in_place(target: Target) -> None:
    folder, staging = target.folder, target.staging
    new_files = list_files(staging)
    marker = MARKER.as_posix()
    # while files are being replaced, the manifest lists old and new: a killed update is still our folder
    interim = staging / ".manifest.json"  # same file system as the folder: the rename is atomic
    interim.write_text(
        json.dumps({"files": sorted((set(target.owned) | set(new_files)) - {marker})}), encoding="utf-8"
    )
    (folder / MARKER).parent.mkdir(exist_ok=True)
    os.replace(interim, folder / MARKER)
    for name in [*(n for n in new_files if n != marker), marker]:
        destination = folder / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / name, destination)
    for name in sorted(set(target.owned) - set(new_files)):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    for name in sorted({str(PurePosixPath(n).parent) for n in target.owned} - {"."}, reverse=True):
        with contextlib.suppress(OSError):
            if name not in FOLDERS:
                (folder / name).rmdir()  # only when empty


def discard(staging: Path) -> None:
    if staging != Path() and staging.is_dir() and not staging.is_symlink():
        shutil.rmtree(staging, ignore_errors=True)


__all__ = [
    "MARKER",
    "Target",
    "check_target",
    "discard",
    "first_foreign",
    "list_files",
    "prepare",
    "publish",
    "read_manifest",
    "remove_leftovers",
]
