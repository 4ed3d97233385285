"""The cyclic garbage collector held off while the server starts.

A start builds ~68,000 objects the collector tracks, nearly all of them alive as
long as the process (modules, classes, the app): the collector's passes over them
as they piled up were ~30 ms of a cold start, and every worker would walk them
again. Python's recipe for a server that forks (see :func:`gc.freeze`): no
collections while starting, then what is alive frozen into the permanent
generation, which no later collection walks, so that the workers also keep
sharing those memory pages with the master. The price: the few reference cycles
start-up drops on the way (~540 objects) are frozen too, never freed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block without cyclic collections; what is alive at its end is frozen, never collected.

    A no-op if the collector was already off (an enclosing pause, or the embedding
    program's choice): only a pause that turned it off turns it back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


__all__ = ["collector_paused"]
