"""A coverage measurement: the catalogue with how often each behaviour was met, saved, merged and summed up.

A saved report holds its own catalogue, so a file read later (another version,
a CI artifact) is judged against the behaviours it was measured on, and two
reports merge only when they measured the same profile, key and catalogue.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockserver.control.local import MockControl, key_id
from mockserver.coverage.catalogue import GROUPS, Behaviour, Catalogue, catalogue_of
from mockserver.coverage.classify import behaviours_met, of_key
from mockserver.errors import CoverageFileError
from mockserver.util.atomic_file import write_atomically

#: What a saved report says it is, so that another JSON file is refused with a clear message.
FORMAT = "stability-mock-coverage/1"


@dataclass(frozen=True)
class Coverage:
    """How many times a client met each behaviour of one profile's catalogue (behaviours never met count 0)."""

    profile: str
    behaviours: tuple[Behaviour, ...]
    counts: Mapping[str, int] = field(default_factory=dict)
    #: The API key (fingerprint) the journal was filtered by; ``None``: every key.
    key: str | None = None

    def __post_init__(self) -> None:
        # Every behaviour, in catalogue order, 0 when never met: two equal measurements compare equal.
        object.__setattr__(self, "counts", {b.id: int(self.counts.get(b.id, 0)) for b in self.behaviours})

    @classmethod
    def measure(cls, records: Iterable[Mapping[str, Any]], catalogue: Catalogue, key: str | None = None) -> Coverage:
        """The coverage that journal ``records`` show (only those of ``key``, raw or fingerprint, when given).

        Example:
            >>> Coverage.measure(admin.requests(), catalogue_for("seed")).percent  # doctest: +SKIP
            6.1
        """
        counts = Counter(found for record in of_key(records, key) for found in behaviours_met(record, catalogue))
        return cls(catalogue.profile, catalogue.behaviours, dict(counts), key_id(key) if key else None)

    @classmethod
    def of_server(cls, control: MockControl, key: str | None = None) -> Coverage:
        """What the journal of the server ``control`` runs shows, against the document that server answers by."""
        services = control.services
        records = control.requests(key=key, limit=services.settings().journal_size)
        return cls.measure(records, catalogue_of(services.spec, services.config.profile), key)

    def count(self, behaviour: Behaviour) -> int:
        return int(self.counts.get(behaviour.id, 0))

    @property
    def met(self) -> list[Behaviour]:
        return [behaviour for behaviour in self.behaviours if self.count(behaviour)]

    @property
    def missing(self) -> list[Behaviour]:
        """The behaviours never met, in catalogue order."""
        return [behaviour for behaviour in self.behaviours if not self.count(behaviour)]

    @property
    def percent(self) -> float:
        return round(100 * len(self.met) / len(self.behaviours), 1) if self.behaviours else 100.0

    def operations(self) -> list[str]:
        return list(dict.fromkeys(behaviour.operation for behaviour in self.behaviours))

    def cell(self, operation: str, group: str) -> tuple[int, int]:
        """(met, total) of one operation's behaviours in one group."""
        cell = [b for b in self.behaviours if b.operation == operation and b.group == group]
        return sum(1 for b in cell if self.count(b)), len(cell)

    def merged(self, other: Coverage) -> Coverage:
        """Both measurements summed: what a suite split across processes met as a whole."""
        if (other.profile, other.key) != (self.profile, self.key):
            raise CoverageFileError(
                f"cannot merge coverage of profile {other.profile} (key {other.key}) "
                f"into profile {self.profile} (key {self.key})"
            )
        if [b.id for b in other.behaviours] != [b.id for b in self.behaviours]:
            raise CoverageFileError("cannot merge coverage measured on different catalogues (another API document)")
        counts = Counter(self.counts)
        counts.update(other.counts)
        return Coverage(self.profile, self.behaviours, dict(counts), self.key)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "profile": self.profile,
            "key": self.key,
            "met": len(self.met),
            "total": len(self.behaviours),
            "percent": self.percent,
            "behaviours": [{**behaviour.as_json(), "count": self.count(behaviour)} for behaviour in self.behaviours],
        }

    @classmethod
    def from_json(cls, data: Any) -> Coverage:
        """A report as :meth:`as_json` wrote it; :class:`CoverageFileError` for anything else."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise CoverageFileError(f"not a coverage report (its format is not {FORMAT})")
        try:
            rows = data["behaviours"]
            behaviours = tuple(
                Behaviour(str(r["id"]), str(r["operation"]), str(r["group"]), str(r["title"]), str(r["hint"]))
                for r in rows
            )
            counts = {str(r["id"]): int(r["count"]) for r in rows}
            profile, key = str(data["profile"]), data.get("key")
        except (KeyError, TypeError, ValueError) as exc:
            raise CoverageFileError(f"a coverage report with a malformed behaviour list ({exc!r})") from exc
        if any(b.group not in GROUPS for b in behaviours) or any(count < 0 for count in counts.values()):
            raise CoverageFileError("a coverage report with an unknown group or a negative count")
        return cls(profile, behaviours, counts, str(key) if key is not None else None)

    def save(self, path: Path) -> None:
        """Write the report as JSON, whole or not at all."""
        write_atomically(path, json.dumps(self.as_json(), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> Coverage:
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise CoverageFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CoverageFileError(f"{path} is not JSON: {exc}") from exc
        try:
            return cls.from_json(data)
        except CoverageFileError as exc:
            raise CoverageFileError(f"{path}: {exc}") from exc


def merge_all(reports: Iterable[Coverage]) -> Coverage | None:
    """The sum of ``reports`` (``None`` for none)."""
    total: Coverage | None = None
    for report in reports:
        total = report if total is None else total.merged(report)
    return total


__all__ = ["FORMAT", "Coverage", "merge_all"]
