"""The live API's policies, applied to every admitted call: rate limits, content rules, credits.

They are settings, not faults: each is off by default and, once set (``serve``
options, ``PATCH /_mock/config``, a scenario), applies to every call. Each check
reads the shared store, so a limit counted by one worker, or a balance set over
the admin API, applies everywhere. Staged faults are in :mod:`mockserver.faults`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mockserver.errors import ContentModeration, InvalidLanguage, PaymentRequired, RateLimited
from mockserver.operations import CONSERVATIVE, CREATIVE, FAST
from mockserver.runtime import RuntimeSettings
from mockserver.store import Store

#: Credits each operation costs (list prices); polling is free.
COSTS: Mapping[str, int] = {
    FAST: 2,
    CONSERVATIVE: 40,
    CREATIVE: 60,
}


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
