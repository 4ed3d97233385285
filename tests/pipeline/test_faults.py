"""What a staged fault does to the call it fires on: its error and headers, its delay, its transport fault."""

from __future__ import annotations

from mockserver import MemoryStore
from mockserver.errors import ApiError
from mockserver.models import Fault
from mockserver.pipeline.faults import TransportFault, for_call
from mockserver.settings.runtime import RuntimeSettings

STATUSES = (200, 400, 429, 500, 503)


def answer(fault: Fault) -> ApiError:
    error = fault.api_error()
    assert error is not None
    return error


def test_a_staged_error_says_its_message_and_nothing_else() -> None:
    error = answer(Fault(status=500, message="the GPU caught fire"))
    assert (error.status, error.errors, error.headers) == (500, ["the GPU caught fire"], {})
    assert answer(Fault(status=500)).errors != ["the GPU caught fire"]
    assert Fault().api_error() is None


def test_retry_after_is_the_staged_seconds_else_60_on_a_429_only() -> None:
    assert answer(Fault(status=429)).headers == {"Retry-After": "60"}
    assert answer(Fault(status=429, retry_after=7)).headers == {"Retry-After": "7"}
    assert answer(Fault(status=503, retry_after=0)).headers == {"Retry-After": "0"}
    assert answer(Fault(status=503)).headers == {}
    assert answer(Fault(status=500)).headers == {}


def test_latency_is_exact_without_jitter() -> None:
    assert Fault(latency_ms=250).delay_seconds() == 0.25
    assert Fault().delay_seconds() == 0


def test_jitter_adds_up_to_its_milliseconds_and_replays_exactly() -> None:
    delays = [Fault(latency_ms=100, jitter_ms=1, seed=seed, id="f").delay_seconds() for seed in range(20)]
    assert all(0.1 <= delay < 0.101 for delay in delays)
    assert len(set(delays)) > 1
    assert Fault(latency_ms=100, jitter_ms=1, seed=3, id="f").delay_seconds() == delays[3]
    fired = Fault(latency_ms=100, jitter_ms=50, seed=3, id="f", fired=1).delay_seconds()
    assert fired != Fault(latency_ms=100, jitter_ms=50, seed=3, id="f").delay_seconds()


def test_a_cutting_transport_fault_replaces_the_answer_with_its_stall() -> None:
    store = MemoryStore()
    store.add_fault(Fault(transport="stall", stall_seconds=7))
    outcome = for_call(store, RuntimeSettings(), "upscaleImageFast", STATUSES, prefer=None, request_text="", body=b"")
    assert isinstance(outcome.replacement, TransportFault)
    assert (outcome.replacement.transport, outcome.replacement.stall_seconds) == ("stall", 7)
    assert str(outcome.replacement) == "staged transport fault: stall"
    assert TransportFault("reset").stall_seconds == 30


def test_prefer_picks_the_error_and_still_uses_up_the_queued_fault() -> None:
    store = MemoryStore()
    store.add_fault(Fault(latency_ms=20))
    outcome = for_call(
        store, RuntimeSettings(), "upscaleImageFast", STATUSES, prefer="code=429", request_text="", body=b""
    )
    assert isinstance(outcome.replacement, ApiError)
    assert outcome.replacement.status == 429
    assert outcome.delay_seconds == 0.02
    assert store.list_faults() == []


def test_configured_jitter_is_seeded_by_the_request() -> None:
    settings = RuntimeSettings(latency_ms=100, jitter_ms=50)

    def delay(request_text: str) -> float:
        return for_call(
            MemoryStore(), settings, "upscaleImageFast", STATUSES, prefer=None, request_text=request_text, body=b"x"
        ).delay_seconds

    assert delay("POST /a") == delay("POST /a")
    assert delay("POST /a") != delay("POST /b")
    assert all(0.1 <= delay(f"POST /{n}") <= 0.15 for n in range(10))


def prefer(code: str) -> Exception | None:
    return for_call(
        MemoryStore(), RuntimeSettings(), "upscaleImageFast", STATUSES, prefer=code, request_text="", body=b""
    ).replacement


def test_prefer_for_a_status_the_operation_never_answers_is_a_400_naming_what_it_answers() -> None:
    refused = prefer("code=404")
    assert isinstance(refused, ApiError)
    assert (refused.status, refused.errors) == (
        400,
        ["prefer: upscaleImageFast never answers 404; it answers 200, 400, 429, 500, 503"],
    )


def test_prefer_for_a_success_changes_nothing() -> None:
    assert prefer("code=200") is None
    assert prefer("code=202") is None


def test_configured_latency_is_exact_and_jitter_stays_under_its_milliseconds() -> None:
    def delay(settings: RuntimeSettings) -> float:
        return for_call(
            MemoryStore(), settings, "upscaleImageFast", STATUSES, prefer=None, request_text="POST /", body=b""
        ).delay_seconds

    assert delay(RuntimeSettings(latency_ms=1000)) == 1.0
    assert 0 <= delay(RuntimeSettings(jitter_ms=1)) < 0.001
