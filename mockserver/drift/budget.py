"""Which paid probes a credit budget buys, at production's list prices, before any is sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mockserver.drift.probes import Probe


@dataclass(frozen=True)
class Plan:
    """The paid probes to send (their total cost within the budget) and those left out."""

    budget: int
    chosen: tuple[Probe, ...]
    left_out: tuple[Probe, ...]

    @property
    def cost(self) -> int:
        return sum(probe.cost for probe in self.chosen)

    def describe(self) -> str:
        """One line a person reads before agreeing to spend: what, at which price, and what is left out."""
        bought = ", ".join(f"{probe.name} ({probe.cost})" for probe in self.chosen) or "nothing"
        skipped = ", ".join(f"{probe.name} ({probe.cost})" for probe in self.left_out)
        line = f"paid probes: {bought}; {self.cost} of {self.budget} credits"
        return line + (f"; over the budget: {skipped}" if skipped else "")


def plan(probes: Sequence[Probe], budget: int) -> Plan:
    """Each probe in order that still fits in what is left of ``budget`` (a costlier one is passed over, not a stop).

    Example:
        >>> from mockserver.drift.probes import paid_probes
        >>> [probe.name for probe in plan(paid_probes(), 70).chosen]
        ['fast', 'conservative', 'v2alpha']
    """
    chosen: list[Probe] = []
    left = budget
    for probe in probes:
        if probe.cost <= left:
            chosen.append(probe)
            left -= probe.cost
    return Plan(budget, tuple(chosen), tuple(probe for probe in probes if probe not in chosen))


__all__ = ["Plan", "plan"]
