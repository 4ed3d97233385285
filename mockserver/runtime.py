"""Settings that can change while the mock runs (``PATCH /_mock/config``).

Their defaults come from :class:`~mockserver.config.Config`; changes are kept in
the store, so every worker and every replica sees the same settings.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.config import Config
from mockserver.errors import BadRequest

_RATE = re.compile(r"(\d+)/(\d+(?:\.\d+)?)s")


@dataclass(frozen=True)
class RateLimit:
    """``requests`` per ``window_seconds`` per key, then 429 for ``block_seconds``."""

    requests: int
    window_seconds: float
    block_seconds: float

    @classmethod
    def parse(cls, text: str, block_seconds: float) -> RateLimit:
        match = _RATE.fullmatch(text.strip())
        if not match or int(match[1]) < 1 or float(match[2]) <= 0:
            raise BadRequest([f"rate_limit: {text!r} must look like 150/10s"])
        return cls(int(match[1]), float(match[2]), block_seconds)


@dataclass(frozen=True)
class RuntimeSettings:
    """What a test may change at run time."""

    pending_polls: int = 1
    job_seconds: float = 0.0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_limit: str | None = None
    rate_limit_block_seconds: float = 60.0
    credits: int | None = None
    moderation_words: tuple[str, ...] = ()
    filter_words: tuple[str, ...] = ()
    language_words: tuple[str, ...] = ()
    journal_size: int = 1000

    @classmethod
    def defaults(cls, config: Config) -> RuntimeSettings:
        return cls(**{name: getattr(config, name) for name in cls.field_names()})

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(item.name for item in dataclasses.fields(cls))

    def updated(self, changes: Mapping[str, Any]) -> RuntimeSettings:
        """A copy with ``changes`` applied and checked; :class:`BadRequest` names bad ones."""
        unknown = sorted(set(changes) - set(self.field_names()))
        if unknown:
            raise BadRequest([f"{name}: is not a runtime setting" for name in unknown])
        values = dict(changes)
        for name in ("moderation_words", "filter_words", "language_words"):
            if name in values:
                values[name] = tuple(str(word).lower() for word in values[name] or ())
        updated = dataclasses.replace(self, **values)
        updated.check()
        return updated

    def check(self) -> None:
        problems = []
        if self.pending_polls < 0:
            problems.append("pending_polls: must be ≥ 0")
        for name in ("job_seconds", "latency_ms", "jitter_ms", "rate_limit_block_seconds"):
            if getattr(self, name) < 0:
                problems.append(f"{name}: must be ≥ 0")
        if self.credits is not None and self.credits < 0:
            problems.append("credits: must be ≥ 0 (or null to turn credits off)")
        if self.journal_size < 1:
            problems.append("journal_size: must be ≥ 1")
        if problems:
            raise BadRequest(problems)
        if self.rate_limit is not None:
            RateLimit.parse(self.rate_limit, self.rate_limit_block_seconds)

    @property
    def limit(self) -> RateLimit | None:
        if self.rate_limit is None:
            return None
        return RateLimit.parse(self.rate_limit, self.rate_limit_block_seconds)

    def changes_from(self, base: RuntimeSettings) -> dict[str, Any]:
        """The fields that differ from ``base``: what the store keeps."""
        return {name: getattr(self, name) for name in self.field_names() if getattr(self, name) != getattr(base, name)}

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        for name in ("moderation_words", "filter_words", "language_words"):
            values[name] = list(values[name])
        return values
