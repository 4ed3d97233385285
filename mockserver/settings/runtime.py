"""Settings that can change while the mock runs (``PATCH /_mock/settings``), declared once.

:class:`~mockserver.settings.config.Config` (start-up) extends :class:`RuntimeSettings`, so
each of these is declared here only: its default, help, bounds and ``serve``
option (see :mod:`mockserver.settings.knobs`). Changes made at run time are kept in the
store, so every worker and every replica sees the same settings.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.errors import BadRequest
from mockserver.settings.knobs import problems, setting, whole_numbers

_RATE = re.compile(r"(\d+)/(\d+(?:\.\d+)?)s")


@dataclass(frozen=True)
class RateLimit:
    """``requests`` per ``window_seconds`` per key, then 429 for ``block_seconds``."""

    requests: int
    window_seconds: float
    block_seconds: float

    @classmethod
    def parse(cls, text: str, block_seconds: float) -> RateLimit:
        match = _RATE.fullmatch(text)
        if not match or int(match[1]) < 1 or float(match[2]) <= 0:
            raise BadRequest([f"rate_limit: {text!r} must look like 150/10s"])
        return cls(int(match[1]), float(match[2]), block_seconds)


DAY = 86_400.0
#: The largest credit balance a key can have (setting, admin API, scenario).
MAX_BALANCE = 1_000_000_000_000
#: The longest the configured latency, or a staged fault, may hold a call: ten minutes.
MAX_DELAY_MS = 600_000
#: The most polls a job may answer 202 (setting or staged plan).
MAX_PENDING_POLLS = 10_000
#: Polls a job answers 202 unless told otherwise; under ``timing: live`` this default means none.
DEFAULT_PENDING_POLLS = 1
#: ``timing`` presets: every answer as soon as it is ready, or about production's time per operation.
INSTANT = "instant"
LIVE_TIMING = "live"
TIMINGS = (INSTANT, LIVE_TIMING)
#: The largest ``timing_scale``: ten times production keeps the longest hold (conservative, ~5 min)
#: and the longest job (~8 min) under the ten minutes a configured latency may last.
MAX_TIMING_SCALE = 10.0
#: The words settings: compared with prompts in lower case.
WORD_LISTS = ("moderation_words", "filter_words", "language_words")
#: Bounds of each words setting: every prompt is compared with every word.
MAX_WORDS = 1000
MAX_WORD_LENGTH = 200


@dataclass(frozen=True)
class RuntimeSettings:
    """What a test may change at run time; the start-up :class:`~mockserver.settings.config.Config` extends it."""

    pending_polls: int = setting(
        DEFAULT_PENDING_POLLS, "Polls answered 202 before a job's result.", minimum=0, maximum=MAX_PENDING_POLLS
    )
    job_seconds: float = setting(0.0, "Minimum job age in seconds before its result.", minimum=0, maximum=DAY)
    latency_ms: float = setting(
        0.0, "Milliseconds added to every API answer.", minimum=0, maximum=MAX_DELAY_MS, option="--latency"
    )
    jitter_ms: float = setting(
        0.0,
        "Up to this many more milliseconds, seeded by the request.",
        minimum=0,
        maximum=MAX_DELAY_MS,
        option="--jitter",
    )
    timing: str = setting(
        INSTANT,
        "instant: answer as soon as ready; live: take about production's time per operation.",
        choices=TIMINGS,
    )
    timing_scale: float = setting(
        1.0, "Multiplies the live timing's times (0.1: ten times faster).", minimum=0, maximum=MAX_TIMING_SCALE
    )
    rate_limit: str | None = setting(None, "Per-key limit such as 150/10s (the live API's).", default_text="off")
    rate_limit_block_seconds: float = setting(
        60.0, "Seconds a key that went over the limit waits.", minimum=0, maximum=DAY, option="--rate-limit-block"
    )
    credits: int | None = setting(
        None, "Starting balance of every key.", minimum=0, maximum=MAX_BALANCE, default_text="off"
    )
    moderation_words: tuple[str, ...] = setting(
        (),
        "Comma-separated prompt words answered 403 content_moderation.",
        max_items=MAX_WORDS,
        max_length=MAX_WORD_LENGTH,
    )
    filter_words: tuple[str, ...] = setting(
        (),
        "Comma-separated prompt words whose result is CONTENT_FILTERED.",
        max_items=MAX_WORDS,
        max_length=MAX_WORD_LENGTH,
    )
    language_words: tuple[str, ...] = setting(
        (),
        "Comma-separated prompt words answered 422 invalid_language.",
        max_items=MAX_WORDS,
        max_length=MAX_WORD_LENGTH,
    )
    journal_size: int = setting(1000, "Request records kept (oldest dropped).", minimum=1, maximum=100_000)

    @classmethod
    def defaults(cls, config: RuntimeSettings) -> RuntimeSettings:
        """The runtime part of a start-up configuration."""
        return cls(**{name: getattr(config, name) for name in cls.field_names()})

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(item.name for item in dataclasses.fields(RuntimeSettings))

    def updated(self, changes: Mapping[str, Any]) -> RuntimeSettings:
        """A copy with ``changes`` applied and checked; :class:`BadRequest` names bad ones."""
        unknown = sorted(set(changes) - set(self.field_names()))
        if unknown:
            raise BadRequest([f"{name}: is not a runtime setting" for name in unknown])
        values = whole_numbers(RuntimeSettings, changes)
        for name in WORD_LISTS:
            if name in values:
                values[name] = tuple(str(word).lower() for word in values[name] or ())
        updated = dataclasses.replace(self, **values)
        updated.check()
        return updated

    def problems(self) -> list[str]:
        """``name: must …`` for every value outside its declared type and bounds, and a bad rate limit."""
        found = problems(self)
        if self.rate_limit is not None and not found:
            try:
                RateLimit.parse(self.rate_limit, self.rate_limit_block_seconds)
            except BadRequest as exc:
                found.extend(exc.errors)
        return found

    def check(self) -> None:
        found = self.problems()
        if found:
            raise BadRequest(found)

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
        for name in WORD_LISTS:
            values[name] = list(values[name])
        return values
