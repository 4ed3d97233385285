"""Run the contract against one client: each property over generated examples, shrunk on failure."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, reject, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.configuration import set_hypothesis_home_dir, storage_directory

from contract_tests.adapters import Adapter, CommandAdapter
from contract_tests.properties import PROPERTIES, ContractProperty, Run, Violation
from contract_tests.reach import Reach, environment, reaching, tls_context
from contract_tests.server import LiveServer
from contract_tests.strategies import OPERATIONS, JobPlan, async_operations, request_schema
from contract_tests.trials import (
    PHASES,
    POLL,
    Example,
    explicit_examples,
    filterable,
    full_request,
    run_example,
    strategy_for,
    without_fields,
)
from mockserver import Config
from mockserver.interception.ca import LocalCA
from mockserver.settings.profiles import PROFILES, SEED

PASSED, FAILED, NOT_COVERED, SKIPPED = "passed", "failed", "not covered", "skipped"
#: Every example kept the property, but none reached what it is about (a poll, a staged error).
NOT_EXERCISED = "not exercised"
API_KEY = "sk-contract-suite"
#: Trials whose correct outcome is a failure: no image is "expected" of the client.
FAILURE_TRIALS = frozenset({"invalid", "errors", "filtered"})
#: Where hypothesis keeps what it caches between runs (its Unicode tables), unless the user says.
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "stability-mock" / "hypothesis"


@dataclass(frozen=True)
class SuiteOptions:
    """How thoroughly and what to check."""

    operations: Collection[str] = OPERATIONS
    max_examples: int = 10
    seed: int = 0
    min_poll_interval: float = 0.0
    claims: Collection[str] = ()
    only: Collection[str] = ()
    max_pending_polls: int = 3
    #: The client gives up after this many polls answered 202 (``None``: what the client
    #: declares with a ``max_polls`` attribute, if anything); the suite holds it to exactly that.
    max_polls: int | None = None
    #: The API the suite's mock plays (``seed`` or ``live``): which operations are polled follows it.
    profile: str = SEED
    #: A property no example exercised fails the run unless this is set (it is reported either way).
    allow_unexercised: bool = False
    #: Serve the mock over TLS with a CA made for the run (the client is told to trust it).
    tls: bool = False
    #: Put the mock behind the intercepting proxy: the client keeps ``https://api.stability.ai``
    #: and is handed ``HTTPS_PROXY`` and the CA.
    proxy: bool = False
    #: Optional fields no example sends (the client is known not to support them), so that one
    #: missing field does not hide every other finding; reported with the results, never silent.
    skip_fields: Collection[str] = ()
    #: hypothesis' own folder (it caches Unicode tables there), instead of ``.hypothesis/`` in the
    #: working folder (``None``: :data:`DEFAULT_CACHE_DIR`); its example database stays off, so a
    #: run is repeated by its ``seed``.
    cache_dir: Path | None = None


@dataclass
class PropertyResult:
    """The verdict on one property."""

    name: str
    doc: str
    status: str
    examples: int = 0
    #: Examples that reached what the property is about (for a property that says so).
    exercised: int = 0
    seconds: float = 0.0
    message: str = ""
    example: str = ""
    operations: list[str] = field(default_factory=list)
    #: For a failure: the journal records of the run that failed (its minimal example), oldest first.
    trail: list[dict[str, Any]] = field(default_factory=list)
    #: For a failure: ``input``, ``expected`` (where a correct client returns an image) and
    #: ``returned`` image bytes (``None``: there was none).
    images: dict[str, bytes | None] = field(default_factory=dict)
    #: For a failure: what the client said (its exception, or a command's stderr), if anything.
    client_output: str = ""


def contract_server(profile: str = SEED, *, ca: LocalCA | None = None) -> LiveServer:
    """The suite's own mock: in memory, small outputs (clients don't care about size); over TLS with ``ca``."""
    return LiveServer.for_config(
        Config(profile=profile, store="memory://", target_pixels=128 * 128, journal_size=10_000),
        ssl_context=tls_context(ca) if ca is not None else None,
    )


class ContractRunner:
    """Checks every property of the contract against one adapter."""

    def __init__(
        self,
        adapter: Adapter,
        options: SuiteOptions | None = None,
        *,
        progress: Callable[[str], None] | None = None,
        on_example: Callable[[str, int], None] | None = None,
    ) -> None:
        """``progress`` gets a line as each property starts and ends; ``on_example`` the property's
        name and its examples done so far, after each example (for a live counter)."""
        self.adapter = adapter
        self.options = options or SuiteOptions()
        self.progress = progress or (lambda _line: None)
        self.on_example = on_example or (lambda _name, _done: None)
        #: Operations the client turned out not to have (a command that exits 64 for them).
        self.lacking: set[str] = set()
        unknown = set(self.options.operations) - set(OPERATIONS)
        if unknown:
            raise ValueError(f"unknown operation(s): {', '.join(sorted(unknown))}")
        if self.options.max_polls is not None and self.options.max_polls < 1:
            raise ValueError("max_polls must be at least 1")
        if self.options.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.options.profile!r}; choose one of: {', '.join(PROFILES)}")
        unknown_properties = set(self.options.only) - set(PROPERTIES)
        if unknown_properties:
            raise ValueError(f"unknown propert(y/ies): {', '.join(sorted(unknown_properties))}")
        _check_skip_fields(self.options.skip_fields, self.options.operations)

    @property
    def max_polls(self) -> int | None:
        """The poll limit the client is held to: the option's, else the client's own."""
        return self.options.max_polls or self.adapter.max_polls

    def run(self) -> list[PropertyResult]:
        selected = [p for p in PROPERTIES.values() if not self.options.only or p.name in self.options.only]
        try:
            with contextlib.ExitStack() as stack:
                ca = None
                if self.options.tls or self.options.proxy:
                    ca = LocalCA(Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="stability-contract-"))))
                server = stack.enter_context(contract_server(self.options.profile, ca=ca if self.options.tls else None))
                reach = stack.enter_context(reaching(server, ca, proxy=self.options.proxy))
                stack.enter_context(environment(reach.environ))
                stack.enter_context(_hypothesis_home(self.options.cache_dir or DEFAULT_CACHE_DIR))
                self.lacking = self._probe_lacking(server, reach)
                return [self._check(prop, server, reach) for prop in selected]
        finally:
            close = getattr(self.adapter, "close", None)
            if callable(close):
                close()

    def _probe_lacking(self, server: LiveServer, reach: Reach) -> set[str]:
        """The operations a command says it lacks, asked once each with a full request: a command
        has no methods to look at, so its exit status tells (a Python client's are looked up)."""
        if not isinstance(self.adapter, CommandAdapter):
            return set()
        async_ops = async_operations(self.options.profile)
        lacking = set()
        for op in sorted(self.offered()):
            plan = JobPlan(pending_polls=0) if op in async_ops else None
            probe = Example(full_request(op), plan)
            if run_example(
                probe, self.adapter, server, API_KEY, 0.0, self.max_polls, reach.base_url
            ).outcome.unsupported:
                lacking.add(op)
        return lacking

    def offered(self) -> set[str]:
        """The operations checked: the client's (less those it turned out to lack) among those asked for."""
        return (set(self.adapter.operations()) - self.lacking) & set(self.options.operations)

    def _operations_for(self, prop: ContractProperty, phases: tuple[str, ...]) -> list[str]:
        offered = self.offered()
        if prop.async_only or phases == (POLL,):
            offered &= async_operations(self.options.profile)
        if prop.trial == "filtered":
            offered &= set(filterable(offered, async_operations(self.options.profile)))
        return sorted(offered)

    def _phases(self, prop: ContractProperty) -> tuple[str, ...]:
        """The phases a property is checked in: every one, unless the client claims it for some
        (``retries:submit``); none of them when it is claimed for none."""
        claims = set(self.adapter.claims) | set(self.options.claims)
        if prop.claim is None or prop.claim in claims:
            return PHASES
        return tuple(phase for phase in PHASES if f"{prop.claim}:{phase}" in claims)

    def _uncovered(self, prop: ContractProperty, phases: tuple[str, ...]) -> str:
        """Why no operation of the client is checked for ``prop``, in the client's own terms."""
        offered = sorted(self.offered())
        if not offered:
            return "the client offers none of the operations checked (--operations)"
        if prop.trial == "filtered":
            return f"none of the client's operations ({', '.join(offered)}) can answer CONTENT_FILTERED"
        claim = f" (claimed for {', '.join(phases)} only)" if phases != PHASES else ""
        profile = self.options.profile
        return f"none of the client's operations ({', '.join(offered)}) is polled under --profile {profile}{claim}"

    def _check(self, prop: ContractProperty, server: LiveServer, reach: Reach) -> PropertyResult:
        result = PropertyResult(prop.name, prop.doc, PASSED)
        phases = self._phases(prop)
        operations = self._operations_for(prop, phases)
        result.operations = operations
        if not operations:
            result.status, result.message = NOT_COVERED, self._uncovered(prop, phases)
        elif not phases:
            result.status, result.message = SKIPPED, f"not claimed (--claim {prop.claim})"
        elif prop.name == "poll_interval" and not self.options.min_poll_interval:
            result.status, result.message = SKIPPED, "--min-poll-interval not set"
        if result.status != PASSED:
            self.progress(_line(result))
            return result
        self.progress(f"  ...  {prop.name} [{', '.join(operations)}]")
        started = time.monotonic()
        failures: list[tuple[Example, str, Run]] = []
        async_ops = async_operations(self.options.profile)
        strategy = strategy_for(prop.trial, operations, self.options.max_pending_polls, async_ops, phases)

        missed: Counter[str] = Counter()

        def attempt(generated: Example) -> None:
            example = without_fields(generated, self.options.skip_fields)
            if example is None:
                reject()
            result.examples += 1
            run = run_example(
                example, self.adapter, server, API_KEY, self.options.min_poll_interval, self.max_polls, reach.base_url
            )
            why = prop.unexercised(run) if prop.unexercised is not None else None
            if why is None:
                result.exercised += 1
            else:
                missed[why] += 1
            try:
                prop.check(run)
            except Violation as violation:
                failures.append((example, str(violation), run))
                raise
            finally:
                self.on_example(prop.name, result.examples)

        generated = settings(
            max_examples=self.options.max_examples,
            database=None,
            deadline=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
            verbosity=Verbosity.quiet,
        )(hypothesis_seed(self.options.seed)(given(strategy)(attempt)))
        try:
            generated()
            # Generated examples find bugs and shrink them; the fixed ones then make sure that a
            # bug in a field's value, a long wait or a Retry-After is found on every run.
            known_examples = explicit_examples(
                prop.name, prop.trial, operations, async_ops, max_polls=self.max_polls, phases=phases
            )
            for known in known_examples:
                attempt(known)
        except Violation:
            example, message, run = failures[-1]
            result.status, result.message, result.example = FAILED, message, repr(example)
            result.trail = run.records
            result.client_output = run.outcome.error or ""
            result.images = {"input": bytes(run.request.image)}
            if prop.trial not in FAILURE_TRIALS:
                result.images["expected"] = run.expected
            result.images["returned"] = run.outcome.output
        if result.status == PASSED and not result.exercised and missed:
            why, _count = missed.most_common(1)[0]
            result.status = NOT_EXERCISED
            result.message = f"no example exercised it: {why}"
        result.seconds = time.monotonic() - started
        self.progress(_line(result))
        return result


@contextlib.contextmanager
def _hypothesis_home(folder: Path) -> Iterator[None]:
    """hypothesis writes under ``folder`` while the suite runs, then where it did before (a user's
    own hypothesis tests in the same process keep their folder)."""
    before = storage_directory(intent_to_write=False).home_directory
    set_hypothesis_home_dir(folder)
    try:
        yield
    finally:
        set_hypothesis_home_dir(before)


def _check_skip_fields(names: Collection[str], operations: Collection[str]) -> None:
    """Only optional fields of the operations checked can be left out: without a required one
    (or the image) no request is valid, and a misspelt name would silently skip nothing."""
    for name in names:
        schemas = [request_schema(op) for op in operations]
        if name == "image" or any(name in schema.get("required", ()) for schema in schemas):
            raise ValueError(f"--skip-field {name}: a required field cannot be skipped")
        if not any(name in schema["properties"] for schema in schemas):
            raise ValueError(f"--skip-field {name}: none of the operations checked has that field")


def _line(result: PropertyResult) -> str:
    mark = {PASSED: "PASS", FAILED: "FAIL", NOT_COVERED: "N/C ", SKIPPED: "SKIP", NOT_EXERCISED: "N/E "}[result.status]
    text = f"  {mark} {result.name}"
    if result.status == PASSED:
        text += f" ({result.examples} examples, {result.seconds:.1f} s)"
    elif result.status == FAILED:
        text += f"\n         {result.message}\n         minimal example: {result.example}"
    else:
        text += f": {result.message}"
    return text


def succeeded(results: list[PropertyResult], *, allow_unexercised: bool = False) -> bool:
    """True when no covered property failed or went unexercised (unless allowed), and one passed."""
    refused = {FAILED} if allow_unexercised else {FAILED, NOT_EXERCISED}
    return not any(r.status in refused for r in results) and any(r.status == PASSED for r in results)
