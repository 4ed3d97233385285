"""The published clients of examples/adapters, installed where the tests can run them.

Installed by the tests themselves, on first use, rather than by .ci/run: a fresh clone's
``make test`` then runs them on a developer's machine exactly as in CI, as long as PyPI and
the npm registry answer, and later runs reuse the installation (LiteLLM in a virtualenv of
its own, ``.venv-litellm``, so that its dependencies never change the project's; the Node SDK
in the adapter's ``node_modules`` from its lock file). Where a client cannot be installed the
test is skipped saying why, except in CI (``CI=true``), which must run them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = ROOT / "examples" / "adapters"
LITELLM_DIR = ADAPTERS / "litellm"
NODE_DIR = ADAPTERS / "node"
LITELLM_VENV = ROOT / ".venv-litellm"
#: pip and npm get this long; a first install takes about a minute (LiteLLM's wheel is large).
INSTALL_TIMEOUT = 900


def unavailable(reason: str) -> NoReturn:
    """Skip the test saying why, or fail it in CI, where every published client must be checked."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the published clients' tests", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One installer at a time (parallel pytest workers each ask), holding a lock on ``path``:
    a file the installation never replaces."""
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def install(command: list[str], cwd: Path, what: str) -> None:
    """Run an installer; if it fails the test cannot run, and says why with the installer's last words."""
    try:
        subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=True)
    except subprocess.CalledProcessError as exc:
        unavailable(f"could not install {what}: {' '.join(command[:4])}... exit {exc.returncode}: {exc.stderr[-800:]}")
    except subprocess.TimeoutExpired:
        unavailable(f"could not install {what}: no answer in {INSTALL_TIMEOUT} s")


def litellm_venv() -> Path:
    """``.venv-litellm`` with the pinned LiteLLM and this checkout (editable, with the contract
    extra): its ``stability-mock`` runs the suite with LiteLLM importable in the same process.
    Reinstalled when the pin or the project's dependencies change."""
    requirements = LITELLM_DIR / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = LITELLM_VENV / ".installed-stamp"
    LITELLM_VENV.mkdir(exist_ok=True)
    with _locked(LITELLM_VENV / ".install-lock"):
        if stamp.is_file() and stamp.read_text() == digest:
            return LITELLM_VENV
        python = LITELLM_VENV / "bin" / "python"
        if not python.exists():
            install([sys.executable, "-m", "venv", str(LITELLM_VENV)], ROOT, "a virtualenv for LiteLLM")
        pip = [str(python), "-m", "pip", "install", "--quiet", "--retries", "2"]
        install([*pip, "-e", f"{ROOT}[contract]", "-r", str(requirements)], ROOT, requirements.read_text().strip())
        stamp.write_text(digest)
    return LITELLM_VENV


def stability_ai_sdk() -> Path:
    """examples/adapters/node with npm ``stability-ai`` installed from its lock file."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("node and npm are not installed (.ci/run installs them)")
    pinned = json.loads((NODE_DIR / "package.json").read_text())["dependencies"]["stability-ai"]
    installed = NODE_DIR / "node_modules" / "stability-ai" / "package.json"
    # npm ci replaces node_modules whole, but never the lock file it installs from.
    with _locked(NODE_DIR / "package-lock.json"):
        if not installed.is_file() or json.loads(installed.read_text())["version"] != pinned:
            command = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", "--fetch-retries=1"]
            install(command, NODE_DIR, f"stability-ai@{pinned}")
    return NODE_DIR
