"""Copies as sample weights: an analysis works on distinct texts, each weighted by its number of copies."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def sample_counts(sample_weight: ArrayLike | None, n: int) -> np.ndarray:
    """Sample weights as non-negative integer counts (identical rows given once), ones by default."""
    if sample_weight is None:
        return np.ones(n, dtype=np.int64)
    weight = np.asarray(sample_weight)
    if weight.shape != (n,):
        raise ValueError(f"sample_weight needs one count per row of X ({n}), got shape {weight.shape}")
    counts = weight.astype(np.int64)
    if (counts != weight).any() or (counts < 0).any():
        raise ValueError("sample_weight must hold non-negative whole counts (copies of a row)")
    return counts


__all__ = ["sample_counts"]
