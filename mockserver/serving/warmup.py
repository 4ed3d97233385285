"""Start-up work left for later, done in the background once a worker has answered its first request.

A worker answers its first plainly valid request without openapi-core (see
:mod:`mockserver.openapi.engine`), but the first request it refuses would wait
~0.4 s for it to be imported and built. Building it in a thread as soon as the
worker starts would slow that first request instead (about 2x for a fast 64²
upload, measured in-process): both hold the GIL in turn, and they may meet on
the import lock. So the thread starts once the first request has been answered
and none is running, or after :data:`IDLE_SECONDS` without any (a client that
starts the mock usually sends its first request at once), or at the latest
after :data:`AT_MOST_SECONDS` of unbroken traffic. A request that needs
openapi-core before the build is done waits for it, or builds it itself if it
came first (:class:`mockserver.util.deferred.Deferred`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("stability_mock")

#: How long a worker with no request at all waits before it starts the background work.
IDLE_SECONDS = 0.2
#: How long the background work waits for a moment with no request running before it starts anyway.
AT_MOST_SECONDS = 2.0


class Traffic:
    """A WSGI app that counts its calls as they come and go, so that other work can wait for a lull."""

    def __init__(self, app: WSGIApplication, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self._clock = clock
        self._running = 0
        self._answered = 0
        self._changed = threading.Condition()
        #: Set once nobody waits for a lull any more: calls then go straight to the app, uncounted.
        self.done = False

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.done:
            return self.app(environ, start_response)
        with self._changed:
            self._running += 1
        try:
            return self.app(environ, start_response)
        finally:
            with self._changed:
                self._running -= 1
                self._answered += 1
                self._changed.notify_all()

    def wait_for_lull(self, idle: float, at_most: float) -> bool:
        """Block until no call runs and one was answered, or none came within ``idle`` seconds from now.

        ``False`` when ``at_most`` seconds passed first.
        """
        started = self._clock()
        deadline = started + at_most
        with self._changed:
            while True:
                now = self._clock()
                if self._running == 0 and (self._answered or now - started >= idle):
                    return True
                if now >= deadline:
                    return False
                wake = deadline if self._running or self._answered else min(deadline, started + idle)
                self._changed.wait(max(wake - now, 0.0))


def warm_after_first_answer(
    traffic: Traffic, work: Callable[[], Any], *, idle: float = IDLE_SECONDS, at_most: float = AT_MOST_SECONDS
) -> threading.Thread:
    """Run ``work()`` in a daemon thread once ``traffic`` has a lull (see the module's docstring)."""

    def run() -> None:
        lull = traffic.wait_for_lull(idle, at_most)
        traffic.done = True
        started = time.perf_counter()
        try:
            work()
        except Exception:
            # Not fatal: a request that needs it builds it, and answers the error if it fails again.
            log.exception("warm-up failed; it is retried when a request needs it")
            return
        log.debug("warmed up in %.3f s (%s)", time.perf_counter() - started, "in a lull" if lull else "busy")

    thread = threading.Thread(target=run, name="stability-mock-warm-up", daemon=True)
    thread.start()
    return thread


__all__ = ["AT_MOST_SECONDS", "IDLE_SECONDS", "Traffic", "warm_after_first_answer"]
