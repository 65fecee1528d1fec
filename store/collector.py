"""The cyclic garbage collector paused while an import makes millions of objects.

Records, parsed JSON and the rows an import writes hold no reference cycles, but as millions
of them are made the collector rescans them all again and again: pausing it more than halves
a 100 MB read and takes a tenth off folding and writing.  Memory is still freed as usual (by
reference counting); only the search for cycles waits.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block (nested use is fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
