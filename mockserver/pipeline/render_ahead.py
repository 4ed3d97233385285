"""Async jobs rendered as they are created, so the poll that finds one ready answers at once.

The live API works on a job while the client waits between polls; a mock that
renders only when a poll finds the job ready makes that poll as slow as a
synchronous call. A small pool per worker process (``Config.render_ahead_threads``;
0 turns it off) renders each new job in the background and keeps the result in
the store, where every worker's poll finds it. The 202 count and ``job_seconds``
do not change: they decide when a poll may see the result, not when it is made.

A poll that arrives before the render is done waits for it in the process that
started it, and renders the job itself in another worker (rendering is
deterministic, so both make the same bytes). Jobs planned to fail or never to
finish are not rendered ahead; nor is anything past a short queue, so a burst of
uploads cannot hold more than a few images in memory.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING

from mockserver.imaging import RenderedImage
from mockserver.models import FAIL, Job, Renderer
from mockserver.util.pool import BoundedPool

if TYPE_CHECKING:
    from mockserver.store import Store

log = logging.getLogger("stability_mock")

#: Jobs waiting for a render thread, per thread, before new ones are left to their poll.
QUEUE_PER_THREAD = 4


class RenderAhead:
    """One process's pool of render threads and the renders it has in hand."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.pool = BoundedPool(threads, threads * QUEUE_PER_THREAD, "stability-mock-render")
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._in_hand: dict[str, Future[RenderedImage]] = {}

    def submit(self, store: Store, job: Job, image: bytes, render: Renderer, *, max_bytes: int | None) -> bool:
        """Start rendering ``job`` in the background; ``False`` when it is left to the poll."""
        if job.plan.outcome == FAIL or job.plan.pending_polls is None:
            return False
        rendered: Future[RenderedImage] = Future()
        task = self.pool.submit(_render_and_keep, store, job, image, render, max_bytes, rendered)
        if task is None:
            return False
        with self._lock:
            if self._pid != os.getpid():  # a forked worker starts with none in hand
                self._pid, self._in_hand = os.getpid(), {}
            self._in_hand[job.id] = rendered
        # Added after the render is registered: a render already over forgets it at once.
        task.add_done_callback(lambda _: self._done(job.id, rendered))
        return True

    def close(self) -> None:
        """Stop the render threads (see :meth:`BoundedPool.close`); a job not rendered yet is left to its poll."""
        self.pool.close()

    def wait_for(self, job_id: str) -> RenderedImage | None:
        """The result of a render this process has in hand for ``job_id``, once done; else ``None``."""
        with self._lock:
            future = self._in_hand.get(job_id) if self._pid == os.getpid() else None
        if future is None:
            return None
        try:
            return future.result()
        except Exception:  # Logged by the render thread; the poll renders the job itself.
            return None

    def _done(self, job_id: str, rendered: Future[RenderedImage]) -> None:
        """The render and its keeping are over; a render that never ran leaves its poll to render."""
        rendered.cancel()
        with self._lock:
            self._in_hand.pop(job_id, None)


def _render_and_keep(
    store: Store, job: Job, image: bytes, render: Renderer, max_bytes: int | None, rendered: Future[RenderedImage]
) -> None:
    """Render, hand the result to a poll waiting in this process, then keep it in the store.

    The waiting poll answers while the result is written (a megabyte into SQLite
    took a tenth of an async job's overhead); until it is kept, this process's
    polls find it here and another worker's poll renders the job itself, as it
    would before the render was done.
    """
    try:
        result = render(job.operation_id, image, job.order)
    except Exception as exc:
        log.warning("rendering job %s ahead of its poll failed", job.id, exc_info=True)
        rendered.set_exception(exc)
        return
    rendered.set_result(result)
    try:
        store.save_result(job.id, result, max_bytes=max_bytes)
    except Exception:
        # The job may have been reset or purged meanwhile, or the store be away: its next
        # poll (if any) renders it again and answers whatever error is due then.
        log.warning("keeping job %s rendered ahead of its poll failed", job.id, exc_info=True)


__all__ = ["RenderAhead"]
