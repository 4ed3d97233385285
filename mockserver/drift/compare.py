"""Where the mock's answer to a probe differs from the upstream's, aspect by aspect, each with a severity.

A ``high`` difference breaks a client written against one side when it talks to
the other (another status, error name, media type, a field it reads missing, a
job where it expected an image); a ``low`` one changes what a person reads or a
careful client checks (error texts, a header, an extra field, output size).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockserver.drift.client import ASYNC, Outcome
from mockserver.drift.observe import Observation

HIGH = "high"
LOW = "low"


@dataclass(frozen=True)
class Difference:
    """One aspect of one probe on which the two sides disagree.

    ``aspect`` reads like ``status``, ``mode``, ``error.texts``, ``field:message``,
    ``header:finish-reason``, ``size``; prefixed ``pending.`` or ``result.`` for the
    poll sequence of a job. ``known`` is the reason from the known-differences file
    that accepts it, if one does.
    """

    probe: str
    aspect: str
    severity: str
    upstream: str
    mock: str
    known: str | None = None
    #: Put there by ``--control`` (:mod:`mockserver.drift.control`), not found between the two services.
    seeded: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "probe": self.probe,
            "aspect": self.aspect,
            "severity": self.severity,
            "upstream": self.upstream,
            "mock": self.mock,
            "known": self.known,
            "seeded": self.seeded,
        }


def compare(probe: str, upstream: Outcome, mock: Outcome) -> list[Difference]:
    """Every difference between the two sides' outcomes of ``probe``.

    When one side answers an image at once and the other a job, that is the
    difference (``mode``: sync vs async); the answers the client ends up with
    (the image, or the job's result) are then compared as ``result.``.
    """
    modes = {upstream.first.mode, mock.first.mode}
    if len(modes) == 2 and "image" in modes and modes & ASYNC:
        found = [Difference(probe, "mode", HIGH, _mode(upstream), _mode(mock))]
        return found + answers(probe, "result.", upstream.final, mock.final)
    found = answers(probe, "", upstream.first, mock.first)
    if upstream.pending and mock.pending:
        found += answers(probe, "pending.", upstream.pending, mock.pending)
    if upstream.result and mock.result:
        found += answers(probe, "result.", upstream.result, mock.result)
    return found


def answers(probe: str, prefix: str, upstream: Observation, mock: Observation) -> list[Difference]:
    """The differences between two single answers; ``prefix`` names which answer of a sequence they are."""
    found: list[Difference] = []

    def differ(aspect: str, severity: str, theirs: object, ours: object) -> None:
        if theirs != ours:
            found.append(Difference(probe, prefix + aspect, severity, _text(theirs), _text(ours)))

    differ("status", HIGH, upstream.status, mock.status)
    differ("mode", HIGH, upstream.mode, mock.mode)
    differ("content-type", HIGH, upstream.media_type, mock.media_type)
    if upstream.media_type == mock.media_type:
        differ("content-type.parameters", LOW, upstream.content_type, mock.content_type)
    differ("error.name", HIGH, upstream.error_name, mock.error_name)
    differ("error.texts", LOW, list(upstream.errors), list(mock.errors))
    for name in sorted(set(upstream.fields) | set(mock.fields)):
        theirs, ours = upstream.fields.get(name), mock.fields.get(name)
        differ(f"field:{name}", LOW if theirs is None else HIGH, theirs or "absent", ours or "absent")
    for name in sorted(set(upstream.headers) | set(mock.headers)):
        differ(f"header:{name}", LOW, upstream.headers.get(name, "absent"), mock.headers.get(name, "absent"))
    differ("size", LOW, _size(upstream), _size(mock))
    return found


def _mode(outcome: Outcome) -> str:
    if outcome.first.mode == "image":
        return f"sync: {outcome.first.status} {outcome.first.media_type}"
    polls = " ".join(str(status) for status in outcome.polls)
    return f"async: {outcome.first.status} {{id}}, then {polls}"


def _size(observation: Observation) -> str | None:
    return f"{observation.size[0]}x{observation.size[1]}" if observation.size else None


def _text(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return "; ".join(str(item) for item in value) or "none"
    return str(value)


__all__ = ["HIGH", "LOW", "Difference", "answers", "compare"]
