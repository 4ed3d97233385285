"""Built once per session: the wheel and the sdist, a virtualenv for each, and one for the wheel with
the ``contract`` extra (installed side by side)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.packaging.installs import Dists, Installed, build, install

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``--dist loadgroup``), one worker runs every test that uses the builds:
    session fixtures are per worker, and each would build and install its own."""
    for item in items:
        if HERE in item.path.parents and {"dists", "installs"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("packaging"))


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    return build(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def installs(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Installed]:
    """The installs at once: most of their time is pip waiting on the network and the disk."""
    venvs = tmp_path_factory.mktemp("venvs")
    with ThreadPoolExecutor(max_workers=3) as pool:
        wheel = pool.submit(install, "wheel", dists.wheel, venvs / "wheel")
        sdist = pool.submit(install, "sdist", dists.sdist, venvs / "sdist")
        contract = pool.submit(install, "wheel[contract]", dists.wheel, venvs / "contract", "contract")
        return {"wheel": wheel.result(), "sdist": sdist.result(), "contract": contract.result()}


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
