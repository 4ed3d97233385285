"""Throughput of the mock (1 and 2 workers) and of Prism, measured in alternating rounds.

The machine is shared, and other work swings absolute rates by several times within
minutes: measuring ours and Prism minutes apart let those swings into the ratios. Here
every server runs at once and each round measures every (server, request) pair in
turn, the order reversed every other round; each ratio is the median of the ratios
of one round, runs seconds apart.
"""

from __future__ import annotations

import contextlib
import statistics
from dataclasses import dataclass, field

from bench import floor, prism
from bench.figures import (
    INVALID_RUNS,
    POLL_TARGET_PIXELS,
    PRISM_GOALS,
    SCALING_GOAL,
    SMALL,
    Figure,
    expect,
    post_target,
    throughput,
    throughput_row,
)
from bench.harness import api, load, server
from bench.harness.images import photo_png

#: Rounds of every (server, request) pair; the median of each is reported.
ROUNDS = 3
#: Our request labels, and the label of Prism's run each is compared with.
PRISM_PAIRS = {
    "poll pending (202)": "poll",
    "poll ready (200)": "poll",
    **{label: label for label in INVALID_RUNS},
}


@dataclass
class Series:
    """One server answering one kind of request, round after round."""

    name: str
    target: load.Target
    mock: server.Server | None
    results: list[load.LoadResult] = field(default_factory=list)
    cpu: list[float | None] = field(default_factory=list)

    @property
    def rates(self) -> list[float]:
        return [result.requests_per_second for result in self.results]

    def row(self) -> Figure:
        """The round with the median rate, its CPU, and every round's rate."""
        middle = sorted(range(len(self.results)), key=lambda index: self.rates[index])[len(self.results) // 2]
        figure = throughput_row(self.name, self.results[middle], self.cpu[middle])
        rounds = ", ".join(f"{rate:,.0f}" for rate in self.rates)
        return Figure(
            figure.section, figure.name, figure.value, detail=f"median round of {rounds} req/s: {figure.detail}"
        )


def interleaved(seconds: float, tool: str, rounds: int = ROUNDS) -> list[Figure]:
    """Throughput rows, ours/Prism and 2 workers / 1 worker, from the same alternating rounds."""
    series: dict[tuple[str, str], Series] = {}
    prism_problem: str | None = None
    version = ""
    with contextlib.ExitStack() as stack:
        for workers in (1, 2):
            options = ("--workers", str(workers), "--target-pixels", str(POLL_TARGET_PIXELS))
            mock = stack.enter_context(server.running(*options))
            for label, target in _our_targets(mock).items():
                series[(str(workers), label)] = Series(f"{label}, {workers} worker(s)", target, mock)
            bare = stack.enter_context(floor.running(workers))
            series[(f"floor {workers}", "poll")] = Series(
                f"floor: serve's worker alone (a constant 202, no app), {workers} worker(s)",
                load.Target(bare.port, api.poll_path("0" * 64), headers=server.AUTH),
                bare,
            )
        try:
            mocked = stack.enter_context(prism.running())
            version = mocked.version
            for label, target in _prism_targets(mocked).items():
                series[("prism", label)] = Series(f"Prism {mocked.version}: {label}", target, None)
        except prism.PrismUnavailable as exc:
            prism_problem = str(exc)
        for number in range(rounds):
            for key in list(series) if number % 2 == 0 else list(reversed(series)):
                if key[0] == "prism" and prism_problem:
                    continue
                one = series[key]
                result, cpu = throughput(one.target, seconds, tool, one.mock)
                if key[0] == "prism" and not prism.alive(mocked):
                    prism_problem = f"prism stopped answering during the {key[1]} run"
                    continue
                one.results.append(result)
                one.cpu.append(cpu)
    ours = {key: one for key, one in series.items() if key[0] != "prism"}
    rows = [one.row() for one in ours.values()]
    if prism_problem:
        rows.append(Figure("prism", "Prism comparison", "not measured", detail=f"Prism unavailable: {prism_problem}"))
    else:
        rows += [one.row() for key, one in series.items() if key[0] == "prism"]
        rows += _against_prism(series, version)
    return rows + _scaling(series)


def _our_targets(mock: server.Server) -> dict[str, load.Target]:
    small = photo_png(SMALL)
    jobs = {"poll pending (202)": api.pending_job(mock, small), "poll ready (200)": api.ready_job(mock, small)}
    targets = {label: load.Target(mock.port, api.poll_path(job), headers=server.AUTH) for label, job in jobs.items()}
    invalid = api.multipart(small, output_format="gif")
    expect(api.post(mock, api.FAST_PATH, invalid)[0], 400, "validation-error request")
    for label, vary in INVALID_RUNS.items():
        targets[label] = post_target(mock.port, invalid, vary=vary)
    return targets


def _prism_targets(mocked: prism.Prism) -> dict[str, load.Target]:
    targets = {"poll": load.Target(mocked.port, api.poll_path("0" * 64), headers=server.AUTH)}
    invalid = api.multipart(photo_png(SMALL), output_format="gif")
    for label, vary in INVALID_RUNS.items():
        targets[label] = post_target(mocked.port, invalid, vary=vary)
    return targets


def _ratios(upper: Series, lower: Series) -> list[float]:
    return [a / b for a, b in zip(upper.rates, lower.rates, strict=False) if b]


def _against_prism(series: dict[tuple[str, str], Series], version: str) -> list[Figure]:
    rows = []
    for workers in ("1", "2"):
        for label, prism_label in PRISM_PAIRS.items():
            ours, theirs = series[(workers, label)], series[("prism", prism_label)]
            ratios = _ratios(ours, theirs)
            ratio = statistics.median(ratios)
            goal = PRISM_GOALS.get((label, int(workers)))
            rows.append(
                Figure(
                    "prism",
                    f"ours / Prism {version}: {label}, {workers} worker(s)",
                    f"{ratio:.2f}x",
                    "" if goal is None else f"≥ {goal:g}x",
                    None if goal is None else ratio >= goal,
                    "median of the rounds' ratios "
                    + ", ".join(f"{value:.2f}" for value in ratios)
                    + f"; ours {statistics.median(ours.rates):,.0f} req/s, "
                    f"Prism {statistics.median(theirs.rates):,.0f} req/s ({prism_label})",
                )
            )
        bare, theirs = series[(f"floor {workers}", "poll")], series[("prism", "poll")]
        ratios = _ratios(bare, theirs)
        goal = PRISM_GOALS.get(("poll pending (202)", int(workers)))
        rows.append(
            Figure(
                "prism",
                f"floor / Prism {version}: serve's worker alone (a constant 202, no app), {workers} worker(s)",
                f"{statistics.median(ratios):.2f}x",
                detail="the most any poll can reach on this engine, whatever the app does"
                + ("" if goal is None else f" (the poll goal is ≥ {goal:g}x)")
                + "; median of the rounds' ratios "
                + ", ".join(f"{value:.2f}" for value in ratios),
            )
        )
    return rows


def _scaling(series: dict[tuple[str, str], Series]) -> list[Figure]:
    rows = []
    for label in ("poll pending (202)", "poll ready (200)"):
        ratios = _ratios(series[("2", label)], series[("1", label)])
        ratio = statistics.median(ratios)
        rows.append(
            Figure(
                "scaling",
                f"2 workers / 1 worker: {label}",
                f"{ratio:.2f}x",
                f"≥ {SCALING_GOAL:g}x",
                ratio >= SCALING_GOAL,
                "median of the rounds' ratios " + ", ".join(f"{value:.2f}" for value in ratios),
            )
        )
    return rows
