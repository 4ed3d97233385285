"""Per-request cost inside one process, without HTTP: what the profiler looks at.

The app is built as ``stability-mock serve`` builds it (SQLite store in a fresh
folder) and called through WSGI directly, so gunicorn and the network are out of
the picture. Cost is CPU time of the calling thread per request, which other
work on the machine does not inflate. Polls are measured twice in the same run:
with the spec's body-less shortcut, and without it (openapi-core validating every
poll, as before the shortcut existed).

``python -m bench.hot_paths --profile`` prints pyinstrument's call tree for each.
``python -m bench.hot_paths --uploads`` measures the validation of valid uploads
alone, then whole upload calls in new bytes each time, with the upload shortcut
and with openapi-core, alternating in one run.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.test import EnvironBuilder

from bench.harness.api import CONSERVATIVE_PATH, FAST_PATH, multipart
from bench.harness.images import photo_png, variant
from bench.harness.server import AUTH
from mockserver import Config, create_app
from mockserver.openapi import BodylessShortcut, Spec, UploadShortcut, VerdictMemo
from mockserver.openapi.repairs import quicken_pathable
from mockserver.services import Services, services_of

if TYPE_CHECKING:
    from _typeshed import OptExcInfo

#: A WSGI environ (typeshed's ``WSGIEnvironment``): PEP 3333 gives its values many types.
Environ = dict[str, Any]


@dataclass(frozen=True)
class HotPath:
    """One request kind and what it costs per request."""

    name: str
    cpu_ms: float
    wall_ms: float
    count: int


def build_app(folder: Path, *, shortcut: bool = True) -> Flask:
    quicken_pathable()  # as serve does: these figures are the server's
    app = create_app(Config(store=f"sqlite:///{folder}/bench.sqlite3", target_pixels=128 * 128))
    if not shortcut:
        # As before the poll fast paths: openapi-core validates every request.
        services: Services = services_of(app)
        services.spec.shortcut = BodylessShortcut({})
        services.spec.uploads = UploadShortcut({})
        services.spec.verdicts = VerdictMemo(0)
    return app


def environ(method: str, path: str, body: bytes = b"", content_type: str | None = None) -> Environ:
    built = EnvironBuilder(method=method, path=path, headers=list(AUTH.items()), data=body, content_type=content_type)
    result: Environ = built.get_environ()
    result["bench.body"] = body
    return result


def call(app: Flask, prepared: Environ) -> tuple[str, bytes]:
    """One request through the whole WSGI app: (status line, body)."""
    request = dict(prepared)
    request["wsgi.input"] = io.BytesIO(prepared["bench.body"])
    statuses: list[str] = []
    written: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
    ) -> Callable[[bytes], object]:
        statuses.append(status)
        return written.append  # PEP 3333's legacy write(); Flask never calls it

    answer = app.wsgi_app(request, start_response)
    try:
        body = b"".join(answer)
    finally:
        close = getattr(answer, "close", None)
        if close is not None:
            close()
    return statuses[0], body


def upload_environ(path: str, image: bytes, **fields: str) -> Environ:
    form = multipart(image, **fields)
    return environ("POST", path, form.body, form.content_type)


def jobs(app: Flask) -> dict[str, Environ]:
    """Environs polling a ready job (200) and a job planned never to finish (202)."""
    small = photo_png(64)
    status, body = call(app, upload_environ(CONSERVATIVE_PATH, small, prompt="a sunny landscape"))
    ready = json.loads(body)["id"]
    for _ in range(3):
        status, _ = call(app, environ("GET", f"/v2beta/results/{ready}"))
    assert status.startswith("200"), status
    client = app.test_client()
    client.post("/_mock/faults", json={"operation": "*", "job": {"pending_polls": None}})
    status, body = call(app, upload_environ(CONSERVATIVE_PATH, small, prompt="a sunny landscape"))
    pending = json.loads(body)["id"]
    return {
        "poll, ready job (200)": environ("GET", f"/v2beta/results/{ready}"),
        "poll, pending job (202)": environ("GET", f"/v2beta/results/{pending}"),
    }


def cost(app: Flask, requests: Iterator[Environ], count: int, expected: str) -> tuple[float, float]:
    """Mean CPU milliseconds and mean wall milliseconds per request over ``count`` requests."""
    cpu_started, wall_started = time.thread_time(), time.perf_counter()
    for _ in range(count):
        status, _ = call(app, next(requests))
        if not status.startswith(expected):
            raise RuntimeError(f"expected {expected}, got {status}")
    cpu, wall = time.thread_time() - cpu_started, time.perf_counter() - wall_started
    return cpu / count * 1000, wall / count * 1000


def repeat(prepared: Environ) -> Iterator[Environ]:
    while True:
        yield prepared


def distinct_fast(size: int) -> Iterator[Environ]:
    """Fast requests for the same pixels in new bytes each time: every one misses the render cache."""
    base, number = photo_png(size), 0
    while True:
        number += 1
        yield upload_environ(FAST_PATH, variant(base, number), output_format="png")


def cases(polls: int, fasts: int) -> Iterator[tuple[str, Flask, Iterator[Environ], int, str]]:
    """(name, app, requests, count, expected status) for every hot path."""
    with tempfile.TemporaryDirectory(prefix="stability-bench-hot-") as temporary:
        yield from _cases(Path(temporary), polls, fasts)


def _cases(folder: Path, polls: int, fasts: int) -> Iterator[tuple[str, Flask, Iterator[Environ], int, str]]:
    for shortcut in (False, True):
        app = build_app(folder / ("shortcut" if shortcut else "openapi-core"), shortcut=shortcut)
        how = "now (spec shortcut)" if shortcut else "before (openapi-core on every poll)"
        for name, prepared in jobs(app).items():
            for _ in range(20):
                call(app, prepared)
            yield f"{name}, {how}", app, repeat(prepared), polls, name.split("(")[1][:3]
    app = build_app(folder / "fast")
    call(app, next(distinct_fast(256)))
    yield "fast 256² PNG, render-cache miss", app, distinct_fast(256), fasts, "200"
    yield "fast 256² PNG, render-cache hit", app, repeat(next(distinct_fast(256))), fasts, "200"


def measure(polls: int = 2000, fasts: int = 15) -> list[HotPath]:
    found = []
    for name, app, requests, count, expected in cases(polls, fasts):
        if "hit" in name:
            call(app, next(requests))
        cpu_ms, wall_ms = cost(app, requests, count, expected)
        found.append(HotPath(name, cpu_ms, wall_ms, count))
    return found


def profile(polls: int = 2000, fasts: int = 15) -> Iterator[tuple[str, str]]:
    """pyinstrument's call tree per hot path (``pip install pyinstrument``, in the dev extra)."""
    from pyinstrument import Profiler

    for name, app, requests, count, expected in cases(polls, fasts):
        profiler = Profiler(interval=0.0002)
        profiler.start()
        cost(app, requests, count, expected)
        profiler.stop()
        yield name, profiler.output_text(unicode=False, color=False)


def upload_validation(rounds: int = 7, count: int = 100) -> Iterator[tuple[str, float, float]]:
    """(upload, median CPU ms of openapi-core's validation, of the upload shortcut's) per valid upload.

    ``Spec.validate_request`` alone (the memo off), on one prepared request per kind,
    the two ways alternating in ``rounds`` rounds of ``count`` calls so that both
    see the same machine; the shortcut's figure includes parsing the form.
    """
    app = create_app(Config(store="memory://"))
    spec: Spec = services_of(app).spec
    spec.verdicts = VerdictMemo(0)
    plain, shortcut = UploadShortcut({}), spec.uploads
    kinds = {
        "fast 256² PNG (80 KiB), output_format": (FAST_PATH, photo_png(256), {"output_format": "webp"}),
        "fast 1024² PNG, output_format": (FAST_PATH, photo_png(1024), {"output_format": "webp"}),
        "conservative 256² PNG, 4 fields": (
            CONSERVATIVE_PATH,
            photo_png(256),
            {"prompt": "a sunny landscape", "seed": "42", "creativity": "0.3", "output_format": "png"},
        ),
    }
    for name, (path, image, fields) in kinds.items():
        form = multipart(image, **fields)
        with app.test_request_context(
            path, method="POST", data=form.body, content_type=form.content_type, headers=AUTH
        ) as context:
            request = context.request
            request.get_data()
            timings: dict[bool, list[float]] = {False: [], True: []}
            for _ in range(rounds):
                for taken in (False, True):
                    spec.uploads = shortcut if taken else plain
                    started = time.thread_time()
                    for _ in range(count):
                        spec.validate_request(request)
                    timings[taken].append((time.thread_time() - started) / count * 1000)
            spec.uploads = shortcut
        yield name, statistics.median(timings[False]), statistics.median(timings[True])


def upload_calls(rounds: int = 5, count: int = 40) -> Iterator[tuple[str, float, float]]:
    """(call, median CPU ms per whole call with openapi-core validating, with the upload shortcut).

    Uploads in new bytes each time (so neither the verdict memo nor the render cache
    answers), through the whole WSGI app with a SQLite store, the two ways alternating.
    A refused upload shows the shortcut's refusals against openapi-core's.
    """
    with tempfile.TemporaryDirectory(prefix="stability-bench-uploads-") as folder:
        app = build_app(Path(folder))
        spec: Spec = services_of(app).spec
        plain, shortcut = UploadShortcut({}), spec.uploads
        base, number = photo_png(256), 0
        kinds = {
            "conservative 256², new body each time (200, job id)": (
                CONSERVATIVE_PATH,
                {"prompt": "a sunny landscape", "seed": "42"},
                "200",
            ),
            "fast 256², new body each time, output_format=gif (400)": (FAST_PATH, {"output_format": "gif"}, "400"),
        }
        for name, (path, fields, expected) in kinds.items():
            timings: dict[bool, list[float]] = {False: [], True: []}
            for _ in range(rounds):
                for taken in (False, True):
                    spec.uploads = shortcut if taken else plain
                    batch = []
                    for _ in range(count):
                        number += 1
                        batch.append(upload_environ(path, variant(base, number), **fields))
                    cpu_ms, _ = cost(app, iter(batch), count, expected)
                    timings[taken].append(cpu_ms)
            spec.uploads = shortcut
            yield name, statistics.median(timings[False]), statistics.median(timings[True])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hot_paths", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", action="store_true", help="print pyinstrument's call tree for each path")
    parser.add_argument("--polls", type=int, default=2000)
    parser.add_argument("--fasts", type=int, default=15)
    parser.add_argument("--uploads", action="store_true", help="validation of valid uploads only, before and after")
    options = parser.parse_args(argv)
    if options.uploads:
        for name, before, after in [*upload_validation(), *upload_calls()]:
            print(f"{name:55} openapi-core {before:7.3f} ms  shortcut {after:7.3f} ms CPU  {before / after:5.2f}x")
        return
    if options.profile:
        for name, text in profile(options.polls, options.fasts):
            print(f"===== {name}\n{text}")
        return
    for row in measure(options.polls, options.fasts):
        print(f"{row.name:60} {row.cpu_ms:8.3f} ms CPU {row.wall_ms:8.3f} ms wall  (n={row.count})")


if __name__ == "__main__":
    main()
