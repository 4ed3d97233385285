"""Build the wheel and sdist from the checkout, and install each into its own fresh virtualenv.

Installs are what ``pip install stability-upscale-mock`` gives (no extras; one more
with the ``contract`` extra), plus pytest for the user projects the tests run; commands run with the virtualenv first on
PATH and nothing of the checkout or the dev environment in their environment.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.harness.server import handed_over, listening_socket

ROOT = Path(__file__).resolve().parents[2]
#: Variables of the test run that would let an installed command see the checkout or dev tools.
DROPPED = (
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    "PYTEST_ADDOPTS",
    "PYTEST_PLUGINS",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
)
#: What a pytest run that never uses the mock must not import (issue 13); the fixture imports the mock.
HEAVY = ("flask", "werkzeug", "PIL", "hypothesis", "openapi_core", "mockserver.web.app", "contract_tests.server")


def run(
    command: Sequence[str | Path], *, timeout: float, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (from ``cwd``, with ``env`` when given); a failure shows its output."""
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd, env=env
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, command))} exited with {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


@dataclass(frozen=True)
class Dists:
    wheel: Path
    sdist: Path


def build(outdir: Path) -> Dists:
    """``python -m build``: the sdist, then the wheel built from that sdist (so the sdist is complete)."""
    run([sys.executable, "-m", "build", "--outdir", outdir, ROOT], timeout=600)
    [wheel] = outdir.glob("*.whl")
    [sdist] = outdir.glob("*.tar.gz")
    return Dists(wheel=wheel, sdist=sdist)


@dataclass(frozen=True)
class Installed:
    """One fresh virtualenv with one distribution installed."""

    kind: str
    dist: Path
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            name: value
            for name, value in os.environ.items()
            if name not in DROPPED and not name.startswith("STABILITY_MOCK_")
        }
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        return {**env, **extra}

    def run(
        self, *command: str | Path, cwd: Path, timeout: float = 180, extra_env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command of this install (found on its PATH first) from ``cwd``, with ``extra_env`` added."""
        return run(command, timeout=timeout, cwd=cwd, env=self.env(**(extra_env or {})))


def install(kind: str, dist: Path, venv: Path, extras: str = "") -> Installed:
    """A fresh virtualenv, then ``pip install <dist> pytest`` (``<dist>[extras]`` when given)."""
    run([sys.executable, "-m", "venv", venv], timeout=300)
    installed = Installed(kind=kind, dist=dist, venv=venv)
    requirement = f"{dist}[{extras}]" if extras else str(dist)
    # --no-compile: pip's byte-compiling of every installed module (compile errors are only
    # warnings to pip) is CPU the tests don't need; Python compiles what they import.
    command = [str(installed.python), "-m", "pip", "install", "--quiet", "--no-compile", requirement, "pytest"]
    run(command, timeout=900, env=installed.env())
    return installed


@contextlib.contextmanager
def serving(installed: Installed, *options: str, cwd: Path, seconds: float = 60) -> Iterator[str]:
    """``stability-mock serve`` of an install on a loopback port bound for it, until the block ends."""
    log = cwd / "serve.log"
    with listening_socket() as listener:
        port = listener.getsockname()[1]
        command = [str(installed.bin / "stability-mock"), "serve", "--port", str(port), "--log-level", "warning"]
        with log.open("wb") as output:
            server = subprocess.Popen(
                handed_over([*command, *options], listener),
                cwd=cwd,
                env=installed.env(),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=(listener.fileno(),),
            )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + seconds
        while not _answers(f"{url}/_mock/health"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"stability-mock serve did not come up:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False
