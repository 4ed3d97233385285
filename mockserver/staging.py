"""The bad days the mock can stage for one call: rate limits, faults, content rules, credits.

Each check reads the shared store, so a limit counted by one worker, a fault
queued through another, or a balance set over the admin API applies everywhere.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Collection, Mapping
from typing import Any

from mockserver.errors import (
    BadRequest,
    ContentModeration,
    InvalidLanguage,
    PaymentRequired,
    RateLimited,
)
from mockserver.faults import ERROR_FOR_STATUS, Fault
from mockserver.runtime import RuntimeSettings
from mockserver.store import Store

#: Credits each operation costs (list prices); polling is free.
COSTS: Mapping[str, int] = {
    "upscaleImageFast": 2,
    "upscaleImageConservative": 40,
    "upscaleImageCreative": 60,
}

_PREFER_CODE = re.compile(r"(?:^|[;,\s])code=(\d{3})(?:$|[;,\s])")


def enforce_rate_limit(store: Store, settings: RuntimeSettings, key: str, now: float) -> None:
    """Count this call for ``key``; past the limit the key is blocked and gets 429s."""
    limit = settings.limit
    if limit is None:
        return
    blocked_until_ms = store.counter(f"blocked:{key}", now)
    if blocked_until_ms is not None:
        raise _rate_limited(blocked_until_ms / 1000 - now)
    window = math.floor(now / limit.window_seconds)
    count = store.increment(f"rate:{key}:{window}", 1, (window + 1) * limit.window_seconds, now)
    if count > limit.requests:
        until = now + limit.block_seconds
        store.set_counter(f"blocked:{key}", math.floor(until * 1000), until)
        raise _rate_limited(limit.block_seconds)


def _rate_limited(seconds: float) -> RateLimited:
    wait = max(1, math.ceil(seconds))
    return RateLimited(
        [f"rate_limit: too many requests; this key may call again in {wait} s"],
        headers={"Retry-After": str(wait)},
    )


def delay_seconds(settings: RuntimeSettings, fault: Fault | None, target: str, body: bytes) -> float:
    """Configured latency with jitter seeded by the request itself, plus the fault's own.

    The same request always waits the same time, so a slow run can be replayed.
    """
    delay = settings.latency_ms
    if settings.jitter_ms:
        digest = hashlib.sha256(target.encode("utf-8") + body).digest()
        delay += random.Random(digest).uniform(0, settings.jitter_ms)
    return delay / 1000 + (fault.delay_seconds() if fault else 0.0)


def preferred_error(prefer: str | None, operation_id: str, statuses: Collection[int]) -> Exception | None:
    """Prism's ``Prefer: code=429`` convention: the error this one call should answer."""
    if not prefer:
        return None
    match = _PREFER_CODE.search(prefer)
    if match is None:
        return None
    code = int(match[1])
    if code in (200, 202):
        return None
    if code not in ERROR_FOR_STATUS or code not in statuses:
        answered = ", ".join(str(status) for status in sorted(statuses))
        return BadRequest([f"prefer: {operation_id} never answers {code}; it answers {answered}"])
    return Fault(status=code).error()


def content_verdict(settings: RuntimeSettings, body: Mapping[str, Any]) -> bool:
    """Raise for moderated or non-English prompts; ``True`` when the output is to be filtered."""
    prompt = str(body.get("prompt", "")).lower()
    if not prompt:
        return False
    flagged = [word for word in settings.moderation_words if word and word in prompt]
    if flagged:
        raise ContentModeration([f"prompt: flagged by content moderation ({flagged[0]!r})"])
    foreign = [word for word in settings.language_words if word and word in prompt]
    if foreign:
        raise InvalidLanguage(["prompt: English is the only supported language for this service."])
    return any(word and word in prompt for word in settings.filter_words)


def charge(store: Store, settings: RuntimeSettings, key: str, operation_id: str) -> int:
    """Take the operation's price from the key's balance; 402 when it is short. The amount taken."""
    cost = COSTS.get(operation_id, 0)
    if settings.credits is None or cost == 0:
        return 0
    if store.debit(f"credits:{key}", cost, settings.credits) is None:
        raise PaymentRequired([f"credits: {operation_id} costs {cost} credits; the balance is lower"])
    return cost


def refund(store: Store, settings: RuntimeSettings, key: str, amount: int) -> None:
    """Give back a charge for a call that failed: failed calls are not charged."""
    if amount:
        store.debit(f"credits:{key}", -amount, settings.credits or 0)


def balance(store: Store, settings: RuntimeSettings, key: str) -> int | None:
    """A key's balance (its starting balance until it first spends); ``None`` with credits off."""
    if settings.credits is None:
        return store.counter(f"credits:{key}", 0.0)
    found = store.counter(f"credits:{key}", 0.0)
    return settings.credits if found is None else found
