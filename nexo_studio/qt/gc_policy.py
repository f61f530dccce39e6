"""Garbage collection that does not stall the GUI thread.

CPython's cyclic collector runs on whichever thread allocates when a threshold is crossed, and
holds the GIL for the whole pass: a full (generation 2) pass over a loaded 2,000-migration
project, Qt's wrappers, SQLAlchemy and sqlglot took ~145 ms, a frozen window in the middle of
building the graph (``benchmarks/gui_responsiveness.py``). Those objects are long-lived, so after
each load they are moved out of the collector's way (:func:`gc.freeze`); automatic passes then scan
only what was made since. What the frozen objects leave behind in reference cycles (most garbage
is freed by reference counting and never needs the collector) is reclaimed by :func:`reclaim`,
which the window calls while nothing runs and only once the frozen set has grown enough to be
worth one full pass.
"""

from __future__ import annotations

import gc

#: reclaim once the frozen set has grown by this factor since the last full pass
GROWTH = 2.0
_after_full = 0


def settle() -> None:
    """Everything alive now is long-lived (called after a load, on the worker, and once at
    start-up): collect the young generations (a few ms), then freeze the survivors."""
    gc.collect(1)
    gc.freeze()


def reclaim(force: bool = False) -> bool:
    """One full pass over everything, then freeze again, if the frozen set has grown enough
    (or ``force``). Returns whether it ran. Call it only when idle: it is the one long pass."""
    global _after_full
    if not force and gc.get_freeze_count() < max(_after_full * GROWTH, 200_000):
        return False
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _after_full = gc.get_freeze_count()
    return True


def release() -> None:
    """A window closed: what it froze goes back to the collector (its next full pass frees what
    is garbage now), so a process opening many windows in turn (the tests) does not grow."""
    global _after_full
    gc.unfreeze()
    _after_full = 0
