"""The contract: named properties every correct upscale client satisfies.

Each property belongs to a trial (what the server is made to do) and checks
one thing about a :class:`Run`: what the client returned and what the mock's
journal says it sent. Properties register themselves with :func:`contract_property`.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contract_tests.adapters import ClientOutcome
from contract_tests.image_diff import describe_difference
from contract_tests.strategies import JobPlan, UpscaleRequest, request_schema
from mockserver.errors import BadRequest
from mockserver.web.negotiation import wants_json

POLL_OPERATIONS = frozenset({"getUpscaleResult", "getUpscaleCreativeResult"})
MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class Violation(AssertionError):
    """A client broke a property; the message says how."""


@dataclass
class Run:
    """One client run: the request, what the server was told to do, what happened."""

    request: UpscaleRequest
    outcome: ClientOutcome
    records: list[dict[str, Any]]
    plan: JobPlan | None = None
    staged: dict[str, Any] | None = None
    min_poll_interval: float = 0.0
    #: The number of polls after which the client says it gives up (``None``: it never does).
    max_polls: int | None = None
    #: The image a correct client returns (for valid requests).
    expected: bytes | None = None
    #: Ids of the faults staged as the example's error (not its job plan): a record that
    #: carries one is a call the staged error answered.
    staged_faults: frozenset[str] = frozenset()

    @property
    def polls(self) -> list[dict[str, Any]]:
        return [record for record in self.records if record["method"] == "GET"]

    @property
    def fired(self) -> list[dict[str, Any]]:
        """The calls the staged error answered, as the journal recorded them."""
        return [record for record in self.records if record.get("fault") in self.staged_faults]

    @property
    def delivered(self) -> dict[str, Any] | None:
        """The image the server answered last, as the journal recorded it."""
        for record in reversed(self.records):
            if record.get("delivered"):
                return dict(record["delivered"])
        return None


@dataclass(frozen=True)
class ContractProperty:
    """A named check over runs of one trial."""

    name: str
    trial: str
    check: Callable[[Run], None]
    doc: str
    claim: str | None = None
    async_only: bool = False
    #: Why a run did not exercise the property (``None``: it did); a property that no
    #: example exercised is reported "not exercised", never "passed".
    unexercised: Callable[[Run], str | None] | None = None


PROPERTIES: dict[str, ContractProperty] = {}


def contract_property(
    name: str,
    *,
    trial: str,
    claim: str | None = None,
    async_only: bool = False,
    unexercised: Callable[[Run], str | None] | None = None,
) -> Callable[[Callable[[Run], None]], Callable[[Run], None]]:
    """Register ``check`` as property ``name``; its docstring is the property's description."""

    def register(check: Callable[[Run], None]) -> Callable[[Run], None]:
        if name in PROPERTIES:
            raise ValueError(f"property {name!r} is registered twice")
        # Reports show plain text: RST's double backticks would appear literally.
        doc = " ".join((check.__doc__ or "").split()).replace("``", "")
        PROPERTIES[name] = ContractProperty(name, trial, check, doc, claim, async_only, unexercised)
        return check

    return register


def _requests(run: Run) -> str:
    return f"{len(run.records)} request(s)"


def _never_polled(run: Run) -> str | None:
    return None if run.polls else f"the client never polled ({_requests(run)})"


def _never_polled_twice(run: Run) -> str | None:
    return None if len(run.polls) >= 2 else f"the client never polled twice ({len(run.polls)} poll(s))"


def _fault_never_fired(run: Run) -> str | None:
    if run.fired:
        return None
    staged = run.staged or {}
    return f"the staged {staged.get('status', 'error')} {staged.get('where', '')} never fired ({_requests(run)})"


def _never_filtered(run: Run) -> str | None:
    delivered = run.delivered
    if delivered is not None and delivered.get("finish_reason") == "CONTENT_FILTERED":
        return None
    return f"no CONTENT_FILTERED result was delivered ({_requests(run)})"


def _fail(message: str) -> None:
    raise Violation(message)


def _records(run: Run) -> list[dict[str, Any]]:
    """The run's requests; a client that sent none cannot be said to keep any property."""
    if not run.records:
        _fail(f"the client sent no request at all ({run.outcome.error or 'no error reported'})")
    return run.records


@contract_property("requests_valid", trial="success")
def requests_valid(run: Run) -> None:
    """Every request the client sends is valid against the API's spec."""
    for record in _records(run):
        if record["valid"] is False:
            _fail(f"{record['method']} {record['path']} was invalid: {'; '.join(record['errors'])}")


@contract_property("fields_known", trial="success")
def fields_known(run: Run) -> None:
    """Every form field the client sends is one the operation defines (a misspelt field
    is silently ignored by the API, so the client's intent is lost)."""
    known = set(request_schema(run.request.operation)["properties"])
    for record in _records(run):
        if record["method"] == "POST":
            unknown = sorted(set(record["fields"]) - known)
            if unknown:
                _fail(f"sent unknown field(s) {', '.join(unknown)}; the operation defines {', '.join(sorted(known))}")


@contract_property("fields_as_sent", trial="success")
def fields_as_sent(run: Run) -> None:
    """Every field the example asks for reaches the API with the value asked for (numbers
    compared as numbers); leaving a field out is fine only where the value asked for is
    the API's default. A rounded, clamped or truncated value changes what the live API does."""
    properties = request_schema(run.request.operation)["properties"]
    posts = [record for record in _records(run) if record["method"] == "POST"]
    if not posts:
        _fail("never sent the upscale request")
    for record in posts:
        sent, wrong = record["fields"], []
        for name, asked in run.request.fields.items():
            if name not in sent:
                default = properties.get(name, {}).get("default")
                if default is None or not _same_value(asked, str(default)):
                    wrong.append(f"left out {name} (asked for {_short(asked)}, not the API's default)")
            elif not _same_value(asked, sent[name]):
                wrong.append(f"sent {name}={_short(sent[name])} where the example asked for {_short(asked)}")
        if wrong:
            _fail("; ".join(wrong))


def _same_value(asked: Any, sent: str) -> bool:
    """``sent`` (form text) means ``asked``: numbers as numbers, anything else as text."""
    if isinstance(asked, bool) or not isinstance(asked, int | float):
        return sent == str(asked)
    try:
        return float(sent) == float(asked)
    except ValueError:
        return False


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}...' ({len(str(value)):,} chars)"


@contract_property("sends_auth", trial="success")
def sends_auth(run: Run) -> None:
    """Every request carries the API key in ``Authorization``."""
    for record in _records(run):
        if record["key"] is None:
            _fail(f"{record['method']} {record['path']} had no usable Authorization header")


@contract_property("accept_matches_parsing", trial="success")
def accept_matches_parsing(run: Run) -> None:
    """The ``Accept`` header asks for a form the API serves, and the client parses
    what it asked for (it returns image bytes, not the JSON envelope)."""
    asked = MEDIA_TYPES[str(run.request.fields.get("output_format", "png"))]
    for record in _records(run):
        accept = record["headers"].get("accept")
        if accept is not None and not accept_serves(accept, _media_type_of(record, asked)):
            _fail(f"sent Accept: {accept!r}, which asks for neither image/* nor application/json")
    output = run.outcome.output or b""
    if output.lstrip()[:1] == b"{":
        _fail("returned a JSON document as the image: the envelope was not decoded")


def accept_serves(accept: str, image_media_type: str) -> bool:
    """Whether the API serves ``image_media_type`` (raw or as its JSON envelope) to ``accept``.

    Judged by the server's own RFC 9110 negotiation, so the suite and the mock never
    disagree about a header (Werkzeug's ``MIMEAccept`` refused ``application/json;
    type=image/png``, the form the API itself labels its JSON answers with).
    """
    try:
        wants_json(accept, image_media_type)
    except BadRequest:
        return False
    return True


def _media_type_of(record: dict[str, Any], asked: str) -> str:
    """The image type a call negotiated over: the form's ``output_format`` on a start, else what was asked."""
    output_format = (record.get("fields") or {}).get("output_format")
    return MEDIA_TYPES.get(str(output_format), asked)


@contract_property("returns_exact_image", trial="success")
def returns_exact_image(run: Run) -> None:
    """The client returns exactly the image bytes the server produced (the mock is
    deterministic, so the suite knows the answer)."""
    if not run.outcome.ok:
        _fail(f"the client failed on a request the server answers: {run.outcome.error}")
    delivered = run.delivered
    if delivered is None:
        _fail("the server never delivered an image: the client did not reach the result")
        return
    output = run.outcome.output or b""
    if run.expected is not None and output != run.expected:
        asked = run.request.fields.get("output_format", "png")
        got = delivered["media_type"] if hashlib.sha256(output).hexdigest() == delivered["sha256"] else "other bytes"
        _fail(
            f"returned {len(output):,} bytes ({got}) that are not the {len(run.expected):,}-byte image/{asked} "
            f"the request asks for: {describe_difference(run.expected, output)}"
        )
    if hashlib.sha256(output).hexdigest() != delivered["sha256"]:
        expected = f"{delivered['bytes']:,} bytes of {delivered['media_type']}"
        _fail(f"returned {len(output):,} bytes that are not the {expected} the server delivered")


@contract_property("polls_until_done", trial="success", async_only=True)
def polls_until_done(run: Run) -> None:
    """Async: the client keeps polling through every 202 (dozens of them, or a job that takes
    its time) and stops at the result; a client with a poll limit declares it (``max_polls``)
    and gives up after exactly that many polls, reporting a failure."""
    polls, limit = run.polls, run.max_polls
    if not polls:
        _fail("never polled for the result")
    if limit is not None and len(polls) > limit:
        _fail(f"polled {len(polls)} times, though it declares max_polls={limit}")
    if polls[-1]["status"] != 202:
        return
    if limit is None:
        _fail(
            f"stopped polling after {len(polls)} poll(s), all answered 202 (in progress); "
            "a client that gives up must declare its limit (max_polls, --max-polls)"
        )
        return
    if len(polls) < limit:
        _fail(f"gave up after {len(polls)} poll(s), all answered 202, though it declares max_polls={limit}")
    if run.outcome.ok:
        _fail(f"gave up after {limit} polls answered 202, yet reported success")


@contract_property("polls_real_path", trial="success", async_only=True, unexercised=_never_polled)
def polls_real_path(run: Run) -> None:
    """Async: polls go to a real results path (``/v2beta/results/{id}`` or the legacy one)
    with the generation id the server answered."""
    started = [r["generation_id"] for r in run.records if r["method"] == "POST" and r["status"] == 200]
    for record in run.polls:
        if record["operation"] not in POLL_OPERATIONS:
            _fail(f"polled {record['path']}, which is not a results path")
        if started and record["generation_id"] != started[-1]:
            _fail(f"polled id {record['generation_id']!r}, not the generation id {started[-1]!r}")


@contract_property("poll_interval", trial="success", async_only=True, unexercised=_never_polled_twice)
def poll_interval(run: Run) -> None:
    """Async: the client does not poll faster than the minimum interval
    (``--min-poll-interval``; the live API asks for 10 s)."""
    times = [record["timestamp"] for record in run.polls]
    for earlier, later in itertools.pairwise(times):
        if later - earlier < run.min_poll_interval * 0.95:
            _fail(f"polled {later - earlier:.3f} s after the previous poll (minimum {run.min_poll_interval:g} s)")


@contract_property("rejects_invalid_input", trial="invalid")
def rejects_invalid_input(run: Run) -> None:
    """Given input the API refuses (400, 413), the client reports a failure and hands back
    no image, whether it checks locally or the server refuses."""
    _no_success(run, f"the request was invalid ({run.request.broken})")


@contract_property("errors_surface", trial="errors", unexercised=_fault_never_fired)
def errors_surface(run: Run) -> None:
    """API errors (401, 404, 413, 429, 500…) surface as failures: an exception or a
    non-zero exit, and no image or partial output file."""
    staged = run.staged or {}
    where = f"{staged.get('status', 'an error')} {staged.get('where', '')}".strip()
    missed = _fault_never_fired(run)
    _no_success(run, f"the server answered {where}" if missed is None else missed)


#: After a 429 or 5xx a client waits at least this long before its next call (at most 10 calls a second).
MIN_RETRY_GAP = 0.1


@contract_property("retries_transient", trial="transient", claim="retries", unexercised=_fault_never_fired)
def retries_transient(run: Run) -> None:
    """Claimed: one 429 or 5xx is retried and the client still returns the image, waiting
    as long as ``Retry-After`` says (the suite's 429 says 1 s) and never hammering: after
    a 429 or 5xx the next call comes at least 0.1 s later (at most 10 calls a second)."""
    returns_exact_image(run)
    records = run.records
    missed = _fault_never_fired(run)
    if missed is not None:
        _fail(f"{missed}, yet the client returned the image")
    for answered, following in itertools.pairwise(records):
        if answered["status"] not in (429, 500, 502, 503, 504):
            continue
        gap = following["timestamp"] - following["duration_ms"] / 1000 - answered["timestamp"]
        retry_after = (run.staged or {}).get("retry_after") if answered["status"] == 429 else None
        if retry_after and gap < retry_after * 0.95:
            _fail(f"called again {gap:.3f} s after a 429 that said Retry-After: {retry_after}")
        if gap < MIN_RETRY_GAP * 0.95:
            _fail(f"called again {gap:.3f} s after a {answered['status']} (at least {MIN_RETRY_GAP:g} s between calls)")


@contract_property("honours_content_filtered", trial="filtered", claim="content_filtered", unexercised=_never_filtered)
def honours_content_filtered(run: Run) -> None:
    """Claimed: a result with ``finish-reason: CONTENT_FILTERED`` is reported as such
    (a failure), not handed back as a good image: a polled result, and an answer given
    at once (a filtered prompt)."""
    missed = _never_filtered(run)
    _no_success(run, "the result was CONTENT_FILTERED" if missed is None else missed)


def _no_success(run: Run, why: str) -> None:
    if run.outcome.ok:
        returned = f"{len(run.outcome.output or b''):,} bytes" if run.outcome.output is not None else "nothing"
        _fail(f"{why}, yet the client reported success (returned {returned})")
    if run.outcome.wrote_output:
        _fail(f"{why}, yet the client wrote {len(run.outcome.output or b''):,} bytes of output")
