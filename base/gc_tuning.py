"""Python's cyclic garbage collector paused around work that makes many objects and no cycles (the analysis,
reading a run for a report)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (left as it was found afterwards).

    The analysis and a large report allocate millions of small containers (token lists, rows, decisions)
    and create almost no reference cycles: each automatic full collection walks every live object again for
    nothing (the 100 K benchmark is a sixth faster without it, same results: docs/benchmarks.md).
    Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


__all__ = ["gc_paused"]
