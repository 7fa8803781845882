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


@contextmanager
def gc_frozen() -> Iterator[None]:
    """Every object alive now set aside from the cyclic collector for the block (``gc.freeze``), and given
    back to it afterwards.

    After a large report's content is read (with the collector paused), its millions of objects all wait in
    the youngest generation: the first collections while the pages are written would walk them all, and the
    full ones again (1 M items: writing 0.8–1.7 s, 0.1 s with them set aside). Objects made in the block are
    collected as usual (the PDF briefs make cycles).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


__all__ = ["gc_frozen", "gc_paused"]
