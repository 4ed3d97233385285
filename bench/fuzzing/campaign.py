"""A fuzzing campaign outside pytest: draw requests in batches, send them, count what came back.

The pytest test (``tests/serving/test_fuzz.py``) uses the strategies with ``@given``
so a failure shrinks to a minimal request; a long campaign (``python -m bench.fuzzing``)
wants counts over thousands of requests instead, so it draws batches with
hypothesis (generation only, no shrinking) and judges every answer.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from bench.fuzzing.checks import problems
from bench.fuzzing.http_strategies import RawRequest, raw_requests
from bench.fuzzing.wire import RawExchange, exchange

T = TypeVar("T")


def draw_many(strategy: st.SearchStrategy[T], count: int, seed: int) -> list[T]:
    """``count`` examples of ``strategy``, the same ones for the same ``seed``."""
    drawn: list[T] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_seed(seed)
    @given(strategy)
    def collect(value: T) -> None:
        drawn.append(value)

    collect()
    return drawn


@dataclass
class Failure:
    request: RawRequest
    problems: list[str]


@dataclass
class Summary:
    """Counts by first answer and by family; failures kept (up to a few) for the report."""

    sent: int = 0
    by_status: collections.Counter[str] = field(default_factory=collections.Counter)
    by_kind: collections.Counter[str] = field(default_factory=collections.Counter)
    http_layer_answers: int = 0
    failures: list[Failure] = field(default_factory=list)
    failure_count: int = 0

    def add(self, request: RawRequest, result: RawExchange, found: list[str], keep: int = 20) -> None:
        self.sent += 1
        self.by_kind[request.kind] += 1
        first = result.first
        self.by_status[str(first.status) if first else f"no answer ({result.read_error or 'closed'})"] += 1
        if first is not None and first.header("x-request-id") is None:
            self.http_layer_answers += 1
        if found:
            self.failure_count += 1
            if len(self.failures) < keep:
                self.failures.append(Failure(request, found))

    @property
    def five_xx(self) -> int:
        return sum(count for status, count in self.by_status.items() if status[:1] == "5")


def judge(port: int, request: RawRequest, timeout: float) -> tuple[RawExchange, list[str]]:
    result = exchange(port, request.data, method=request.method, timeout=timeout)
    return result, problems(request, result)


def run(
    port: int,
    total: int,
    *,
    seed: int = 0,
    batch: int = 500,
    threads: int = 4,
    timeout: float = 30.0,
    progress: Callable[[Summary], None] | None = None,
) -> Summary:
    """Send ``total`` drawn requests to ``127.0.0.1:port`` from ``threads`` threads."""
    summary = Summary()
    batch_seed = seed
    with ThreadPoolExecutor(max_workers=threads) as pool:
        while summary.sent < total:
            requests = draw_many(raw_requests(), min(batch, total - summary.sent), batch_seed)[: total - summary.sent]
            batch_seed += 1
            for request, (result, found) in zip(
                requests, pool.map(lambda r: judge(port, r, timeout), requests), strict=True
            ):
                summary.add(request, result, found)
            if progress is not None:
                progress(summary)
    return summary
