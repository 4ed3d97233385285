"""Cold start: openapi-core is imported only when a request needs it, and warmed in the background.

A fresh interpreter is needed to see what is imported (this test process has
openapi-core already), so the in-process checks run in a subprocess. No timings
here: ``python -m bench.compare.cold_start`` measures them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from bench.harness.server import running_server
from mockserver.serving.warmup import Traffic, warm_after_first_answer
from mockserver.util.deferred import Deferred
from tests.conftest import ROOT
from tests.images import png

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

FAST_PATH = "/v2beta/stable-image/upscale/fast"
AUTH = {"Authorization": "Bearer sk-cold-start"}
GIF_ERRORS = ["output_format: must be one of: jpeg, png, webp"]

IN_A_FRESH_PROCESS = """
import io, json, sys

from mockserver import Config, create_app
from PIL import Image

AUTH = {"Authorization": "Bearer sk-cold-start"}


def upload(output_format, **more):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(buffer, "PNG")
    data = {"image": (io.BytesIO(buffer.getvalue()), "in.png", "image/png"), "output_format": output_format, **more}
    return client.post("/v2beta/stable-image/upscale/fast", data=data, headers=AUTH)


def loaded():
    return sorted({name.split(".")[0] for name in sys.modules} & {"openapi_core", "jsonschema", "pydantic"})


client = create_app(Config(store="memory://")).test_client()
seen = {"at start": loaded()}
fast = upload("png")
seen["fast"] = [fast.status_code, fast.mimetype]
creative = client.post(
    "/v2beta/stable-image/upscale/creative",
    data={"image": (io.BytesIO(fast.data), "in.png", "image/png"), "prompt": "a sunny day"},
    headers=AUTH,
)
poll = client.get("/v2beta/results/" + creative.get_json()["id"], headers=AUTH)
seen["creative, poll"] = [creative.status_code, poll.status_code]
seen["after valid requests"] = loaded()
refused = upload("gif")
seen["refused"] = [refused.status_code, refused.get_json()["errors"]]
seen["after a plain refusal"] = loaded()
# A field the upload shortcut does not know: openapi-core decides, so it is built now.
unknown = upload("png", style_hint="anything")
seen["unknown field"] = [unknown.status_code]
seen["after openapi-core decided"] = loaded()
print(json.dumps(seen))
"""


def test_valid_requests_and_plain_refusals_never_import_openapi_core() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IN_A_FRESH_PROCESS], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert "openapi_core" in seen.pop("after openapi-core decided")
    assert seen == {
        "at start": [],
        "fast": [200, "image/png"],
        "creative, poll": [200, 202],
        "after valid requests": [],
        # The upload shortcut words this refusal itself (mockserver.openapi.uploads), as openapi-core does.
        "refused": [400, GIF_ERRORS],
        "after a plain refusal": [],
        "unknown field": [200],
    }


@pytest.mark.slow
def test_a_worker_warms_openapi_core_after_its_first_answer(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with running_server("--store", "memory://", "--log-level", "debug", log=log) as url:
        # running_server's health check was the worker's first answer; the warm-up follows it.
        deadline = time.monotonic() + 60
        while "warmed up in" not in log.read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "warmed up in" in log.read_text(errors="replace")
        files = {"image": ("in.png", png(64, 64), "image/png")}
        refused = requests.post(url + FAST_PATH, files=files, data={"output_format": "gif"}, headers=AUTH, timeout=30)
        fast = requests.post(url + FAST_PATH, files=files, headers=AUTH, timeout=30)
    assert (refused.status_code, refused.json()["errors"]) == (400, GIF_ERRORS)
    assert fast.status_code == 200
    assert "warm-up failed" not in log.read_text(errors="replace")


class _Blocking:
    """A WSGI app whose calls wait until the test lets them go."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.entered.set()
        self.release.wait(30)
        start_response("200 OK", [])
        return [b"ok"]


def _ignore_start(
    status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
) -> Callable[[bytes], object]:
    """A ``start_response`` that drops the status and headers it is given."""
    return lambda data: None


def test_the_warm_up_waits_for_the_first_answer() -> None:
    app = _Blocking()
    traffic = Traffic(app)
    warmed = threading.Event()
    # idle and at_most far away: only the first answer can start the work.
    caller = threading.Thread(target=lambda: list(traffic({}, _ignore_start)))
    caller.start()
    assert app.entered.wait(30)
    warm_after_first_answer(traffic, warmed.set, idle=3600, at_most=3600)
    assert not warmed.wait(0.2)
    app.release.set()
    caller.join(30)
    assert warmed.wait(30)
    # Nobody waits for a lull any more: later calls go straight to the app, with no count to keep.
    assert traffic.done
    assert list(traffic({}, _ignore_start)) == [b"ok"]
    assert traffic._running == 0 and traffic._answered == 1


def test_a_worker_with_no_request_or_no_lull_warms_anyway() -> None:
    traffic = Traffic(_Blocking())
    assert traffic.wait_for_lull(idle=0, at_most=3600) is True
    busy = _Blocking()
    traffic = Traffic(busy)
    caller = threading.Thread(target=lambda: traffic({}, _ignore_start))
    caller.start()
    assert busy.entered.wait(30)
    assert traffic.wait_for_lull(idle=0, at_most=0) is False
    busy.release.set()
    caller.join(30)


def test_a_warm_up_that_fails_is_logged_and_left_to_the_requests(caplog: pytest.LogCaptureFixture) -> None:
    traffic = Traffic(_Blocking())

    def broken() -> None:
        raise RuntimeError("no openapi-core today")

    warm_after_first_answer(traffic, broken, idle=0, at_most=0).join(30)
    assert "warm-up failed" in caplog.text


def test_a_deferred_value_is_built_once_whichever_thread_asks_first() -> None:
    builds: list[int] = []
    gate = threading.Event()

    def build() -> object:
        gate.wait(30)
        builds.append(1)
        return object()

    deferred: Deferred[object] = Deferred(build)
    found: list[object] = []
    threads = [threading.Thread(target=lambda: found.append(deferred.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    assert not deferred.built
    gate.set()
    for thread in threads:
        thread.join(30)
    assert builds == [1]
    assert len(found) == 8 and all(value is found[0] for value in found)
    assert deferred.built


def test_a_deferred_build_that_raises_is_tried_again() -> None:
    attempts: list[int] = []

    def build() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("first try fails")
        return 42

    deferred = Deferred(build)
    with pytest.raises(OSError):
        deferred.get()
    assert deferred.get() == 42
    assert deferred.get() == 42
    assert len(attempts) == 2
