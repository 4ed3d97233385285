"""The store's share of a call, before and after a change, side by side in one run.

Conclusions: ``bench/notes/PROFILING.md``, "The store's share of a call" and "The Redis snapshot".

Each round runs the same workload twice, in fresh processes, alternating: once
on a baseline source tree (``--before``, e.g. ``git archive main | tar -x -C
/tmp/base``) and once on this tree. The app is called through WSGI as in
:mod:`bench.hot_paths` (no HTTP, no gunicorn), so what changes between the two
is the code, not the machine's load at that minute; the figures reported are
medians over rounds and their ratio (after / before: below 1 is faster).

Workloads:
- a poll of a pending job (202) whose upload is about 1 MB: the poll counts
  itself in the job's row, so a row that carries the blobs costs more;
- a 400 with a new body each time (the journal append and per-call state reads);
- the store's journal append on its own (``Store.append_record``).

Example:
    python -m bench.compare.store_costs --before /tmp/base --rounds 5
    python -m bench.compare.store_costs --before /tmp/base --store redis://127.0.0.1:6391/0
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def child(store: str, polls: int, errors: int, appends: int) -> dict[str, float]:
    """Run every workload once in this process; CPU and wall ms per call for each."""
    from bench.harness.api import CONSERVATIVE_PATH, FAST_PATH, multipart
    from bench.harness.images import photo_png
    from bench.hot_paths import call, environ, upload_environ
    from mockserver import Config, create_app
    from mockserver.openapi.repairs import quicken_pathable
    from mockserver.services import services_of

    quicken_pathable()  # as serve does (the baseline trees applied it on import)
    with tempfile.TemporaryDirectory(prefix="stability-bench-store-") as folder:
        url = store if store != "sqlite" else f"sqlite:///{folder}/bench.sqlite3"
        app = create_app(Config(store=url, target_pixels=128 * 128))
        mock = services_of(app)
        mock.store.reset()
        app.test_client().post("/_mock/faults", json={"operation": "*", "job": {"pending_polls": None}})
        upload = photo_png(1024)
        status, body = call(app, upload_environ(CONSERVATIVE_PATH, upload, prompt="a sunny landscape"))
        assert status.startswith("200"), (status, body[:200])
        poll = environ("GET", f"/v2beta/results/{json.loads(body)['id']}")
        figures: dict[str, float] = {"upload bytes": float(len(upload))}

        def timed(name: str, count: int, run: Callable[[int], None]) -> None:
            for number in range(min(50, count)):
                run(number)
            started, wall = time.thread_time(), time.perf_counter()
            for number in range(count):
                run(number)
            figures[f"{name}, CPU"] = (time.thread_time() - started) / count * 1000
            figures[f"{name}, wall"] = (time.perf_counter() - wall) / count * 1000

        def poll_once(_: int) -> None:
            status, _body = call(app, poll)
            assert status.startswith("202"), status

        def bad_request(number: int) -> None:
            form = multipart(b"not an image", prompt=f"call {number}", output_format="tiff")
            status, _body = call(app, environ("POST", FAST_PATH, form.body, form.content_type))
            assert status.startswith("400"), status

        record = {"operation": "upscaleImageFast", "status": 400, "key": "key_0123456789ab", "fields": {"a": "b"}}

        def append(number: int) -> None:
            mock.store.append_record({**record, "n": number}, 1000)

        timed("poll, pending job (202), 1 MB upload", polls, poll_once)
        timed("400, new body each time", errors, bad_request)
        timed("journal append (store only)", appends, append)
        mock.store.reset()
        return figures


def run_child(tree: Path, options: argparse.Namespace) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--store", options.store]
    command += ["--polls", str(options.polls), "--errors", str(options.errors), "--appends", str(options.appends)]
    done = subprocess.run(command, env=env, cwd=tree, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {done.stderr}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="baseline source tree (omit: this tree only)")
    parser.add_argument("--store", default="sqlite", help="sqlite (a fresh file) or a redis:// URL")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--polls", type=int, default=2000)
    parser.add_argument("--errors", type=int, default=300)
    parser.add_argument("--appends", type=int, default=3000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        print(json.dumps(child(options.store, options.polls, options.errors, options.appends)))
        return
    # Here, not at the top: the child imports bench from the tree it measures, which may predate ROOT.
    from bench import ROOT

    trees = {"before": options.before, "after": ROOT} if options.before else {"after": ROOT}
    seen: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    for _ in range(options.rounds):
        for name, tree in trees.items():
            for figure, value in run_child(tree, options).items():
                seen[name].setdefault(figure, []).append(value)
    print(f"store: {options.store}, {options.rounds} rounds, ms per call (median)")
    for figure in seen["after"]:
        if figure == "upload bytes":
            continue
        after = statistics.median(seen["after"][figure])
        line = f"{figure:50} after {after:8.4f}"
        if "before" in seen:
            before = statistics.median(seen["before"][figure])
            line += f"  before {before:8.4f}  after/before {after / before:5.2f}x"
        print(line)


if __name__ == "__main__":
    main()
