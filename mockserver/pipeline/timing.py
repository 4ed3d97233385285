"""How long an upload takes under the timing preset: production's times, scaled, with seeded jitter.

``timing: instant`` (the default) answers as soon as the mock can, which never
exercises a client's timeouts or poll intervals. ``timing: live`` makes each
upload take about what production took in a logged run of every endpoint on
2026-09-22, with a 512x512 input (``docs/LIVE-BATTERY-2026-09-22.md`` in the
public repository ``aself101/stability-ai-api``):

- fast: 5.1 s, synchronous;
- conservative: 28.4 s, synchronous (no byte until the image is ready);
- creative: 4.5 s until the submit's ``{id}``, the result ready 31.4 s and
  45.7 s after the submit in its two runs (read here as 31-46 s);
- polls of a result: at once (202 while pending), so they are not held.

Each time is drawn within ±10 % of its figure (creative's job within 31-46 s),
seeded by the request's own bytes (method, path and body, as the configured
jitter is), so the same request waits the same and a slow run replays exactly;
then multiplied by ``timing_scale``. How the profile serves an operation picks
its times: synchronous, its figure is the answer's; asynchronous, the submit
answers in creative's 4.5 s and the job is ready after the operation's figure
(conservative under the seed profile: 28.4 s). An operation without a figure of
its own is timed like fast when synchronous and like creative when asynchronous.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockserver.operations import CONSERVATIVE, CREATIVE, FAST
from mockserver.settings.runtime import DEFAULT_PENDING_POLLS, LIVE_TIMING

if TYPE_CHECKING:
    from mockserver.models import JobPlan
    from mockserver.settings.runtime import RuntimeSettings

#: How far a drawn time may stray from production's figure, either way.
JITTER = 0.10


def _around(seconds: float) -> tuple[float, float]:
    return (seconds * (1 - JITTER), seconds * (1 + JITTER))


#: Seconds from a request's arrival until its image exists, per operation (production, 2026-09-22).
IMAGE_SECONDS: dict[str, tuple[float, float]] = {
    FAST: _around(5.1),
    CONSERVATIVE: _around(28.4),
    CREATIVE: (31.0, 46.0),
}
#: Seconds until an asynchronous submit answers its ``{id}`` (creative's, the one measured).
SUBMIT_SECONDS = _around(4.5)


@dataclass(frozen=True)
class Timing:
    """How long one upload takes under ``timing: live``, scaled already."""

    #: From the request's arrival until its answer: the image (synchronous) or the ``{id}`` (a job).
    answer_seconds: float
    #: From the job's creation until its result may be ready; 0 for a synchronous call.
    job_seconds: float = 0.0

    def plan(self, plan: JobPlan) -> JobPlan:
        """The plan a job keeps under live timing: ready when its time has passed.

        Time decides, so ``pending_polls`` is 0 unless the settings or a staged
        job fault set another number than the default 1 (or ``None``: never
        finishes). ``job_seconds`` set there is a minimum age, as is the live
        time: the job waits for the longer of the two.
        """
        polls = 0 if plan.pending_polls == DEFAULT_PENDING_POLLS else plan.pending_polls
        return dataclasses.replace(plan, pending_polls=polls, job_seconds=max(plan.job_seconds, self.job_seconds))

    def hold_seconds(self, *, started: float, held: float, now: float) -> float:
        """How much longer the answer waits at ``now``; all three on the ``time.perf_counter()`` scale.

        The time counts from the request's arrival (``started``), so rendering
        counts toward it; ``held`` (what the configured latency and a staged
        fault held the call already) comes on top, as those add to any answer.
        """
        return max(0.0, started + held + self.answer_seconds - now)


def for_upload(
    settings: RuntimeSettings, operation_id: str, *, renders_at_once: bool, request_text: str, body: bytes
) -> Timing | None:
    """The times of one upload, or ``None`` under ``timing: instant`` (nothing waits).

    Args:
        settings: the runtime settings in force (``timing``, ``timing_scale``).
        operation_id: the upload's operation; one without a figure is timed as its kind is.
        renders_at_once: the profile serves the image in the answer (else a job to poll).
        request_text: the request's method and path, which with ``body`` seed the jitter.
        body: the request's body as sent.
    """
    if settings.timing != LIVE_TIMING:
        return None
    draw = random.Random(hashlib.sha256(request_text.encode("utf-8") + body).digest())
    fallback = FAST if renders_at_once else CREATIVE
    image = settings.timing_scale * draw.uniform(*IMAGE_SECONDS.get(operation_id, IMAGE_SECONDS[fallback]))
    if renders_at_once:
        return Timing(answer_seconds=image)
    return Timing(answer_seconds=settings.timing_scale * draw.uniform(*SUBMIT_SECONDS), job_seconds=image)


__all__ = ["IMAGE_SECONDS", "JITTER", "SUBMIT_SECONDS", "Timing", "for_upload"]
