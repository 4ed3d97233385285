"""``stability-mock record`` and ``serve --replay`` as users run them: real processes, a mock as the upstream."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests

from bench.harness.server import free_port, request, running, spawned
from mockserver.interception.ca import LocalCA
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow

KEY = "sk-cli-recorded-91ab"


def _fast(base: str, **extra: object) -> requests.Response:
    return requests.post(
        f"{base}/v2beta/stable-image/upscale/fast",
        files={"image": ("sample.png", (FIXTURES / "sample.png").read_bytes(), "image/png")},
        data={"output_format": "jpeg"},
        headers={"Authorization": f"Bearer {KEY}", "Accept": "image/*"},
        timeout=60,
        **extra,  # type: ignore[arg-type]
    )


def test_record_through_the_intercepting_proxy_then_replay_offline(tmp_path: Path) -> None:
    cassette = tmp_path / "cassette"
    with running("--store", "memory://") as upstream:
        port, proxy_port = free_port(), free_port()
        command = [
            sys.executable, "-m", "mockserver", "record", "--upstream", upstream.url, "--cassette", str(cassette),
            "--port", str(port), "--proxy-port", str(proxy_port), "--store", "memory://",
            "--data-dir", str(tmp_path / "data"), "--log-level", "warning",
        ]  # fmt: skip
        ready = lambda server: request(server, "GET", "/_mock/health", timeout=5)[0] == 200  # noqa: E731
        with spawned(command, port, tmp_path / "record.log", tmp_path / "data", ready=ready) as recorder:
            direct = _fast(recorder.url)
            # A client that hard-codes https://api.stability.ai, through record's own proxy.
            bundle = str(LocalCA(tmp_path / "data").bundle())
            proxy = {"https": f"http://127.0.0.1:{proxy_port}"}
            proxied = _fast("https://api.stability.ai", proxies=proxy, verify=bundle)
            journal = requests.get(f"{recorder.url}/_mock/requests", timeout=10).json()["requests"]
    assert direct.status_code == proxied.status_code == 200
    assert [record["recording"]["source"] for record in journal] == ["recorded", "recorded"]
    assert [path.name for path in sorted((cassette / "exchanges").iterdir())] == [
        "00001-upscaleImageFast-200.json",
        "00002-upscaleImageFast-200.json",
    ]
    assert not [path for path in cassette.rglob("*") if path.is_file() and KEY.encode() in path.read_bytes()]

    with running("--store", "memory://", "--replay", str(cassette), "--replay-miss", "error") as replaying:
        replayed = _fast(replaying.url)
    assert (replayed.status_code, replayed.headers["Content-Type"], replayed.content) == (
        direct.status_code,
        direct.headers["Content-Type"],
        direct.content,
    )
