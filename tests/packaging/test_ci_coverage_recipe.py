"""The coverage recipe for GitHub Actions (docs/testing/coverage.md): it parses, names the commands, and runs.

The install step is skipped (this checkout's environment has the package, pytest and
pytest-xdist); every other ``run:`` step runs in order, as the runner would (``bash -e``
on a script, the job's environment), in a stand-in client repository whose tests use
the ``stability_mock`` fixture.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockserver.coverage import Coverage
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.slow

WORKFLOW = ROOT / "examples" / "ci" / "github-actions-coverage.yml"

CLIENT_TESTS = """
import requests


def test_fast(stability_mock):
    with open("tests/sample.png", "rb") as image:
        answer = requests.post(
            stability_mock.url_for("/v2beta/stable-image/upscale/fast"),
            files={"image": ("sample.png", image, "image/png")},
            headers=stability_mock.headers,
            timeout=30,
        )
    assert answer.status_code == 200


def test_a_429(stability_mock):
    stability_mock.fail_next(429, operation="upscaleImageFast")
    with open("tests/sample.png", "rb") as image:
        answer = requests.post(
            stability_mock.url_for("/v2beta/stable-image/upscale/fast"),
            files={"image": ("sample.png", image, "image/png")},
            headers=stability_mock.headers,
            timeout=30,
        )
    assert answer.status_code == 429
"""


def job() -> dict[str, Any]:
    [only] = yaml.safe_load(WORKFLOW.read_text("utf-8"))["jobs"].values()
    return dict(only)


def test_the_recipe_measures_with_the_plugin_gates_with_the_command_and_always_uploads_the_html() -> None:
    steps = job()["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    assert "--stability-mock-coverage=reports/coverage.json" in runs[1] and "-n auto" in runs[1]
    assert runs[2].split() == [
        "stability-mock", "coverage", "reports/coverage.json",
        "--html", "reports/coverage.html", "--fail-under", '"$COVERAGE_FAIL_UNDER"',
    ]  # fmt: skip
    [upload] = [step for step in steps if step.get("uses", "").startswith("actions/upload-artifact")]
    assert upload["if"] == "always()" and "reports/coverage.html" in upload["with"]["path"].split()
    assert "pytest-xdist" in runs[0]


def run_steps(repository: Path, fail_under: str, first: int = 0) -> list[subprocess.CompletedProcess[str]]:
    """The job's run steps after the install (from its ``first``), until one fails, as the runner stops."""
    env = {**os.environ, **job()["env"], "COVERAGE_FAIL_UNDER": fail_under}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    done = []
    for number, step in enumerate([step for step in job()["steps"][3:] if "run" in step][first:]):
        script = repository / f"step-{number}.sh"
        script.write_text(step["run"])
        done.append(
            subprocess.run(
                ["bash", "-e", str(script)],
                cwd=repository,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        )
        if done[-1].returncode:
            break
    return done


def test_the_steps_write_the_reports_and_fail_under_the_threshold(tmp_path: Path) -> None:
    repository = tmp_path / "client"
    (repository / "tests").mkdir(parents=True)
    (repository / "tests" / "test_client.py").write_text(CLIENT_TESTS)
    (repository / "tests" / "sample.png").write_bytes((FIXTURES / "sample.png").read_bytes())
    tests, report = run_steps(repository, "1")
    assert (tests.returncode, report.returncode) == (0, 0), tests.stdout + report.stderr
    assert re.search(r"created: \d+/\d+ workers", tests.stdout) and "stability-mock coverage" in tests.stdout
    measured = Coverage.load(repository / "reports" / "coverage.json")
    assert {b.id for b in measured.met} == {
        "upscaleImageFast:image",
        "upscaleImageFast:status-429",
        "upscaleImageFast:retry-after-429",
    }
    assert "upscaleImageFast:status-429" in (repository / "reports" / "coverage.html").read_text()
    [gated] = run_steps(repository, "60", first=1)
    assert gated.returncode == 1 and "under --fail-under 60%" in gated.stderr


def test_the_documentation_quotes_the_recipe_as_it_is() -> None:
    page = (ROOT / "docs" / "testing" / "coverage.md").read_text("utf-8")
    after = page[page.index("examples/ci/github-actions-coverage.yml") :]
    quoted = after[after.index("```yaml") + len("```yaml") : after.index("```", after.index("```yaml") + 7)]
    workflow = WORKFLOW.read_text("utf-8")
    assert [line for line in quoted.strip("\n").splitlines() if line not in workflow] == []
