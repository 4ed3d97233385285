"""Interception on real gunicorn processes: ``serve --proxy-port`` and ``serve --tls``."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import MutableMapping
from pathlib import Path

import pytest
import requests

from bench.harness.server import free_port, running_server
from mockserver.control.remote import MockAdmin
from mockserver.interception.ca import LocalCA
from tests.conftest import FIXTURES
from tests.interception.cipher_probe import AEAD_ONLY, CBC_ONLY, tls12_suite

pytestmark = pytest.mark.slow

AUTH = {"Authorization": "Bearer sk-serving"}
BASE = "https://api.stability.ai"


def _post(
    url: str,
    operation: str,
    *,
    proxies: MutableMapping[str, str] | None = None,
    verify: bool | str | None = None,
) -> requests.Response:
    with (FIXTURES / "sample.png").open("rb") as image:
        return requests.post(
            f"{url}/v2beta/stable-image/upscale/{operation}",
            files={"image": ("sample.png", image, "image/png")},
            data={"prompt": "a red kite"} if operation != "fast" else {},
            headers=AUTH,
            timeout=60,
            proxies=proxies,
            verify=verify,
        )


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait_closed(port: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _listening(port):
            return True
        time.sleep(0.1)
    return False


def _proxy_parent(proxy_port: int) -> int:
    """The serve process that started the proxy on ``proxy_port``, as the proxy's command line names it."""
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            words = (entry / "cmdline").read_bytes().split(b"\0")
            if b"mockserver.interception" in words and str(proxy_port).encode() in words:
                return int(words[words.index(b"--parent-pid") + 1])
    raise AssertionError(f"no proxy process for port {proxy_port}")


def test_serve_with_a_proxy_port_intercepts_and_stops_with_the_server(tmp_path: Path) -> None:
    proxy_port = free_port()
    options = ("--proxy-port", str(proxy_port), "--data-dir", str(tmp_path / "data"), "--target-pixels", "65536")
    with running_server(*options, log=tmp_path / "p.log") as url, requests.Session() as session:
        session.trust_env = False
        session.proxies = {"https": f"http://127.0.0.1:{proxy_port}"}
        session.verify = str(LocalCA(tmp_path / "data").bundle())
        fast = _post(BASE, "fast", proxies=session.proxies, verify=session.verify)
        assert fast.status_code == 200 and fast.headers["content-type"] == "image/png"
        generation_id = _post(BASE, "creative", proxies=session.proxies, verify=session.verify).json()["id"]
        statuses = [session.get(f"{BASE}/v2beta/results/{generation_id}", headers=AUTH, timeout=60) for _ in "ab"]
        assert [answer.status_code for answer in statuses] == [202, 200]
        with pytest.raises(requests.exceptions.ProxyError, match="403"):
            session.get("https://example.com/", timeout=10)
        with MockAdmin(url) as admin:
            assert [record["headers"]["host"] for record in admin.requests()] == ["api.stability.ai"] * 4
        assert _listening(proxy_port)
    assert _wait_closed(proxy_port), "the proxy outlived its server"
    assert "Traceback" not in (tmp_path / "p.log").read_text()


def test_the_proxy_exits_by_itself_when_its_server_is_killed(tmp_path: Path) -> None:
    proxy_port = free_port()
    options = ("--proxy-port", str(proxy_port), "--data-dir", str(tmp_path / "data"))
    with running_server(*options, log=tmp_path / "k.log"):
        assert _listening(proxy_port)
        os.kill(_proxy_parent(proxy_port), signal.SIGKILL)
        assert _wait_closed(proxy_port), "the proxy outlived a killed server"


def test_a_busy_proxy_port_stops_start_up_with_a_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with (
            pytest.raises(RuntimeError, match="did not start"),
            running_server("--proxy-port", str(port), "--data-dir", str(tmp_path), log=tmp_path / "b.log"),
        ):
            pass


def test_serve_tls_answers_for_the_api_host_and_loopback_with_faults(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ca = LocalCA(data_dir).ensure()
    options = ("--tls", "--data-dir", str(data_dir))
    with running_server(*options, log=tmp_path / "t.log", tls_ca=ca) as url:
        port = url.rsplit(":", 1)[1]
        assert _post(url, "fast", verify=str(ca)).status_code == 200
        # No CBC suite is offered under TLS 1.2: a client that offers only those gets no handshake.
        assert tls12_suite(socket.create_connection(("127.0.0.1", int(port)), timeout=10), ca, CBC_ONLY) is None
        agreed = tls12_suite(socket.create_connection(("127.0.0.1", int(port)), timeout=10), ca, AEAD_ONLY)
        assert agreed in AEAD_ONLY.split(":")
        assert _post(f"https://localhost:{port}", "fast", verify=str(ca)).status_code == 200
        if shutil.which("curl"):
            # What an /etc/hosts line mapping api.stability.ai to this machine gives a client.
            completed = subprocess.run(
                ["curl", "-sS", "--max-time", "20", "--cacert", str(ca), "--resolve",
                 f"api.stability.ai:{port}:127.0.0.1", "-o", "/dev/null", "-w", "%{http_code}",
                 f"https://api.stability.ai:{port}/_mock/health"],
                capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            assert completed.stdout == "200", completed.stderr
        with MockAdmin(url) as admin:
            # REQUESTS_CA_BUNDLE in the environment would win over a session's verify.
            admin.session.trust_env = False
            admin.session.verify = str(ca)
            admin.add_fault(operation="upscaleImageFast", transport="reset")
            with pytest.raises(requests.ConnectionError):
                _post(url, "fast", verify=str(ca))
            admin.add_fault(operation="upscaleImageFast", transport="truncate")
            with pytest.raises(requests.exceptions.ChunkedEncodingError):
                _post(url, "fast", verify=str(ca))
            assert _post(url, "fast", verify=str(ca)).status_code == 200
    assert "Traceback" not in (tmp_path / "t.log").read_text()


def test_the_proxy_in_front_of_a_tls_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ca = LocalCA(data_dir)
    proxy_port = free_port()
    options = ("--tls", "--proxy-port", str(proxy_port), "--data-dir", str(data_dir))
    with running_server(*options, log=tmp_path / "tp.log", tls_ca=ca.ensure()):
        proxies = {"https": f"http://127.0.0.1:{proxy_port}"}
        answer = _post(BASE, "fast", proxies=proxies, verify=str(ca.bundle()))
        assert answer.status_code == 200
