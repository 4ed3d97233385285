"""Credits as the live API counts them: a price per upload, taken when admitted, given back on failure.

Off by default (``credits`` setting: every key's starting balance). Balances
live in the shared store, so a balance set over the admin API, or spent
through one worker, is the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

from mockserver.errors import PaymentRequired
from mockserver.operations import CONSERVATIVE, CREATIVE, FAST, LEGACY
from mockserver.settings.runtime import RuntimeSettings
from mockserver.store import Store

#: Credits each operation costs (list prices); polling is free.
COSTS: Mapping[str, int] = {
    FAST: 2,
    CONSERVATIVE: 40,
    CREATIVE: 60,
    #: Stability's document prices the v2alpha upscale at a flat 25 cents: 25 credits.
    LEGACY: 25,
}


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


__all__ = ["COSTS", "balance", "charge", "refund"]
