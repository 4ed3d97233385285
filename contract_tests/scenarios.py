"""What the server is made to do for each kind of property, and how one example runs."""

from __future__ import annotations

import io
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st
from PIL import Image

from contract_tests.adapters import Adapter
from contract_tests.properties import Run
from contract_tests.server import LiveServer
from contract_tests.strategies import (
    AsyncPlan,
    ImageBytes,
    UpscaleRequest,
    async_plans,
    invalid_requests,
    request_schema,
    upscale_requests,
)
from mockserver.generation import order_for
from mockserver.jobs import CONTENT_FILTERED
from mockserver.services import EXTENSION_KEY

POLL_OPERATION_IDS = ("getUpscaleResult", "getUpscaleCreativeResult")
START_ERRORS = (401, 403, 413, 429, 500, 503)
POLL_ERRORS = (401, 404, 429, 500, 503)
TRANSIENT = (429, 500, 503)


@dataclass(frozen=True)
class Staged:
    """An error the server answers: its status, and whether at the start or at a poll."""

    status: int
    where: str
    times: int | None = None

    def __repr__(self) -> str:
        repeat = "every time" if self.times is None else f"{self.times} time(s)"
        return f"Staged({self.status} at {self.where}, {repeat})"


@dataclass(frozen=True)
class Example:
    """One generated case: the request, the async plan, the staged error."""

    request: UpscaleRequest
    plan: AsyncPlan | None = None
    staged: Staged | None = None

    def __repr__(self) -> str:
        parts = [repr(self.request)]
        if self.plan is not None:
            parts.append(repr(self.plan))
        if self.staged is not None:
            parts.append(repr(self.staged))
        return ", ".join(parts)


def strategy_for(
    scenario: str, operations: list[str], max_pending: int, async_ops: Collection[str]
) -> st.SearchStrategy[Example]:
    """The examples of one scenario over the client's operations; ``async_ops`` are polled ones."""
    pick = st.sampled_from(sorted(operations))

    def plan(op: str, **options: Any) -> st.SearchStrategy[AsyncPlan | None]:
        return async_plans(**options) if op in async_ops else st.none()

    def staged(op: str, statuses: tuple[int, ...], poll_statuses: tuple[int, ...], times: int | None) -> Any:
        starts = st.sampled_from(statuses).map(lambda status: Staged(status, "start", times))
        if op not in async_ops:
            return starts
        return starts | st.sampled_from(poll_statuses).map(lambda status: Staged(status, "poll", times))

    if scenario == "success":
        return pick.flatmap(
            lambda op: st.builds(Example, upscale_requests(op), plan(op, max_pending=max_pending), st.none())
        )
    if scenario == "invalid":
        return pick.flatmap(lambda op: st.builds(Example, invalid_requests(op), st.none(), st.none()))
    if scenario == "errors":
        return pick.flatmap(
            lambda op: st.builds(Example, upscale_requests(op), plan(op), staged(op, START_ERRORS, POLL_ERRORS, None))
        )
    if scenario == "transient":
        return pick.flatmap(
            lambda op: st.builds(Example, upscale_requests(op), plan(op), staged(op, TRANSIENT, TRANSIENT, 1))
        )
    if scenario == "filtered":
        filtered = AsyncPlan(pending_polls=1, outcome=CONTENT_FILTERED)
        return pick.flatmap(lambda op: st.builds(Example, upscale_requests(op), st.just(filtered), st.none()))
    raise ValueError(f"unknown scenario {scenario!r}")


#: Text no client has a reason to shorten: long enough that a truncating client is caught.
FULL_PROMPT = "a lighthouse on a rocky shore at dusk, waves breaking, warm light in the windows"
FULL_NEGATIVE_PROMPT = "blurry, oversaturated, watermark, text, extra limbs, jpeg artefacts, low contrast, noise"


def full_request(operation: str) -> UpscaleRequest:
    """A request that sets every field the operation defines to a value that is not its default
    and not round (creativity 37% of the way through its range, to the thousandth), with a long
    negative prompt: a client that drops, rounds, clamps or truncates a field is caught by it on
    every run, not by luck."""
    chosen: dict[str, Any] = {}
    for name, prop in request_schema(operation)["properties"].items():
        if name == "image":
            continue
        if "enum" in prop:
            chosen[name] = next(value for value in reversed(prop["enum"]) if value != prop.get("default"))
        elif prop.get("type") == "integer":
            chosen[name] = min(prop.get("maximum", 10**9), 1_234_567)
        elif prop.get("type") == "number":
            low, high = prop["minimum"], prop["maximum"]
            chosen[name] = round(low + (high - low) * 0.37, 3)
        else:
            chosen[name] = FULL_NEGATIVE_PROMPT if name == "negative_prompt" else FULL_PROMPT
    return UpscaleRequest(operation, _full_image(), chosen)


@cache
def _full_image() -> ImageBytes:
    image = Image.linear_gradient("L").resize((96, 80)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    data = ImageBytes(buffer.getvalue())
    data.description = "PNG 96x80 RGB"
    return data


def explicit_examples(scenario: str, operations: list[str], async_ops: Collection[str]) -> list[Example]:
    """The examples every run of ``scenario`` tries first: for ``success``, one :func:`full_request`
    per operation (a polled one with a job answering 202 twice)."""
    if scenario != "success":
        return []
    return [
        Example(full_request(op), AsyncPlan(pending_polls=2) if op in async_ops else None, None)
        for op in sorted(operations)
    ]


def expected_output(server: LiveServer, request: UpscaleRequest) -> bytes:
    """The image a correct client returns for ``request``: the mock is deterministic, so
    rendering the request as the API defines it (spec defaults filled in) gives the answer."""
    schema = request_schema(request.operation)
    body = {name: prop["default"] for name, prop in schema["properties"].items() if "default" in prop}
    body.update(request.fields)
    upscaler = server.app.extensions[EXTENSION_KEY].upscaler
    order = order_for(request.operation_id, body, bytes(request.image))
    return bytes(upscaler.render(request.operation_id, bytes(request.image), order).data)


def run_example(example: Example, adapter: Adapter, server: LiveServer, api_key: str, min_poll_interval: float) -> Run:
    """Reset the server, stage the example's plan, run the client once, read the journal."""
    control = server.control
    control.reset()
    request = example.request
    if example.plan is not None:
        control.add_fault(operation=request.operation_id, job=example.plan.as_job())
    staged = example.staged
    if staged is not None and staged.where == "start":
        control.add_fault(operation=request.operation_id, status=staged.status, times=staged.times)
    elif staged is not None:
        for operation in POLL_OPERATION_IDS:
            control.add_fault(operation=operation, status=staged.status, times=staged.times)
    outcome = adapter.run(request, server.url, api_key)
    return Run(
        expected=expected_output(server, request) if request.broken is None else None,
        request=request,
        outcome=outcome,
        records=control.requests(),
        plan=example.plan,
        staged={"status": staged.status, "where": f"at {staged.where}"} if staged else None,
        min_poll_interval=min_poll_interval,
    )
