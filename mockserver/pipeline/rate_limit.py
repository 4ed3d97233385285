"""The live API's rate limit: every keyed call counts, valid or not, and past the limit the key waits.

Off by default; once set (``serve`` options, ``PATCH /_mock/settings``, a
scenario) it applies to every call. The counts live in the shared store, so a
limit counted by one worker applies on every other.
"""

from __future__ import annotations

import math

from mockserver.errors import RateLimited, rate_limit_line
from mockserver.settings.runtime import RateLimit, RuntimeSettings
from mockserver.store import Store


def enforce(store: Store, settings: RuntimeSettings, key: str, now: float) -> None:
    """Count this call for ``key``; past the limit the key is blocked and gets 429s."""
    limit = settings.limit
    if limit is None:
        return
    blocked_until_ms = store.counter(f"blocked:{key}", now)
    if blocked_until_ms is not None:
        raise _rate_limited(limit, blocked_until_ms / 1000 - now)
    window = math.floor(now / limit.window_seconds)
    count = store.increment(f"rate:{key}:{window}", 1, (window + 1) * limit.window_seconds, now)
    if count > limit.requests:
        until = now + limit.block_seconds
        store.set_counter(f"blocked:{key}", math.floor(until * 1000), until)
        raise _rate_limited(limit, limit.block_seconds)


def _rate_limited(limit: RateLimit, seconds: float) -> RateLimited:
    """Production's 429 line with the configured numbers; ``Retry-After`` says how long is left."""
    wait = max(1, math.ceil(seconds))
    return RateLimited(
        [rate_limit_line(limit.requests, limit.window_seconds, limit.block_seconds)],
        headers={"Retry-After": str(wait)},
    )


__all__ = ["enforce"]
