"""``--control``: differences seeded on purpose, to show the check sees a difference when there is one.

A drift check that reports nothing proves little unless it is known to report
something when the sides differ. The control run alters every answer of the
mock side in two known ways before the comparison (the status becomes a
thousand more, and a field ``drift_control`` appears in its JSON) and requires
both to be reported for every probe: a probe on which either goes unseen means
the comparison is blind there, and the run cannot be trusted (exit 2). The
seeded differences are reported like any other, marked seeded; no
known-differences entry accepts them, so a control run that works exits 1.
"""

from __future__ import annotations

import dataclasses

from mockserver.drift.client import Outcome
from mockserver.drift.compare import Difference, compare
from mockserver.drift.observe import Observation

#: The field the control run adds to every answer of the mock side.
SEEDED_FIELD = "drift_control"
#: Added to every status of the mock side: no real status is a thousand or more, so it always differs.
STATUS_SHIFT = 1000
#: The aspects (without a ``pending.``/``result.`` prefix) each probe's seeded differences must show on.
SEEDED_ASPECTS = ("status", f"field:{SEEDED_FIELD}")


def altered(outcome: Outcome) -> Outcome:
    """``outcome`` with every answer's status shifted and the seeded field added."""
    return Outcome(
        _altered(outcome.first),
        _altered(outcome.pending) if outcome.pending else None,
        _altered(outcome.result) if outcome.result else None,
        outcome.polls,
    )


def seeded_differences(probe: str, upstream: Outcome, mock: Outcome) -> tuple[list[Difference], list[str]]:
    """The real differences plus those the alterations added (marked seeded); and the seeded aspects not seen.

    An aspect that already differed is kept as the real difference; it still
    counts as seen, since the altered comparison reported it too.
    """
    real = compare(probe, upstream, mock)
    aspects = {difference.aspect for difference in real}
    altered_found = compare(probe, upstream, altered(mock))
    added = [dataclasses.replace(d, seeded=True) for d in altered_found if d.aspect not in aspects]
    missed = [aspect for aspect in SEEDED_ASPECTS if not any(_ends(d.aspect, aspect) for d in altered_found)]
    return real + added, missed


def _ends(aspect: str, wanted: str) -> bool:
    return aspect == wanted or aspect.endswith("." + wanted)


def _altered(observation: Observation) -> Observation:
    return dataclasses.replace(
        observation,
        status=observation.status + STATUS_SHIFT,
        fields={**observation.fields, SEEDED_FIELD: "string"},
    )


__all__ = ["SEEDED_ASPECTS", "SEEDED_FIELD", "STATUS_SHIFT", "altered", "seeded_differences"]
