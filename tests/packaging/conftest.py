"""Built once per run (shared by pytest-xdist's workers): the wheel and the sdist, a virtualenv for
each, and one for the wheel with the ``contract`` extra (installed side by side)."""

from __future__ import annotations

import fcntl
import os
import pickle
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest

from tests.packaging.installs import Dists, Installed, build, install

T = TypeVar("T")


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this run that every pytest-xdist worker sees (the parent of the workers' own)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def once_per_run(folder: Path, name: str, make: Callable[[Path], T]) -> T:
    """``make(folder / name)`` once per run: the first worker to ask makes it, under a lock, and
    the others wait and read its result. Session fixtures are per worker; without this each
    worker would build the dists and install them again (two minutes of CPU each)."""
    result = folder / f"{name}.pickle"
    with (folder / f"{name}.lock").open("wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            value = make(folder / name)
            written = result.with_suffix(".partial")
            written.write_bytes(pickle.dumps(value))
            written.replace(result)
        made: T = pickle.loads(result.read_bytes())
        return made


def _build(folder: Path) -> Dists:
    folder.mkdir()
    return build(folder)


def _install_all(dists: Dists) -> Callable[[Path], dict[str, Installed]]:
    def install_all(venvs: Path) -> dict[str, Installed]:
        """The installs at once: most of their time is pip waiting on the network and the disk."""
        venvs.mkdir()
        with ThreadPoolExecutor(max_workers=3) as pool:
            wheel = pool.submit(install, "wheel", dists.wheel, venvs / "wheel")
            sdist = pool.submit(install, "sdist", dists.sdist, venvs / "sdist")
            contract = pool.submit(install, "wheel[contract]", dists.wheel, venvs / "contract", "contract")
            return {"wheel": wheel.result(), "sdist": sdist.result(), "contract": contract.result()}

    return install_all


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    return once_per_run(run_folder(tmp_path_factory), "dist", _build)


@pytest.fixture(scope="session")
def installs(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Installed]:
    return once_per_run(run_folder(tmp_path_factory), "venvs", _install_all(dists))


@pytest.fixture(params=["wheel", "sdist"])
def installed(request: pytest.FixtureRequest, installs: dict[str, Installed]) -> Installed:
    """Each install in turn."""
    return installs[request.param]


@pytest.fixture
def installed_wheel(installs: dict[str, Installed]) -> Installed:
    return installs["wheel"]


@pytest.fixture
def contract_install(installs: dict[str, Installed]) -> Installed:
    """The wheel with the ``contract`` extra (hypothesis): what ``stability-mock contract`` needs."""
    return installs["contract"]
