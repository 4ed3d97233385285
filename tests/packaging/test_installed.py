"""Every documented command, run from a plain install (no extras) in a folder outside the checkout.

Issue 13: the project's own environment has every extra, so nothing else caught a
plain install failing. Each test runs against the wheel and against the sdist.
"""

from __future__ import annotations

import io
import shlex
import shutil
import subprocess
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
import requests
from PIL import Image

import mockserver
from tests.packaging.installs import HEAVY, ROOT, Installed, serving

pytestmark = pytest.mark.slow

SAMPLE = ROOT / "fixtures" / "sample.png"
AUTH = {"Authorization": "Bearer sk-installed"}
REFERENCE = "contract_tests.reference_client:contract_factory"
COMMAND_CLIENTS = {
    "upscale.sh": "bash {} {{operation}} {{image}} {{output}} {{fields}}",
    "upscale_client.py": "python {} {{operation}} {{image}} {{output}} {{fields}}",
}


def test_the_installed_copy_runs_not_the_checkout(installed: Installed, tmp_path: Path) -> None:
    where = installed.run("python", "-c", "import mockserver, contract_tests; print(mockserver.__file__)", cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(installed.venv)
    assert not Path(where.stdout.strip()).is_relative_to(ROOT)


def test_version_from_the_command_and_python_m(installed: Installed, tmp_path: Path) -> None:
    for command in (["stability-mock", "--version"], ["python", "-m", "mockserver", "--version"]):
        assert f"version {mockserver.__version__}" in installed.run(*command, cwd=tmp_path).stdout
    assert "contract" in installed.run("python", "-m", "mockserver", "--help", cwd=tmp_path).stdout


def test_the_build_step_keeps_the_parsed_spec_in_the_install(installed: Installed, tmp_path: Path) -> None:
    """The Dockerfile's ``python -m mockserver.openapi``: copies land beside the installed YAML; a start uses them."""
    written = installed.run("python", "-m", "mockserver.openapi", cwd=tmp_path).stdout.split()
    assert {Path(path).name.split(".")[0] for path in written} == {"openapi", "live"}
    for path in map(Path, written):
        assert path.is_relative_to(installed.venv) and path.parent.parent.name == "bundled_spec"
    start = "import sys; from mockserver.openapi import Spec; Spec.bundled(); print('yaml' in sys.modules)"
    assert installed.run("python", "-c", start, cwd=tmp_path).stdout.strip() == "False"


def test_serve_answers_every_operation(installed: Installed, tmp_path: Path) -> None:
    options = ("--store", "memory://", "--target-pixels", str(256 * 256))
    with serving(installed, *options, cwd=tmp_path) as url:
        fast = _post(url, "fast", {"output_format": "png"})
        assert fast.status_code == 200, fast.text
        assert Image.open(io.BytesIO(fast.content)).size == (1024, 1024)
        for operation in ("conservative", "creative"):
            started = _post(url, operation, {"prompt": "a lighthouse at dusk", "output_format": "webp"})
            assert started.status_code == 200, started.text
            result = _poll_until_done(url, started.json()["id"])
            assert result.headers["content-type"] == "image/webp"
            assert Image.open(io.BytesIO(result.content)).format == "WEBP"
        # The dashboard's files are package data: a browser at / gets the whole page.
        page = requests.get(f"{url}/", headers={"Accept": "text/html"}, timeout=10)
        assert page.url == f"{url}/_mock/ui/" and "stability-mock dashboard" in page.text
        for asset in ("js/playground.js", "style.css", "vendor/swagger-ui/swagger-ui-bundle.js"):
            assert requests.get(f"{url}/_mock/ui/{asset}", timeout=10).status_code == 200, asset
        journal = requests.get(f"{url}/_mock/requests", timeout=10).json()["requests"]
    operations = {record["operation"] for record in journal}
    assert {"upscaleImageFast", "upscaleImageConservative", "upscaleImageCreative", "getUpscaleResult"} <= operations
    assert not list(tmp_path.glob(".stability-mock*")), "memory:// wrote a data folder"


def test_a_plain_install_says_in_one_line_which_extra_contract_needs(installed: Installed, tmp_path: Path) -> None:
    result = subprocess.run(
        ["stability-mock", "contract", "--client", REFERENCE],
        cwd=tmp_path,
        env=installed.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: stability-mock contract needs hypothesis: pip install 'stability-upscale-mock[contract]'"
    ]


def test_contract_with_the_shipped_reference_client(contract_install: Installed, tmp_path: Path) -> None:
    _contract(contract_install, tmp_path, "--client", REFERENCE, "--max-examples", "2")


@pytest.mark.parametrize("example", sorted(COMMAND_CLIENTS))
def test_contract_with_the_readme_command_clients(contract_install: Installed, tmp_path: Path, example: str) -> None:
    command = COMMAND_CLIENTS[example].format(shlex.quote(str(ROOT / "examples" / example)))
    _contract(contract_install, tmp_path, "--client-cmd", command, "--max-examples", "1", STABILITY_POLL_SECONDS="0.05")


USES_THE_FIXTURE = """
import pathlib

import pytest
import requests


@pytest.mark.stability_mock(pending_polls=0)
def test_my_client_against_the_mock(stability_mock):
    image = (pathlib.Path(__file__).parent / "sample.png").read_bytes()
    answer = requests.post(
        stability_mock.url_for("/v2beta/stable-image/upscale/fast"),
        files={"image": ("sample.png", image, "image/png")},
        headers=stability_mock.headers,
        timeout=60,
    )
    assert answer.status_code == 200
    assert [record["status"] for record in stability_mock.requests()] == [200]
    assert stability_mock.settings().pending_polls == 0


@pytest.mark.stability_mock(store="sqlite:///./mock.sqlite3", pending_polls=1)
def test_an_async_job_on_a_dedicated_sqlite_server(stability_mock):
    image = (pathlib.Path(__file__).parent / "sample.png").read_bytes()
    started = requests.post(
        stability_mock.url_for("/v2beta/stable-image/upscale/creative"),
        files={"image": ("sample.png", image, "image/png")},
        data={"prompt": "a lighthouse"},
        headers=stability_mock.headers,
        timeout=60,
    )
    assert started.status_code == 200
    poll = stability_mock.url_for("/v2beta/results/" + started.json()["id"])
    statuses = [requests.get(poll, headers=stability_mock.headers, timeout=60).status_code for _ in range(2)]
    assert statuses == [202, 200]
"""

NEVER_USES_THE_MOCK = f"""
import sys


def test_unrelated(pytestconfig):
    assert any(line.startswith("stability_mock(") for line in pytestconfig.getini("markers"))
    assert [name for name in {HEAVY!r} if name in sys.modules] == []
"""


def test_a_users_pytest_project_that_uses_the_fixture(installed: Installed, tmp_path: Path) -> None:
    """With every warning an error, as a strict suite runs: the mock's threads and connections leave none.

    Python 3.13 warns of a SQLite connection collected unclosed, in whichever test the
    collector runs; the dedicated server's request, render and thumbnail threads each open one.
    """
    (tmp_path / "test_client.py").write_text(USES_THE_FIXTURE)
    shutil.copy(SAMPLE, tmp_path / "sample.png")
    command = ("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--strict-markers", "-W", "error")
    result = installed.run(*command, cwd=tmp_path)
    assert "2 passed" in result.stdout


def test_a_users_pytest_project_that_never_uses_the_mock(installed: Installed, tmp_path: Path) -> None:
    """Every plugin pytest finds is loaded (hypothesis's too): the marker proves ours was."""
    (tmp_path / "test_unrelated.py").write_text(NEVER_USES_THE_MOCK)
    result = installed.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--strict-markers", cwd=tmp_path)
    assert "1 passed" in result.stdout


def _post(url: str, operation: str, fields: dict[str, str]) -> requests.Response:
    return requests.post(
        f"{url}/v2beta/stable-image/upscale/{operation}",
        files={"image": ("sample.png", SAMPLE.read_bytes(), "image/png")},
        data=fields,
        headers={**AUTH, "Accept": "image/*"},
        timeout=60,
    )


def _poll_until_done(url: str, generation_id: str, seconds: float = 60) -> requests.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = requests.get(
            f"{url}/v2beta/results/{generation_id}", headers={**AUTH, "Accept": "image/*"}, timeout=60
        )
        if answer.status_code != 202:
            assert answer.status_code == 200, answer.text
            return answer
        time.sleep(0.05)
    raise AssertionError(f"job {generation_id} still in progress after {seconds} s")


def _contract(installed: Installed, cwd: Path, *options: str, **env: str) -> None:
    """``stability-mock contract``: every covered property holds, and the JUnit report says so."""
    report = cwd / "contract.xml"
    result = installed.run("stability-mock", "contract", *options, "--junit-xml", report, cwd=cwd, extra_env=env)
    assert result.stdout.splitlines()[-1].endswith(" passed, 0 failed")
    root = ElementTree.parse(report).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    assert suite is not None
    assert int(suite.get("tests", "0")) >= 9
    assert (suite.get("failures"), suite.get("errors", "0")) == ("0", "0")
