"""Clients that hard-code https://api.stability.ai, unmodified, reach the mock through its proxy.

Each client below is written as for the live API; only the environment the
``stability_mock_proxy`` fixture sets (HTTPS_PROXY, the CA bundle, NO_PROXY)
brings it to the mock. All traffic stays on loopback: the proxy never resolves
or contacts another host, which the refusal tests check with a local listener.
"""

from __future__ import annotations

import fcntl
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypedDict, Unpack

import certifi
import httpx
import pytest
import requests

from contract_tests.handle import StabilityMock
from contract_tests.interception import InterceptedMock
from mockserver.interception.ca import LocalCA
from mockserver.interception.proxy import InterceptingProxy, ProxySettings
from tests.clients.aiohttp_client import OPERATIONS
from tests.conftest import ROOT
from tests.interception.cipher_probe import AEAD_ONLY, CBC_ONLY, tls12_suite

pytestmark = pytest.mark.stability_mock(target_pixels=65536)

SAMPLE = (ROOT / "fixtures" / "sample.png").read_bytes()
NODE_DIR = ROOT / "tests" / "node"
BASE = "https://api.stability.ai"
AUTH = {"Authorization": "Bearer sk-hard-coded"}
#: What each operation gives for the 256x256 sample with target_pixels=65536 (aspect kept, never smaller).
EXPECTED_TYPES = {"fast": "image/png", "conservative": "image/png", "creative": "image/jpeg"}
MAX_POLLS = 10
#: Polls per operation (fast, conservative, creative): the seed profile answers conservative and
#: creative with an id (one 202, then the image); the live one answers conservative at once.
POLLS = {"seed": [0, 2, 2], "live": [0, 0, 2]}
BOTH_PROFILES = pytest.mark.parametrize(
    "profile", ["seed", pytest.param("live", marks=pytest.mark.stability_mock(profile="live"))]
)

Answer = tuple[int, str, bytes]


def _run_operations(call: Callable[[str, dict[str, str] | None], Answer]) -> dict[str, dict[str, Any]]:
    """Every operation as a client does it: upload, and poll the id until the image comes."""
    results = {}
    for operation, fields in OPERATIONS.items():
        status, content_type, body = call(f"/v2beta/stable-image/upscale/{operation}", fields)
        polls = 0
        if status == 200 and content_type.startswith("application/json"):
            generation_id = json.loads(body)["id"]
            status = 202
            while status == 202 and polls < MAX_POLLS:
                polls += 1
                status, content_type, body = call(f"/v2beta/results/{generation_id}", None)
        results[operation] = {"status": status, "type": content_type, "bytes": len(body), "polls": polls}
    return results


def _run_client(command: list[str], env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Run a client program on the sample image with ``env`` added; what it printed, as JSON."""
    completed = subprocess.run(
        [*command, str(ROOT / "fixtures" / "sample.png")],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    results: dict[str, dict[str, Any]] = json.loads(completed.stdout)
    return results


def _assert_all_operations_worked(results: dict[str, dict[str, Any]], profile: str = "seed") -> None:
    for operation, result in results.items():
        assert result["status"] == 200, (operation, result)
        assert result["type"] == EXPECTED_TYPES[operation], (operation, result)
        assert result["bytes"] > 1000, (operation, result)
    assert [results[name]["polls"] for name in OPERATIONS] == POLLS[profile]


def _assert_journal_saw_them(intercepted: InterceptedMock, user_agent_start: str, profile: str = "seed") -> None:
    records = intercepted.mock.requests()
    expected = [[200] + [202] * (polls - 1) + [200] if polls else [200] for polls in POLLS[profile]]
    assert [record["status"] for record in records] == [status for statuses in expected for status in statuses]
    assert {record["headers"]["host"] for record in records} == {"api.stability.ai"}
    assert all(record["headers"]["user-agent"].lower().startswith(user_agent_start) for record in records)
    assert [record["operation"] for record in records if record["path"].startswith("/v2beta/stable")] == [
        "upscaleImageFast",
        "upscaleImageConservative",
        "upscaleImageCreative",
    ]


@BOTH_PROFILES
def test_python_requests_unmodified(stability_mock_proxy: InterceptedMock, profile: str) -> None:
    with requests.Session() as session:

        def call(path: str, fields: dict[str, str] | None) -> Answer:
            if fields is None:
                response = session.get(BASE + path, headers=AUTH, timeout=30)
            else:
                files = {"image": ("sample.png", SAMPLE, "image/png")}
                response = session.post(BASE + path, headers=AUTH, files=files, data=fields, timeout=30)
            return response.status_code, response.headers["content-type"], response.content

        results = _run_operations(call)
    _assert_all_operations_worked(results, profile)
    _assert_journal_saw_them(stability_mock_proxy, "python-requests", profile)


def test_httpx_unmodified(stability_mock_proxy: InterceptedMock) -> None:
    with httpx.Client(timeout=30) as client:

        def call(path: str, fields: dict[str, str] | None) -> Answer:
            if fields is None:
                response = client.get(BASE + path, headers=AUTH)
            else:
                files = {"image": ("sample.png", SAMPLE, "image/png")}
                response = client.post(BASE + path, headers=AUTH, files=files, data=fields)
            return response.status_code, response.headers["content-type"], response.content

        results = _run_operations(call)
    _assert_all_operations_worked(results)
    _assert_journal_saw_them(stability_mock_proxy, "python-httpx")


def test_aiohttp_with_trust_env_unmodified(stability_mock_proxy: InterceptedMock) -> None:
    """In its own process: aiohttp reads SSL_CERT_FILE when it is imported, so the variables come first."""
    script = ROOT / "tests" / "clients" / "aiohttp_client.py"
    _assert_all_operations_worked(_run_client([sys.executable, str(script)], stability_mock_proxy.environ()))
    _assert_journal_saw_them(stability_mock_proxy, "python/")


@pytest.mark.parametrize("style", ["environment", "flags"])
def test_curl(stability_mock_proxy: InterceptedMock, tmp_path: Path, style: str) -> None:
    """Both documented forms: https_proxy + CURL_CA_BUNDLE, or -x and --cacert with the CA alone."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    (tmp_path / "sample.png").write_bytes(SAMPLE)
    output = tmp_path / "fast.png"
    command = ["curl", "-sS", "--max-time", "30", "-H", "Authorization: Bearer sk-curl", "-F", "image=@sample.png"]
    command += ["-o", str(output), "-w", "%{http_code} %{content_type}", f"{BASE}/v2beta/stable-image/upscale/fast"]
    env = dict(os.environ)
    if style == "flags":
        command += ["-x", stability_mock_proxy.proxy_url, "--cacert", str(stability_mock_proxy.ca_cert)]
        for name in ("HTTPS_PROXY", "https_proxy", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
            env.pop(name, None)
    completed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert completed.stdout == "200 image/png", completed.stderr
    assert output.read_bytes().startswith(b"\x89PNG")
    assert stability_mock_proxy.mock.requests()[0]["headers"]["user-agent"].startswith("curl/")


# Node -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def node_clients() -> Path:
    """tests/node with its packages installed from the lock file (``npm ci``) when they are missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed (.ci/run installs them)")
    # Parallel workers (pytest-xdist) each ask: one installs, the others wait for it and find the packages there.
    with (NODE_DIR / "package-lock.json").open("rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (NODE_DIR / "node_modules" / "undici").is_dir() or not (NODE_DIR / "node_modules" / "axios").is_dir():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True, timeout=300
            )
    return NODE_DIR


@BOTH_PROFILES
@pytest.mark.parametrize("library", ["axios", "fetch"])
def test_node_client_unmodified(
    stability_mock_proxy: InterceptedMock, node_clients: Path, library: str, profile: str
) -> None:
    """axios follows HTTPS_PROXY itself; Node 20's fetch needs undici's EnvHttpProxyAgent preloaded."""
    env = stability_mock_proxy.environ()
    if library == "fetch":
        env["NODE_OPTIONS"] = f"--require {node_clients / 'use-env-proxy.cjs'}"
    _assert_all_operations_worked(_run_client(["node", str(node_clients / "client.mjs"), library], env), profile)
    _assert_journal_saw_them(stability_mock_proxy, "axios" if library == "axios" else "node", profile)


# Refusals: other hosts are never contacted -------------------------------------------------------


@pytest.fixture
def bystander() -> Iterator[socket.socket]:
    """A loopback listener standing in for "another host": it must never see a connection."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        yield listener


def _assert_untouched(listener: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        connection, _ = listener.accept()
        connection.close()


def _error_shape(body: bytes, host: str) -> None:
    error = json.loads(body)
    assert set(error) == {"id", "name", "message", "errors"}
    assert len(error["id"]) == 32 and int(error["id"], 16) >= 0
    assert error["name"] == "forbidden"
    assert error["errors"][0].startswith(f"host: {host} is not intercepted")


def test_connect_to_another_host_is_refused_and_never_made(
    stability_mock_proxy: InterceptedMock, bystander: socket.socket
) -> None:
    port = bystander.getsockname()[1]
    for target in (f"127.0.0.1:{port}", f"localhost:{port}", "example.com:443", "api.stability.ai:8443"):
        with socket.create_connection(_address(stability_mock_proxy.proxy_url), timeout=10) as sock:
            sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
            status_line, body = _read_response(sock)
        assert status_line.startswith(b"HTTP/1.1 403"), status_line
        _error_shape(body, target)
    _assert_untouched(bystander)
    assert stability_mock_proxy.mock.requests() == []


def test_absolute_requests_for_other_hosts_are_refused_on_a_kept_alive_connection(
    stability_mock_proxy: InterceptedMock, bystander: socket.socket
) -> None:
    """As axios-style clients do: several absolute-form requests, for several hosts, on one connection."""
    port = bystander.getsockname()[1]
    connection = http.client.HTTPConnection(*_address(stability_mock_proxy.proxy_url), timeout=10)
    try:
        answers, sockets = [], []
        for url in (
            f"{BASE}/v2beta/results/{'0' * 64}",
            f"http://127.0.0.1:{port}/v2beta/results/x",
            f"https://localhost:{port}/",
            "http://api.stability.ai/v2beta/results/" + "1" * 64,
        ):
            connection.request("POST" if "localhost" in url else "GET", url, body=b"x" * 10, headers=AUTH)
            response = connection.getresponse()
            answers.append((response.status, response.read()))
            sockets.append(connection.sock)
    finally:
        connection.close()
    assert [status for status, _ in answers] == [404, 403, 403, 404]
    assert all(sock is sockets[0] for sock in sockets), "the proxy closed a connection it could keep"
    _error_shape(answers[1][1], f"127.0.0.1:{port}")
    assert json.loads(answers[0][1])["name"] == "generation_not_found"
    _assert_untouched(bystander)
    assert [record["status"] for record in stability_mock_proxy.mock.requests()] == [404, 404]


def test_requests_sees_a_refused_tunnel_as_a_proxy_error(stability_mock_proxy: InterceptedMock) -> None:
    with pytest.raises(requests.exceptions.ProxyError, match="403"):
        requests.get("https://example.com/", timeout=10)


def test_the_proxy_is_not_a_web_server(stability_mock_proxy: InterceptedMock) -> None:
    """An origin-form request sent to the proxy itself is refused, not answered as the API."""
    answer = requests.get(stability_mock_proxy.proxy_url + "/v2beta/results/x", timeout=10)
    assert answer.status_code == 400
    assert answer.json()["name"] == "bad_request"


# Faults and limits ----------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["https", "http"])
@pytest.mark.parametrize(
    ("transport", "error"),
    [("reset", requests.ConnectionError), ("truncate", requests.exceptions.ChunkedEncodingError)],
)
def test_transport_faults_reach_the_client_through_the_proxy(
    stability_mock_proxy: InterceptedMock, scheme: str, transport: str, error: type[Exception]
) -> None:
    """https goes through a CONNECT tunnel, http as absolute-form requests: both cut the client as the mock cut it."""
    # Absolute-form over plain text: how clients send http:// URLs (and older axios sends https:// ones).
    proxies = {"http": stability_mock_proxy.proxy_url} if scheme == "http" else {}
    stability_mock_proxy.mock.add_fault(operation="upscaleImageFast", transport=transport)
    url = f"{scheme}://api.stability.ai/v2beta/stable-image/upscale/fast"
    files = {"image": ("sample.png", SAMPLE, "image/png")}
    with pytest.raises(error):
        requests.post(url, headers=AUTH, files=files, proxies=proxies, timeout=30)
    assert requests.post(url, headers=AUTH, files=files, proxies=proxies, timeout=30).status_code == 200
    records = stability_mock_proxy.mock.requests()
    assert records[0]["fault"] is not None and records[1]["fault"] is None


def test_a_stall_sends_nothing_through_the_proxy(stability_mock_proxy: InterceptedMock) -> None:
    stability_mock_proxy.mock.add_fault(operation="upscaleImageFast", transport="stall", stall_seconds=1.5)
    files = {"image": ("sample.png", SAMPLE, "image/png")}
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(f"{BASE}/v2beta/stable-image/upscale/fast", headers=AUTH, files=files, timeout=(5, 0.7))


class _Limits(TypedDict, total=False):
    """The proxy's limits a test shrinks (fields of :class:`ProxySettings`)."""

    max_connections: int
    idle_seconds: float


def _small_proxy(stability_mock: StabilityMock, tmp_path: Path, **limits: Unpack[_Limits]) -> InterceptingProxy:
    server = stability_mock.server
    assert server is not None  # the fixture's own server, not a shared one
    settings = ProxySettings("127.0.0.1", 0, server.host, server.port, LocalCA(tmp_path).leaf(), **limits)
    return InterceptingProxy(settings)


def test_the_proxy_offers_no_cbc_suites_under_tls_1_2(stability_mock_proxy: InterceptedMock) -> None:
    agreed = {}
    for name, ciphers in (("cbc", CBC_ONLY), ("aead", AEAD_ONLY)):
        sock = socket.create_connection(_address(stability_mock_proxy.proxy_url), timeout=10)
        sock.sendall(b"CONNECT api.stability.ai:443 HTTP/1.1\r\nHost: api.stability.ai:443\r\n\r\n")
        assert _read_response(sock)[0].startswith(b"HTTP/1.1 200"), name
        agreed[name] = tls12_suite(sock, stability_mock_proxy.ca_cert, ciphers)
    assert agreed["cbc"] is None
    assert agreed["aead"] in AEAD_ONLY.split(":")


def test_connections_past_the_limit_are_answered_503(stability_mock: StabilityMock, tmp_path: Path) -> None:
    with _small_proxy(stability_mock, tmp_path, max_connections=1) as proxy:
        address = _address(proxy.url)
        with socket.create_connection(address, timeout=10) as holder:
            holder.sendall(b"GET http://api.stability.ai/_mock/health HTTP/1.1\r\nHost: api.stability.ai\r\n\r\n")
            assert _read_response(holder)[0].startswith(b"HTTP/1.1 200")
            with socket.create_connection(address, timeout=10) as extra:
                status_line, body = _read_response(extra)
        assert status_line.startswith(b"HTTP/1.1 503")
        assert json.loads(body)["name"] == "service_unavailable"
        # The slot comes back once the proxy has seen the first client go, a moment after it closed.
        deadline = time.monotonic() + 10
        while True:
            with socket.create_connection(address, timeout=10) as later:
                later.sendall(b"GET http://api.stability.ai/_mock/health HTTP/1.1\r\nHost: api.stability.ai\r\n\r\n")
                status_line = _read_response(later)[0]
            if status_line.startswith(b"HTTP/1.1 200") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert status_line.startswith(b"HTTP/1.1 200")


def test_an_idle_client_is_disconnected(stability_mock: StabilityMock, tmp_path: Path) -> None:
    with (
        _small_proxy(stability_mock, tmp_path, idle_seconds=0.3) as proxy,
        socket.create_connection(_address(proxy.url), timeout=10) as idle,
    ):
        idle.sendall(b"GET http://api.stability.ai/_mock/hea")
        assert idle.recv(100) == b""


def test_the_admin_api_is_not_proxied_for_other_machines(stability_mock: StabilityMock, tmp_path: Path) -> None:
    """Proxied calls reach the mock from loopback; the proxy keeps the admin API's loopback rule for the real peer."""
    import h11

    from mockserver.errors import Forbidden
    from mockserver.interception.session import Session

    with _small_proxy(stability_mock, tmp_path) as proxy:
        remote = Session(proxy, ("192.0.2.10", 40000))
        local = Session(proxy, ("127.0.0.1", 40000))
        request = h11.Request(method="GET", target=f"{BASE}/_mock/requests", headers=[("Host", "api.stability.ai")])
        with pytest.raises(Forbidden):
            remote._route(request, tunnel=None)
        assert local._route(request, tunnel=None).path == b"/_mock/requests"


def test_a_client_that_does_not_trust_the_ca_is_refused_by_tls(stability_mock_proxy: InterceptedMock) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{BASE}/v2beta/results/x", headers=AUTH, verify=certifi.where(), timeout=10)


# Helpers ----------------------------------------------------------------------------------------


def _address(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("http://").rpartition(":")
    return host, int(port)


def _read_response(sock: socket.socket) -> tuple[bytes, bytes]:
    """Status line and body of one Content-Length-framed answer."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head.split(b"\r\n", 1)[0], body
