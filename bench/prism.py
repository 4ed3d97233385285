"""Prism (``@stoplight/prism-cli``) mocking the same bundled spec, for the ours/Prism ratios.

Installed with npm into a temporary folder on every run, so the figure always
names the Prism it measured. Every way this can fail is returned as a reason,
which the report prints instead of a figure: the bench never drops it silently.
"""

from __future__ import annotations

import contextlib
import http.client
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import ROOT
from bench.harness.server import free_port

PACKAGE = "@stoplight/prism-cli"
SPEC = ROOT / "spec" / "openapi.yml"


@dataclass(frozen=True)
class Prism:
    port: int
    version: str


class PrismUnavailable(Exception):
    """Prism could not be installed or started; the message says why."""


@contextlib.contextmanager
def running(install_seconds: float = 300.0) -> Iterator[Prism]:
    """Install Prism, start ``prism mock spec/openapi.yml`` on a free port, stop it after."""
    npm = shutil.which("npm")
    if npm is None:
        raise PrismUnavailable("npm is not installed")
    with tempfile.TemporaryDirectory(prefix="stability-bench-prism-") as folder:
        install = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", folder, PACKAGE],
            capture_output=True, text=True, timeout=install_seconds,
        )  # fmt: skip
        executable = Path(folder) / "node_modules" / ".bin" / "prism"
        if install.returncode != 0 or not executable.exists():
            raise PrismUnavailable(f"npm install {PACKAGE} failed: {(install.stderr or install.stdout)[-500:]}")
        version = subprocess.run([str(executable), "--version"], capture_output=True, text=True, timeout=60)
        port = free_port()
        log = Path(folder) / "prism.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [str(executable), "mock", str(SPEC), "-p", str(port), "-h", "127.0.0.1"],
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            _wait(port, process, log)
            yield Prism(port=port, version=version.stdout.strip() or "unknown")
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait(port: int, process: subprocess.Popen[bytes], log: Path, seconds: float = 60.0) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise PrismUnavailable(f"prism exited with {process.returncode}: {log.read_text()[-500:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/v2beta/results/ping", headers={"Authorization": "Bearer sk-bench"})
            connection.getresponse().read()
            connection.close()
            return
        time.sleep(0.1)
    raise PrismUnavailable(f"prism did not answer within {seconds} s: {log.read_text()[-500:]}")


def alive(prism: Prism) -> bool:
    """Prism's process exits on some multipart bodies: check it still answers after a run."""
    with contextlib.suppress(OSError, http.client.HTTPException):
        connection = http.client.HTTPConnection("127.0.0.1", prism.port, timeout=5)
        connection.request("GET", "/v2beta/results/ping", headers={"Authorization": "Bearer sk-bench"})
        connection.getresponse().read()
        connection.close()
        return True
    return False
