"""analysis/text/vector_cache.py: sentence vectors on disk, read back row by row without loading
every shard."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from analysis.text import vector_cache
from analysis.text.vector_cache import VectorCache


def _keys(n: int, start: int = 0) -> list[bytes]:
    return [hashlib.sha256(str(i).encode()).digest() for i in range(start, start + n)]


def _vectors(n: int, start: int = 0) -> np.ndarray:
    return np.arange(start * 4, (start + n) * 4, dtype=np.float32).reshape(n, 4)


def test_rows_come_back_from_several_shards_in_the_order_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vector_cache, "READ_BLOCK_ROWS", 3)  # several blocks per shard
    cache = VectorCache(tmp_path, "test", 4)
    cache.add(_keys(10), _vectors(10))
    cache.add(_keys(7, 10), _vectors(7, 10))
    wanted = [15, 2, 9, 0, 16, 3, 11, 4]
    asked = [_keys(1, i)[0] for i in wanted] + [b"x" * 32]
    out = np.full((len(asked), 4), -1.0, dtype=np.float32)
    found = VectorCache(tmp_path, "test", 4).fill(asked, out)
    assert found.tolist() == [True] * len(wanted) + [False]
    assert np.array_equal(out[:-1], _vectors(17)[wanted])
    assert (out[-1] == -1).all()  # a missing key leaves its row alone


def test_a_damaged_shard_is_never_trusted(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path, "test", 4)
    cache.add(_keys(5), _vectors(5))
    cache.add(_keys(5, 5), _vectors(5, 5))
    vectors_files = sorted(tmp_path.glob("test-*.vectors.npy"))
    vectors_files[0].write_bytes(vectors_files[0].read_bytes()[:-20])  # cut short after listing
    out = np.zeros((10, 4), dtype=np.float32)
    found = VectorCache(tmp_path, "test", 4).fill(_keys(10), out)
    assert found.sum() == 5  # the other shard answers; the cut one's keys are to be encoded again
    (tmp_path / "test-junk.keys.npy").write_bytes(b"not numpy")
    assert VectorCache(tmp_path, "test", 4).fill(_keys(10), out).sum() == 5


def test_small_shards_are_merged_into_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vector_cache, "MERGE_SMALL_SHARDS", 3)
    cache = VectorCache(tmp_path, "test", 4)
    for start in range(0, 12, 3):
        cache.add(_keys(3, start), _vectors(3, start))
    assert len(list(tmp_path.glob("test-*.keys.npy"))) == 4
    cache.merge_small_shards()
    assert len(list(tmp_path.glob("test-*.keys.npy"))) == 1
    assert len(list(tmp_path.glob("test-*.vectors.npy"))) == 1
    out = np.zeros((12, 4), dtype=np.float32)
    assert cache.fill(_keys(12), out).all()
    assert np.array_equal(out, _vectors(12))


def test_an_unwritable_folder_only_costs_speed(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would go")
    cache = VectorCache(blocker / "cache", "test", 4)
    cache.add(_keys(2), _vectors(2))
    assert not cache.fill(_keys(2), np.zeros((2, 4), dtype=np.float32)).any()
