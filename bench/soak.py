"""Soak: a bounded mixed load against a fresh gunicorn mock (2 workers, SQLite in a temp dir).

16 client threads (by default) call fast, conservative and creative and poll
their jobs for ``--duration`` seconds, with a few invalid calls mixed in; then
every job still open is polled until it is done (at most ``--drain-seconds``).
The report: requests and requests/s, counts by status and by call, 5xx,
transport errors, jobs created and lost (every id created must reach 200), and
the resident memory of the server's processes at start and end. Exits 1 on any
5xx, lost job, dropped connection, unexpected answer (a valid call
refused, an invalid one accepted) or worker that died. Loopback only.

    .venv/bin/python -m bench.soak --duration 180 --clients 16
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from PIL import Image

from bench.harness.images import encoded, photo
from bench.harness.processes import ServerProcesses, peak_rss_kib, rss_kib, server_processes, wait_for_workers
from bench.harness.server import running

API = "/v2beta/stable-image/upscale"
#: Upload file name → format: one of each kind the API accepts.
FORMATS = {"a.png": "PNG", "a.jpg": "JPEG", "a.webp": "WEBP"}
#: Jobs a client keeps open before it only polls.
MAX_OPEN_JOBS = 6
#: Per-request timeout: a render of the default sizes takes well under a second.
REQUEST_TIMEOUT = 60.0


@dataclass
class Tally:
    """Counts shared by the client threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    by_status: collections.Counter[str] = field(default_factory=collections.Counter)
    by_call: collections.Counter[str] = field(default_factory=collections.Counter)
    transport_errors: collections.Counter[str] = field(default_factory=collections.Counter)
    unexpected: list[str] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    done: set[str] = field(default_factory=set)
    lost: dict[str, str] = field(default_factory=dict)

    def count(self, call: str, status: int | str) -> None:
        with self.lock:
            self.by_status[str(status)] += 1
            self.by_call[f"{call} {status}"] += 1

    def note(self, problem: str) -> None:
        with self.lock:
            if len(self.unexpected) < 50:
                self.unexpected.append(problem)

    @property
    def requests(self) -> int:
        return sum(self.by_status.values())

    @property
    def five_xx(self) -> int:
        return sum(count for status, count in self.by_status.items() if status.startswith("5"))


class Client:
    """One client thread: its own session, its own open jobs."""

    def __init__(self, url: str, number: int, tally: Tally, side: int, seed: int) -> None:
        self.url = url
        self.tally = tally
        self.side = side
        self.base = photo(side, seed=number)
        self.images = [(name, encoded(self.base, fmt)) for name, fmt in FORMATS.items()]
        self.random = random.Random(seed * 1000 + number)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer sk-soak-{number}"
        self.open_jobs: list[str] = []

    def run_until(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            self.step()

    def step(self) -> None:
        roll = self.random.random()
        if self.open_jobs and (roll < 0.4 or len(self.open_jobs) >= MAX_OPEN_JOBS):
            self.poll(self.random.choice(self.open_jobs))
        elif roll < 0.65:
            self.upload("fast")
        elif roll < 0.8:
            self.upload("conservative")
        elif roll < 0.95:
            self.upload("creative")
        elif roll < 0.975:
            self.upload("fast", output_format="gif")  # refused: 400
        else:
            self.poll_unknown()

    def drain(self, deadline: float) -> None:
        """Poll every open job until it is done or the deadline passes."""
        while self.open_jobs and time.monotonic() < deadline:
            for job_id in list(self.open_jobs):
                self.poll(job_id)
            time.sleep(0.02)

    def upload(self, operation: str, **fields: str) -> None:
        name, image = self.random.choice(self.images)
        if self.random.random() < 0.5:
            # A new image: the workers' render caches see repeats and misses, as in real use.
            colour = (self.random.randrange(256), self.random.randrange(256), self.random.randrange(256))
            tinted = Image.blend(self.base, Image.new("RGB", self.base.size, colour), 0.3)
            image = encoded(tinted, FORMATS[name])
        data = dict(fields)
        if operation != "fast":
            data["prompt"] = self.random.choice(("a sunny landscape", "a cat", "mountains at dusk"))
            data["seed"] = str(self.random.randint(0, 1000))
        call = f"{operation}{' (invalid)' if fields else ''}"
        response = self.send(call, "POST", f"{API}/{operation}", files={"image": (name, image)}, data=data)
        if response is None:
            return
        expected = 400 if fields else 200
        if response.status_code != expected:
            self.tally.note(f"{call}: {response.status_code} {response.text[:200]}")
        elif fields:
            return
        elif operation == "fast" and not response.headers.get("content-type", "").startswith("image/"):
            self.tally.note(f"fast: 200 without an image ({response.headers.get('content-type')})")
        elif operation != "fast":
            job_id = str(response.json()["id"])
            with self.tally.lock:
                self.tally.created.add(job_id)
            self.open_jobs.append(job_id)

    def poll(self, job_id: str) -> None:
        response = self.send("poll", "GET", f"/v2beta/results/{job_id}")
        if response is None or response.status_code == 202:
            return
        self.open_jobs.remove(job_id)
        with self.tally.lock:
            if response.status_code == 200 and response.headers.get("content-type", "").startswith("image/"):
                self.tally.done.add(job_id)
            else:
                self.tally.lost[job_id] = f"{response.status_code} {response.text[:200]}"

    def poll_unknown(self) -> None:
        response = self.send("poll (unknown id)", "GET", f"/v2beta/results/{self.random.getrandbits(256):064x}")
        if response is not None and response.status_code != 404:
            self.tally.note(f"unknown id: {response.status_code}")

    def send(
        self,
        call: str,
        method: str,
        path: str,
        *,
        files: dict[str, tuple[str, bytes]] | None = None,
        data: dict[str, str] | None = None,
    ) -> requests.Response | None:
        try:
            response = self.session.request(method, self.url + path, timeout=REQUEST_TIMEOUT, files=files, data=data)
        except requests.RequestException as exc:
            with self.tally.lock:
                self.tally.transport_errors[type(exc).__name__] += 1
            self.tally.count(call, type(exc).__name__)
            return None
        self.tally.count(call, response.status_code)
        return response


def memory(processes: ServerProcesses) -> dict[str, int]:
    """VmRSS in KiB of the master and each worker, and their total."""
    found = {f"master {processes.master}": rss_kib(processes.master)}
    found.update({f"worker {pid}": rss_kib(pid) for pid in processes.workers})
    found["total"] = sum(found.values())
    return found


def sample_memory(processes: ServerProcesses, started: float, until: float, every: float) -> list[list[float]]:
    """[seconds since start, total MiB of the server's processes] every ``every`` seconds until ``until``.

    Each worker keeps a bounded in-memory render cache (``Config.render_cache_bytes``),
    so memory climbs while the caches fill and then levels off; a leak keeps climbing.
    """
    samples: list[list[float]] = []
    while True:
        now = time.monotonic()
        samples.append([round(now - started), round(sum(map(rss_kib, processes.all)) / 1024)])
        if now >= until:
            return samples
        time.sleep(max(0.0, min(every, until - now)))


def soak(options: argparse.Namespace) -> dict[str, object]:
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        serve = (
            *("--workers", str(options.workers), "--threads", str(options.threads)),
            *("--store", f"sqlite:///{Path(folder) / 'soak.sqlite3'}"),
            *("--target-pixels", str(options.target_pixels), "--pending-polls", str(options.pending_polls)),
        )
        with running(*serve, "--data-dir", folder) as server:
            url, log = server.url, server.log
            processes = wait_for_workers(url, options.workers)
            rss_start = memory(processes)
            side, seed = options.image_size, options.seed
            clients = [Client(url, number, tally, side, seed) for number in range(options.clients)]
            started = time.monotonic()
            load_deadline = started + options.duration
            threads = [threading.Thread(target=client.run_until, args=(load_deadline,)) for client in clients]
            for thread in threads:
                thread.start()
            samples = sample_memory(processes, started, load_deadline, options.sample_seconds)
            for thread in threads:
                thread.join()
            load_seconds = time.monotonic() - started
            load_requests = tally.requests
            drain_deadline = time.monotonic() + options.drain_seconds
            threads = [threading.Thread(target=client.drain, args=(drain_deadline,)) for client in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            still_open = [job_id for client in clients for job_id in client.open_jobs]
            rss_end = memory(server_processes(url))
            worker_peaks = {f"worker {pid}": peak_rss_kib(pid) for pid in processes.workers}
            workers_unchanged = server_processes(url) == processes
            for client in clients:
                client.session.close()
        tracebacks = log.read_text(errors="replace").count("Traceback")
    lost = {**tally.lost, **{job_id: "not done when the drain ended" for job_id in still_open}}
    return {
        "duration_seconds": round(load_seconds, 1),
        "clients": options.clients,
        "requests": tally.requests,
        "requests_per_second": round(load_requests / load_seconds, 1),
        "by_status": dict(sorted(tally.by_status.items())),
        "by_call": dict(sorted(tally.by_call.items())),
        "5xx": tally.five_xx,
        "transport_errors": dict(tally.transport_errors),
        "jobs_created": len(tally.created),
        "jobs_done": len(tally.done),
        "lost_jobs": len(lost),
        "lost_examples": dict(list(lost.items())[:5]),
        "unexpected_answers": tally.unexpected[:10],
        "server_rss_kib": {"start": rss_start, "end": rss_end},
        "worker_peak_rss_kib": worker_peaks,
        "server_rss_mib_over_time": samples,
        "workers_unchanged": workers_unchanged,
        "tracebacks_in_log": tracebacks,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of load (default 180)")
    parser.add_argument("--clients", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument("--target-pixels", type=int, default=262_144, help="conservative/creative output size")
    parser.add_argument("--pending-polls", type=int, default=1, help="polls answered 202 before the result")
    parser.add_argument("--image-size", type=int, default=128, help="side of the uploaded images (default 128)")
    parser.add_argument("--drain-seconds", type=float, default=120.0, help="at most this long to finish open jobs")
    parser.add_argument("--seed", type=int, default=1, help="the clients' random choices")
    parser.add_argument("--sample-seconds", type=float, default=15.0, help="how often to sample server memory")
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    options = parser.parse_args(argv)
    report = soak(options)
    for key, value in report.items():
        print(f"{key:>20}: {value}")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2) + "\n")
    failed = (
        report["5xx"]
        or report["lost_jobs"]
        or report["transport_errors"]
        or report["unexpected_answers"]
        or report["tracebacks_in_log"]
        or not report["workers_unchanged"]
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
