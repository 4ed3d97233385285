"""The GitHub Actions recipe of docs/testing/ci.md, run as far as this machine allows.

Every ``run:`` step of ``examples/ci/github-actions.yml`` runs in order, as the runner
would run it (``bash -e`` on a script file, the job's environment), in a stand-in
client repository, with the freshly built wheel as ``MOCK_PACKAGE``. Only the
``uses:`` actions (checkout, setup-python, upload-artifact) are skipped; the files the
upload step names are checked instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from bench.harness.server import free_port
from tests.packaging.installs import ROOT, Installed, run

pytestmark = pytest.mark.slow

WORKFLOW = ROOT / "examples" / "ci" / "github-actions.yml"
SKIPPED_ACTIONS = ["actions/checkout", "actions/setup-python", "actions/upload-artifact"]

#: The stand-in client's own tests: its command-line client against the mock the job started.
CLIENT_TESTS = """
import subprocess


def test_the_client_upscales_through_the_mock(tmp_path):
    fields = tmp_path / "fields.json"
    fields.write_text('{"output_format": "png"}')
    output = tmp_path / "out.png"
    command = ["bash", "examples/upscale.sh", "fast", "tests/sample.png", str(output), str(fields)]
    subprocess.run(command, check=True, timeout=60)
    assert output.read_bytes().startswith(bytes([0x89]) + b"PNG")
"""


def client_repository(folder: Path) -> Path:
    (folder / "examples").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "upscale.sh", folder / "examples" / "upscale.sh")
    (folder / "tests").mkdir()
    shutil.copy(ROOT / "fixtures" / "sample.png", folder / "tests" / "sample.png")
    (folder / "tests" / "test_client.py").write_text(CLIENT_TESTS)
    return folder


def test_the_workflow_runs_step_by_step(contract_install: Installed, tmp_path: Path) -> None:
    [job] = yaml.safe_load(WORKFLOW.read_text())["jobs"].values()
    steps: list[dict[str, Any]] = job["steps"]
    assert [step["uses"].partition("@")[0] for step in steps if "uses" in step] == SKIPPED_ACTIONS
    repository = client_repository(tmp_path / "client")
    port = free_port()
    overrides = {
        "MOCK_PACKAGE": f"{contract_install.dist}[contract]",
        "MOCK_PORT": str(port),
        "CONTRACT_EXAMPLES": "1",
        "STABILITY_POLL_SECONDS": "0.05",
    }
    assert set(overrides) <= set(job["env"]), "the recipe no longer reads these"
    env = contract_install.env(**{**{name: str(value) for name, value in job["env"].items()}, **overrides})
    scripts = tmp_path / "steps"
    scripts.mkdir()
    try:
        for number, step in enumerate(steps):
            if "run" in step:
                script = scripts / f"{number}.sh"
                script.write_text(step["run"])
                run(["bash", "-e", script], timeout=300, cwd=repository, env=env)
        _assert_stopped(port)
    finally:
        _stop_if_running(repository / "reports" / "mock.pid")

    [upload] = [step for step in steps if step.get("uses", "").startswith("actions/upload-artifact")]
    reports = repository / upload["with"]["path"]
    names = {path.name for path in reports.iterdir()}
    assert {"client-tests.xml", "contract.xml", "journal.json", "mock.log"} <= names
    client_suite = _suite(reports / "client-tests.xml")
    assert (client_suite.get("tests"), client_suite.get("failures"), client_suite.get("errors")) == ("1", "0", "0")
    contract_suite = _suite(reports / "contract.xml")
    assert int(contract_suite.get("tests", "0")) >= 9 and contract_suite.get("failures") == "0"
    journal = json.loads((reports / "journal.json").read_text())["requests"]
    assert [(record["operation"], record["status"]) for record in journal] == [("upscaleImageFast", 200)]


def _suite(path: Path) -> ElementTree.Element:
    root = ElementTree.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    assert suite is not None, path
    return suite


def _assert_stopped(port: int) -> None:
    """The workflow's own stop step ended the mock."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/_mock/health", timeout=1)
        except requests.ConnectionError:
            return
        time.sleep(0.2)
    raise AssertionError("the mock still answers after the workflow's stop step")


def _stop_if_running(pid_file: Path) -> None:
    """A failed step must not leave the background mock running."""
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
