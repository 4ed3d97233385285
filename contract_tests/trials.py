"""Trials: what the server is staged to do for each kind of property, and how one example runs.

Named apart from ``mockserver/control/scenario.py``, which is a YAML file of trouble staged
when the mock starts, not a test situation.
"""

from __future__ import annotations

import io
from collections.abc import Collection
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from hypothesis import strategies as st
from PIL import Image

from contract_tests.adapters import Adapter
from contract_tests.properties import Run
from contract_tests.server import LiveServer
from contract_tests.strategies import (
    ImageBytes,
    JobPlan,
    UpscaleRequest,
    async_plans,
    invalid_requests,
    request_schema,
    upscale_requests,
)
from mockserver.imaging.upscaler import order_for
from mockserver.models import CONTENT_FILTERED
from mockserver.services import services_of

POLL_OPERATION_IDS = ("getUpscaleResult", "getUpscaleCreativeResult")
START_ERRORS = (401, 403, 413, 429, 500, 503)
POLL_ERRORS = (401, 404, 429, 500, 503)
TRANSIENT = (429, 500, 503)
#: Where a staged error answers: the call that submits the job, or a poll for its result
#: (a claim may name one: ``retries:submit``, ``retries:poll``).
SUBMIT, POLL = "submit", "poll"
PHASES = (SUBMIT, POLL)
#: The Retry-After of the fixed transient 429: short, so runs stay quick, yet long enough to
#: tell a client that waits from one that does not (the live API says 60). Generated 429s
#: say 0, so that only one wait per run is spent on it.
RETRY_AFTER = 1
#: Plans of ``polls_until_done``'s fixed examples: dozens of 202s, and a job that is done
#: by time rather than by count (a client polling every 10 ms sees ~20 202s).
LONG_PENDING_POLLS = 24
TIMED_JOB_SECONDS = 0.25
#: A declared poll limit above this is not exercised to the end (it would take too long).
MAX_CHECKED_POLL_LIMIT = 100
#: A prompt word the suite's mock filters (its ``filter_words`` setting), so that an operation
#: answering at once comes back CONTENT_FILTERED as a polled one does with a filtered job.
FILTER_WORD = "contractfiltered"


@dataclass(frozen=True)
class Staged:
    """An error the server answers: its status, and whether at the start or at a poll."""

    status: int
    where: str
    times: int | None = None
    #: ``Retry-After`` seconds of a staged 429 (``None``: the mock's default, 60).
    retry_after: int | None = None

    def __repr__(self) -> str:
        repeat = "every time" if self.times is None else f"{self.times} time(s)"
        wait = f", Retry-After {self.retry_after} s" if self.retry_after is not None else ""
        return f"Staged({self.status} at {self.where}, {repeat}{wait})"

    def as_fault(self) -> dict[str, Any]:
        """The fault's fields besides its operation."""
        fault: dict[str, Any] = {"status": self.status, "times": self.times}
        if self.retry_after is not None:
            fault["retry_after"] = self.retry_after
        return fault


@dataclass(frozen=True)
class Example:
    """One generated case: the request, the async plan, the staged error."""

    request: UpscaleRequest
    plan: JobPlan | None = None
    staged: Staged | None = None
    #: The mock filters prompts with :data:`FILTER_WORD` (the request's prompt has it).
    filter_prompt: bool = False

    def __repr__(self) -> str:
        parts = [repr(self.request)]
        if self.plan is not None:
            parts.append(repr(self.plan))
        if self.staged is not None:
            parts.append(repr(self.staged))
        if self.filter_prompt:
            parts.append(f"filter_words=[{FILTER_WORD!r}]")
        return ", ".join(parts)


def without_fields(example: Example, names: Collection[str]) -> Example | None:
    """``example`` with the fields ``names`` left out of its request (a client known not to
    support them is then judged on the rest); ``None`` when what it breaks is one of them."""
    request = example.request
    if not names:
        return example
    if request.broken and set(request.broken.split()) & set(names):
        return None
    kept = {name: value for name, value in request.fields.items() if name not in names}
    return replace(example, request=replace(request, fields=kept))


def filterable(operations: Collection[str], async_ops: Collection[str]) -> list[str]:
    """The operations whose answer can be CONTENT_FILTERED: a polled job, or a prompt the mock filters."""
    return sorted(op for op in operations if op in async_ops or "prompt" in request_schema(op)["properties"])


def _with_filtered_prompt(request: UpscaleRequest) -> UpscaleRequest:
    prompt = f"{request.fields.get('prompt', '')} {FILTER_WORD}".strip()
    return UpscaleRequest(request.operation, request.image, {**request.fields, "prompt": prompt})


def strategy_for(
    trial: str,
    operations: list[str],
    max_pending: int,
    async_ops: Collection[str],
    phases: Collection[str] = PHASES,
) -> st.SearchStrategy[Example]:
    """The examples of one trial over the client's operations; ``async_ops`` are polled ones, and
    the ``transient`` trial stages its error only in ``phases`` (a poll only on a polled operation)."""
    pick = st.sampled_from(sorted(operations))

    def plan(op: str, **options: Any) -> st.SearchStrategy[JobPlan | None]:
        return async_plans(**options) if op in async_ops else st.none()

    def staged(
        op: str,
        statuses: tuple[int, ...],
        poll_statuses: tuple[int, ...],
        times: int | None,
        retry_after: int,
        where: Collection[str] = PHASES,
    ) -> Any:
        def at(where: str) -> Any:
            return lambda status: Staged(status, where, times, retry_after if status == 429 else None)

        choices = [st.sampled_from(statuses).map(at("start"))] if SUBMIT in where else []
        if op in async_ops and POLL in where:
            choices.append(st.sampled_from(poll_statuses).map(at("poll")))
        return st.one_of(choices)

    if trial == "success":
        return pick.flatmap(
            lambda op: st.builds(Example, upscale_requests(op), plan(op, max_pending=max_pending), st.none())
        )
    if trial == "invalid":
        return pick.flatmap(lambda op: st.builds(Example, invalid_requests(op), st.none(), st.none()))
    if trial == "errors":
        return pick.flatmap(
            lambda op: st.builds(
                Example, upscale_requests(op), plan(op), staged(op, START_ERRORS, POLL_ERRORS, None, 0)
            )
        )
    if trial == "transient":
        return pick.flatmap(
            lambda op: st.builds(
                Example, upscale_requests(op), plan(op), staged(op, TRANSIENT, TRANSIENT, 1, 0, phases)
            )
        )
    if trial == "filtered":
        filtered = JobPlan(pending_polls=1, outcome=CONTENT_FILTERED)

        def filtered_example(op: str) -> st.SearchStrategy[Example]:
            if op in async_ops:
                return st.builds(Example, upscale_requests(op), st.just(filtered), st.none())
            return upscale_requests(op).map(lambda request: Example(_with_filtered_prompt(request), filter_prompt=True))

        return pick.flatmap(filtered_example)
    raise ValueError(f"unknown trial {trial!r}")


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


#: The properties that try a :func:`full_request` per operation after their generated examples.
FULL_REQUEST_PROPERTIES = frozenset({"fields_as_sent", "returns_exact_image"})


def explicit_examples(
    name: str,
    trial: str,
    operations: list[str],
    async_ops: Collection[str],
    *,
    max_polls: int | None = None,
    phases: Collection[str] = PHASES,
) -> list[Example]:
    """The fixed examples property ``name`` (of ``trial``) tries after its generated ones.

    ``fields_as_sent`` and ``returns_exact_image``: one :func:`full_request` per operation
    (a polled one answering 202 twice). ``polls_until_done``: per polled operation, a job
    answering 202 dozens of times (one fewer than a declared ``max_polls``), one done by
    time, and, for a declared limit, one that never finishes (the client must give up after
    exactly ``max_polls`` polls). ``transient``: in each of ``phases``, a 429 with a short
    ``Retry-After``, then a 503: on submitting the first operation, on polling the first polled one.
    """
    ordered = sorted(operations)
    if trial == "transient":
        examples = []
        polled = [op for op in ordered if op in async_ops]
        for where, chosen in (
            ("start", ordered if SUBMIT in phases else []),
            ("poll", polled if POLL in phases else []),
        ):
            if not chosen:
                continue
            first, plan = chosen[0], JobPlan(1 if where == "poll" else 0) if chosen[0] in async_ops else None
            required = {"prompt": FULL_PROMPT} if "prompt" in request_schema(first).get("required", ()) else {}
            plain = UpscaleRequest(first, _full_image(), required)
            examples += [
                Example(plain, plan, Staged(429, where, 1, RETRY_AFTER)),
                Example(plain, plan, Staged(503, where, 1)),
            ]
        return examples
    if name in FULL_REQUEST_PROPERTIES:
        return [Example(full_request(op), JobPlan(pending_polls=2) if op in async_ops else None) for op in ordered]
    if name != "polls_until_done":
        return []
    examples = []
    long = LONG_PENDING_POLLS if max_polls is None else min(LONG_PENDING_POLLS, max_polls - 1)
    for op in (op for op in ordered if op in async_ops):
        examples.append(Example(full_request(op), JobPlan(pending_polls=long)))
        examples.append(Example(full_request(op), JobPlan(pending_polls=0, job_seconds=TIMED_JOB_SECONDS)))
        if max_polls is not None and max_polls <= MAX_CHECKED_POLL_LIMIT:
            examples.append(Example(full_request(op), JobPlan(pending_polls=None)))
    return examples


def expected_output(server: LiveServer, request: UpscaleRequest) -> bytes:
    """The image a correct client returns for ``request``: the mock is deterministic, so
    rendering the request as the API defines it (spec defaults filled in) gives the answer."""
    schema = request_schema(request.operation)
    body = {name: prop["default"] for name, prop in schema["properties"].items() if "default" in prop}
    body.update(request.fields)
    upscaler = services_of(server.app).upscaler
    order = order_for(request.operation_id, body, bytes(request.image))
    return bytes(upscaler.render(request.operation_id, bytes(request.image), order).data)


def run_example(
    example: Example,
    adapter: Adapter,
    server: LiveServer,
    api_key: str,
    min_poll_interval: float,
    max_polls: int | None = None,
    base_url: str | None = None,
) -> Run:
    """Reset the server, stage the example's plan, run the client once, read the journal.

    ``base_url`` is what the client is given (by default the server's own URL; behind
    the intercepting proxy, the live API's)."""
    control = server.control
    control.reset()
    request = example.request
    if example.plan is not None:
        control.add_fault(operation=request.operation_id, job=example.plan.as_job())
    if example.filter_prompt:
        control.update_settings(filter_words=[FILTER_WORD])
    staged = example.staged
    staged_faults: list[str] = []
    if staged is not None:
        where = (request.operation_id,) if staged.where == "start" else POLL_OPERATION_IDS
        staged_faults = [control.add_fault(operation=operation, **staged.as_fault()).id for operation in where]
    outcome = adapter.run(request, base_url or server.url, api_key)
    return Run(
        expected=expected_output(server, request) if request.broken is None else None,
        request=request,
        outcome=outcome,
        records=control.requests(),
        plan=example.plan,
        staged={"status": staged.status, "where": f"at {staged.where}", "retry_after": staged.retry_after}
        if staged
        else None,
        min_poll_interval=min_poll_interval,
        max_polls=max_polls,
        staged_faults=frozenset(staged_faults),
    )
