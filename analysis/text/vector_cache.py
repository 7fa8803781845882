"""Sentence vectors on disk, keyed by the SHA-256 of their text: looked up without loading them all.

A shard is a pair of ``.npy`` files, ``NAME.keys.npy`` (the keys, ``S32``) and ``NAME.vectors.npy``
(float32 rows in the same order), each written under a temporary name and renamed, vectors first: a
shard counts once its keys are there, so a killed run leaves no half-written shard, only shards it had
finished. Lookups read only the keys of every shard; the rows asked for are then read from the vectors
files block by block, never the whole file at once nor through a memory map (whose touched pages
would count in the process's resident memory until the end of the run).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

KEY_BYTES = 32
READ_BLOCK_ROWS = 8192  # rows read from a vectors file at once (16 MB at 512 dimensions)
SMALL_SHARD_ROWS = 4096  # shards below this are merged into one once there are MERGE_SMALL_SHARDS of them
MERGE_SMALL_SHARDS = 16


class VectorCache:
    """The shards under ``folder`` whose names start with ``prefix``, with rows of ``dimensions``."""

    def __init__(self, folder: Path, prefix: str, dimensions: int) -> None:
        self.folder, self.prefix, self.dimensions = folder, prefix, dimensions
        self._index: tuple[np.ndarray, np.ndarray, np.ndarray, list[Path]] | None = None

    def _shards(self) -> list[tuple[Path, np.ndarray]]:
        """Each readable shard's vectors file and keys; an unreadable or mismatched shard is skipped."""
        if not self.folder.is_dir():
            return []
        found = []
        for keys_path in sorted(self.folder.glob(f"{self.prefix}-*.keys.npy")):
            vectors_path = keys_path.with_name(keys_path.name.removesuffix(".keys.npy") + ".vectors.npy")
            try:
                keys = np.load(keys_path)
                shape = _npy_shape(vectors_path)
            except (OSError, ValueError):
                continue  # never trusted: its texts are encoded again
            if keys.dtype == np.dtype(f"S{KEY_BYTES}") and shape == (len(keys), self.dimensions):
                found.append((vectors_path, keys))
        return found

    def _load_index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Path]]:
        """Every cached key sorted, with its shard number and row, and the shards' vectors files."""
        if self._index is None:
            shards = self._shards()
            paths = [path for path, _ in shards]
            if not shards:
                self._index = np.zeros(0, f"S{KEY_BYTES}"), np.zeros(0, np.int32), np.zeros(0, np.int64), []
                return self._index
            keys = np.concatenate([k for _, k in shards])
            shard = np.concatenate([np.full(len(k), i, np.int32) for i, (_, k) in enumerate(shards)])
            row = np.concatenate([np.arange(len(k), dtype=np.int64) for _, k in shards])
            order = np.argsort(keys, kind="stable")
            self._index = keys[order], shard[order], row[order], paths
        return self._index

    def fill(self, keys: Sequence[bytes], out: np.ndarray) -> np.ndarray:
        """Copy the cached vector of each key into its row of ``out``; return a mask of the rows filled."""
        cached, shard_of, row_of, paths = self._load_index()
        wanted = np.array(keys, dtype=f"S{KEY_BYTES}")
        found = np.zeros(len(wanted), dtype=bool)
        if not len(cached) or not len(wanted):
            return found
        at = np.minimum(np.searchsorted(cached, wanted), len(cached) - 1)
        found = np.asarray(cached[at] == wanted, dtype=bool)
        targets = np.flatnonzero(found)
        shards, rows = shard_of[at[targets]], row_of[at[targets]]
        for number, path in enumerate(paths):
            mine = shards == number
            if mine.any() and not _read_rows(path, rows[mine], targets[mine], out):
                found[targets[mine]] = False  # gone or damaged since it was listed: encode those again
        return found

    def add(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Write one shard; a folder that cannot be written only costs speed."""
        if not len(keys):
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f"{self.prefix}-{uuid.uuid4().hex}"
            _write_atomically(self.folder / f"{name}.vectors.npy", np.ascontiguousarray(vectors, np.float32))
            _write_atomically(self.folder / f"{name}.keys.npy", np.array(keys, dtype=f"S{KEY_BYTES}"))
        except OSError:
            return
        self._index = None

    def merge_small_shards(self) -> None:
        """Merge the small shards (a scheduled run adds a few texts at a time) into one once they are many."""
        small = [(path, keys) for path, keys in self._shards() if len(keys) < SMALL_SHARD_ROWS]
        if len(small) < MERGE_SMALL_SHARDS:
            return
        keys = np.concatenate([k for _, k in small])
        vectors = np.empty((len(keys), self.dimensions), dtype=np.float32)
        start = 0
        for path, part in small:
            if not _read_rows(path, np.arange(len(part)), np.arange(start, start + len(part)), vectors):
                return
            start += len(part)
        self.add(list(keys), vectors)
        for path, _ in small:
            for stale in (path.with_name(path.name.replace(".vectors.npy", ".keys.npy")), path):
                stale.unlink(missing_ok=True)  # keys first, so that no listed shard lacks its vectors
        self._index = None


def _npy_shape(path: Path) -> tuple[int, ...]:
    with path.open("rb") as f:
        shape, _, _ = _npy_header(f)
    return shape


def _npy_header(f: BinaryIO) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    return np.lib.format.read_array_header_2_0(f)


def _read_rows(path: Path, rows: np.ndarray, targets: np.ndarray, out: np.ndarray) -> bool:
    """``out[targets] = vectors[rows]`` from a vectors file, a block at a time; False if unreadable."""
    order = np.argsort(rows, kind="stable")
    rows, targets = rows[order], targets[order]
    width = out.shape[1]
    try:
        with path.open("rb") as f:
            shape, _, dtype = _npy_header(f)
            if dtype != np.float32 or len(shape) != 2 or shape[1] != width:
                return False
            offset = f.tell()
            begin = 0
            while begin < len(rows):
                # from the next wanted row to the last wanted row within READ_BLOCK_ROWS of it
                first = int(rows[begin])
                end = int(np.searchsorted(rows, min(first + READ_BLOCK_ROWS, shape[0])))
                last = int(rows[end - 1]) + 1
                f.seek(offset + first * width * 4)
                block = np.fromfile(f, dtype=np.float32, count=(last - first) * width)
                if block.size != (last - first) * width:
                    return False
                out[targets[begin:end]] = block.reshape(-1, width)[rows[begin:end] - first]
                begin = end
    except (OSError, ValueError):
        return False
    return True


def _write_atomically(path: Path, array: np.ndarray) -> None:
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as f:
        np.save(f, array, allow_pickle=False)
    partial.rename(path)


__all__ = ["VectorCache"]
