"""A drift check from start to end: the known file, the mock, the free probes, the budget, the paid probes."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mockserver.drift.budget import Plan, plan
from mockserver.drift.client import Outcome, Side
from mockserver.drift.compare import Difference, compare
from mockserver.drift.control import seeded_differences
from mockserver.drift.known import Known, apply_known, load_known
from mockserver.drift.mockside import running_mock
from mockserver.drift.probes import Probe, catalogue, free_probes, paid_probes
from mockserver.errors import ConfigError, DriftError
from mockserver.settings.profiles import LIVE

#: Whether the paid probes were sent: none planned, declined at the prompt, or sent.
NOTHING_PLANNED, DECLINED, SENT = "none planned", "declined", "sent"


@dataclass(frozen=True)
class DriftOptions:
    """What ``stability-mock drift`` was asked to do."""

    upstream: str
    key: str
    budget: int = 0
    profile: str = LIVE
    known: Path | None = None
    control: bool = False
    #: A PEM bundle the upstream's certificate is checked against (default: certifi's roots).
    ca_file: Path | None = None
    timeout: float = 120.0
    poll_interval: float = 10.0
    max_polls: int = 60


@dataclass(frozen=True)
class ProbeRun:
    """One probe as both sides answered it, and the differences between them."""

    probe: Probe
    upstream: Outcome
    mock: Outcome
    differences: tuple[Difference, ...]


@dataclass
class Report:
    """Everything a drift check found; :attr:`exit_status` is the command's."""

    options: DriftOptions
    plan: Plan
    paid: str = NOTHING_PLANNED
    runs: list[ProbeRun] = field(default_factory=list)
    stale: list[Known] = field(default_factory=list)
    #: Known entries about probes that did not run (paid ones beyond the budget or declined).
    unchecked: list[Known] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    seconds: float = 0.0

    @property
    def differences(self) -> list[Difference]:
        return [difference for run in self.runs for difference in run.differences]

    @property
    def unexplained(self) -> list[Difference]:
        return [difference for difference in self.differences if difference.known is None]

    @property
    def spent(self) -> int:
        """Credits the upstream charged at list prices: the paid probes sent."""
        return sum(run.probe.cost for run in self.runs)

    @property
    def exit_status(self) -> int:
        return 1 if self.unexplained else 0


def run_drift(
    options: DriftOptions,
    confirm: Callable[[Plan], bool],
    progress: Callable[[str], None] = lambda line: None,
) -> Report:
    """Run the check; ``confirm(plan)`` is asked before any credit is spent (never when the plan is empty).

    Raises:
        DriftError: the check could not run (a bad option or known file, the upstream
            unreachable or untrusted, a job that never ended, a blind control).
    """
    known = load_known(options.known) if options.known else []
    if options.ca_file is not None and not options.ca_file.is_file():
        raise DriftError(f"--ca-file {options.ca_file}: no such file")
    report = Report(options, plan(paid_probes(), options.budget))
    upstream = _side("upstream", options.upstream, options, str(options.ca_file) if options.ca_file else True)
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        stack.callback(upstream.close)
        try:
            mock_url = stack.enter_context(running_mock(options.profile, options.key))
            # The mock's jobs end at once: it is polled without the wait production asks for.
            local = _side("mock", mock_url, dataclasses.replace(options, poll_interval=0), True)
        except ConfigError as exc:
            raise DriftError(f"the mock side cannot start: {exc}") from exc
        stack.callback(local.close)
        # The mock is on loopback: no proxy or CA bundle from the environment applies to it.
        local.session.trust_env = False
        for probe in free_probes():
            progress(f"free  {probe.name}")
            report.runs.append(_run(probe, upstream, local, options.control))
        if report.plan.chosen:
            report.paid = SENT if confirm(report.plan) else DECLINED
        if report.paid == SENT:
            for probe in report.plan.chosen:
                progress(f"paid  {probe.name} ({probe.cost} credits)")
                report.runs.append(_run(probe, upstream, local, options.control))
    report.runs, report.stale, report.unchecked = _with_known(report.runs, known)
    report.seconds = time.monotonic() - started
    return report


def _with_known(runs: list[ProbeRun], known: list[Known]) -> tuple[list[ProbeRun], list[Known], list[Known]]:
    """Each run's differences marked with the entry accepting them (seeded ones never are); stale, unchecked entries."""
    real = [difference for run in runs for difference in run.differences if not difference.seeded]
    names = {probe.name for probe in catalogue()}
    marked, stale, unchecked = apply_known(real, known, {run.probe.name for run in runs}, names)
    reasons = iter(marked)
    return (
        [
            dataclasses.replace(run, differences=tuple(d if d.seeded else next(reasons) for d in run.differences))
            for run in runs
        ],
        stale,
        unchecked,
    )


def _side(name: str, url: str, options: DriftOptions, verify: bool | str) -> Side:
    if not url.startswith(("http://", "https://")):
        raise DriftError(f"--upstream {url}: must be an http:// or https:// URL")
    return Side(name, url, options.key, verify, options.timeout, options.poll_interval, options.max_polls)


def _run(probe: Probe, upstream: Side, mock: Side, control: bool) -> ProbeRun:
    theirs = upstream.send(probe)
    ours = mock.send(probe)
    if not control:
        return ProbeRun(probe, theirs, ours, tuple(compare(probe.name, theirs, ours)))
    found, missed = seeded_differences(probe.name, theirs, ours)
    if missed:
        raise DriftError(f"--control: the comparison did not see the seeded {', '.join(missed)} on {probe.name}")
    return ProbeRun(probe, theirs, ours, tuple(found))


__all__ = ["DECLINED", "NOTHING_PLANNED", "SENT", "DriftOptions", "ProbeRun", "Report", "run_drift"]
