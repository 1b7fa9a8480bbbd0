"""Pausing Python's cyclic garbage collector while building large, long-lived structures.

Loading a 100k-entry manifest or a 100k-video listing allocates millions of objects that
all survive; the collector would walk them again and again for nothing (a third of the
time at that scale). Reference counting still frees everything that is not a cycle.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block, restoring its previous state after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
