"""The cyclic garbage collector held off while the server starts.

A start builds some 200,000 objects that live as long as the process (modules,
classes, the app): the collector's passes over them as they piled up were ~30 ms
of a cold start, and every worker would walk them again. Python's recipe for a
server that forks (see :func:`gc.freeze`): no collections while starting, then
the survivors frozen into the permanent generation, which no later collection
walks, so that the workers also keep sharing their memory pages with the master.
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
