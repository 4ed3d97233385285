"""Which recorded exchange answers a request, and, for a miss, what differs from the nearest one.

A request matches a recorded one on its operation (or path, for one the
document does not know), the generation id in a poll's path, every text field
of its form, the sha256 of every uploaded file, and ``Accept``. Exchanges that
match the same request are answered in recorded order, the last one repeating:
the polls of a recorded id answer 202, 202, 200, 200…, as the service did, and
the same upload sent twice gets the two generation ids it got when recorded.
The position in each sequence is this process's (like the mock's render cache),
so replay with one worker, as ``serve`` starts by default.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from mockserver.recording.cassette import Cassette, RecordedExchange, RecordedRequest

Key = tuple[object, ...]


def match_key(request: RecordedRequest) -> Key:
    """What two requests must share to be answered by the same recording."""
    return (
        request.method,
        request.operation or request.path,
        request.generation_id,
        tuple(sorted(request.fields.items())),
        tuple(sorted(request.files.items())),
        _accept(request.accept),
    )


def _accept(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


@dataclass(frozen=True)
class Miss:
    """No recording matches: the nearest one (if any) and a line per part that differs from it."""

    nearest: RecordedExchange | None
    differences: list[str]


class Replayer:
    """A cassette's exchanges, grouped by :func:`match_key`, each group answered in order."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette
        self._groups: dict[Key, list[RecordedExchange]] = {}
        for exchange in cassette.exchanges:
            self._groups.setdefault(match_key(exchange.request), []).append(exchange)
        self._answered: dict[Key, int] = {}
        self._lock = threading.Lock()

    def answer(self, request: RecordedRequest) -> RecordedExchange | Miss:
        """The recording that answers ``request`` now (advancing its sequence), or the :class:`Miss`."""
        key = match_key(request)
        group = self._groups.get(key)
        if not group:
            return self.miss(request)
        with self._lock:
            position = self._answered.get(key, 0)
            self._answered[key] = position + 1
        return group[min(position, len(group) - 1)]

    def rewind(self) -> None:
        """Start every sequence again (a reset of the mock)."""
        with self._lock:
            self._answered.clear()

    def miss(self, request: RecordedRequest) -> Miss:
        candidates = [exchange for exchange in self.cassette.exchanges if exchange.request.method == request.method]
        if not candidates:
            return Miss(None, [f"method: no {request.method} request was recorded"])
        nearest = min(candidates, key=lambda exchange: len(differences(request, exchange.request)))
        return Miss(nearest, differences(request, nearest.request))


def differences(sent: RecordedRequest, recorded: RecordedRequest) -> list[str]:
    """One line per part of ``sent`` that is not as ``recorded``."""
    lines: list[str] = []
    if (sent.operation or sent.path) != (recorded.operation or recorded.path):
        lines.append(f"operation: sent {sent.operation or sent.path}, recorded {recorded.operation or recorded.path}")
    if sent.generation_id != recorded.generation_id:
        lines.append(f"id: sent {sent.generation_id}, recorded {recorded.generation_id}")
    lines.extend(_mapping_lines("field", sent.fields.items(), recorded.fields.items()))
    lines.extend(_mapping_lines("image digest", sent.files.items(), recorded.files.items(), prefix="sha256 "))
    if _accept(sent.accept) != _accept(recorded.accept):
        lines.append(f"accept: sent {sent.accept!r}, recorded {recorded.accept!r}")
    return lines


def _mapping_lines(
    what: str, sent: Iterable[tuple[str, str]], recorded: Iterable[tuple[str, str]], prefix: str = ""
) -> list[str]:
    mine, theirs = dict(sent), dict(recorded)
    lines = []
    for name in sorted(mine.keys() | theirs.keys()):
        if mine.get(name) != theirs.get(name):
            sent_text, recorded_text = (_shown(value, prefix) for value in (mine.get(name), theirs.get(name)))
            lines.append(f"{what} {name}: sent {sent_text}, recorded {recorded_text}")
    return lines


def _shown(value: str | None, prefix: str) -> str:
    if value is None:
        return "nothing"
    return f"{prefix}{value[:16]}…" if prefix else repr(value)


__all__ = ["Miss", "Replayer", "differences", "match_key"]
