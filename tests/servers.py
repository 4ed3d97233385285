"""Real server processes for tests: `stability-mock serve` on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_server(*options: str, log: Path, startup_seconds: float = 30.0) -> Iterator[str]:
    """Start the mock on gunicorn, wait until it answers, stop it (and its workers) after."""
    port = free_port()
    command = [sys.executable, "-m", "mockserver", "serve", "--port", str(port), "--log-level", "warning", *options]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, startup_seconds, log)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(requests.ConnectionError):
            if requests.get(f"{url}/_mock/health", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer within {seconds} s:\n{log.read_text(errors='replace')}")


def start_job(url: str, headers: dict[str, str]) -> str:
    """Start a creative job of the sample image on a running server; its generation id."""
    with (ROOT / "fixtures" / "sample.png").open("rb") as image:
        response = requests.post(
            f"{url}/v2beta/stable-image/upscale/creative",
            files={"image": ("sample.png", image, "image/png")},
            data={"prompt": "a yellow sun", "seed": "5", "output_format": "jpeg"},
            headers=headers,
            timeout=30,
        )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def poll(url: str, generation_id: str, headers: dict[str, str]) -> requests.Response:
    return requests.get(f"{url}/v2beta/results/{generation_id}", headers=headers, timeout=60)
