"""pytest plugin (``pytest11`` entry point ``stability_mock``): a live mock for your tests.

Example::

    def test_my_client_retries_429(stability_mock):
        stability_mock.add_fault(operation="upscaleImageFast", status=429, times=1)
        client = MyClient(base_url=stability_mock.url, api_key=stability_mock.api_key)
        assert client.fast(open("cat.png", "rb").read())
        assert [r["status"] for r in stability_mock.requests()] == [429, 200]

    @pytest.mark.stability_mock(pending_polls=3)
    def test_my_client_polls(stability_mock): ...

    # Answers recorded from the real service (stability-mock record) first; a miss is a 404 replay_miss.
    @pytest.mark.stability_mock(replay=Path("tests/cassettes/happy"), replay_miss="error")
    def test_my_client_against_production_answers(stability_mock): ...

One server runs for the whole session; each test gets it reset (no jobs, faults,
settings or records left from another test). Marker options that are runtime
settings (``pending_polls``, ``rate_limit``, ``credits``, ``timing``…) apply to that test;
any other :class:`mockserver.Config` option starts a dedicated server for it.

With ``--stability-mock-url URL`` (or ``STABILITY_MOCK_URL``) no server is started:
the tests share the mock running at URL (``stability-mock serve``, a CI service),
in parallel too (``pytest -n 4``). Nothing is reset, since the other tests' state is
theirs: each test gets a key of its own (``stability_mock.api_key``, sent by
``stability_mock.headers``), what it stages fires only for that key, what it reads
is that key's, and its faults are deleted when it ends. A test whose marker has
options gets a server of its own, since settings are every key's.

pytest imports this module in every run of a project that installs the package, so
the mock (Flask, openapi-core, Pillow) is imported inside the fixtures, when a test
first asks for one: a run that never uses them pays only for this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from contract_tests.handle import StabilityMock
    from contract_tests.interception import InterceptedMock
    from contract_tests.server import LiveServer
    from mockserver.control.remote import MockAdmin
    from mockserver.settings.config import Config

MARKER = "stability_mock"
#: The plugin object of ``--stability-mock-coverage``, registered under this name when the option is given.
COVERAGE_PLUGIN = "stability_mock_coverage"


def pytest_addoption(parser: pytest.Parser) -> None:
    from contract_tests.coverage_session import DEFAULT_FILE

    parser.getgroup("stability_mock").addoption(
        "--stability-mock-coverage",
        nargs="?",
        const=DEFAULT_FILE,
        default=None,
        metavar="FILE",
        help="Report which API behaviours the tests' calls to the stability_mock fixtures met: "
        f"a table at the end, the report in FILE (default {DEFAULT_FILE}); merged across xdist workers.",
    )
    parser.getgroup("stability_mock").addoption(
        "--stability-mock-url",
        dest="stability_mock_url",
        metavar="URL",
        default=None,
        help="Share the stability-mock running at URL instead of starting one: each test gets a key of its "
        "own and sees only what it staged and sent (default: $STABILITY_MOCK_URL).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): options for the stability_mock server in this test "
        "(runtime settings such as pending_polls=3, or any mockserver.Config field)",
    )
    target = config.getoption("stability_mock_coverage")
    if target:
        from contract_tests.coverage_session import SessionCoverage

        path = config.invocation_params.dir / target
        config.pluginmanager.register(SessionCoverage(config, path), COVERAGE_PLUGIN)


@pytest.fixture(scope="session")
def stability_mock_config() -> Config:
    """The session server's configuration; override this fixture to change it."""
    from mockserver.settings.config import Config

    return Config(store="memory://")


@pytest.fixture(scope="session")
def stability_mock_server(stability_mock_config: Config) -> Iterator[LiveServer]:
    """The session's live mock server."""
    from contract_tests.server import LiveServer

    with LiveServer.for_config(stability_mock_config) as server:
        yield server


@pytest.fixture(scope="session")
def stability_mock_shared(pytestconfig: pytest.Config) -> Iterator[MockAdmin | None]:
    """The admin API of the mock named by ``--stability-mock-url`` (or ``STABILITY_MOCK_URL``); ``None``
    when the session starts its own. Checked once, so a wrong URL fails every test with one clear line."""
    from mockserver.control.remote import AdminError, MockAdmin
    from mockserver.errors import ConfigError
    from mockserver.settings.config import SharedMock

    try:
        shared = SharedMock.from_env(url=pytestconfig.getoption("stability_mock_url"))
    except ConfigError as exc:
        pytest.fail(str(exc), pytrace=False)
    if shared is None:
        yield None
        return
    import requests

    with MockAdmin(shared.url, token=shared.admin_token) as admin:
        try:
            admin.health()
        except (requests.RequestException, AdminError, ValueError) as exc:
            pytest.fail(f"--stability-mock-url {shared.url}: no stability-mock answers there ({exc})", pytrace=False)
        yield admin


@pytest.fixture
def stability_mock(request: pytest.FixtureRequest, stability_mock_shared: MockAdmin | None) -> Iterator[StabilityMock]:
    """The live mock, reset for this test, with the options of its ``stability_mock`` marker;
    on a shared mock, scoped to a key of this test's own."""
    from contract_tests.handle import StabilityMock
    from contract_tests.server import LiveServer

    runtime, static = _marker_options(request)
    if stability_mock_shared is not None and not (runtime or static):
        handle = StabilityMock.shared(stability_mock_shared.base_url, stability_mock_shared)
        yield handle
        _measure(request.config, handle)
        handle.reset()
        return
    if static or stability_mock_shared is not None:
        base = request.getfixturevalue("stability_mock_config")
        with LiveServer.for_config(base.replace(**static)) as server:
            handle = _prepared(server, runtime)
            yield handle
            _measure(request.config, handle)
        return
    handle = _prepared(request.getfixturevalue("stability_mock_server"), runtime)
    yield handle
    _measure(request.config, handle)


def _measure(config: pytest.Config, handle: StabilityMock) -> None:
    """Add the test's calls to ``--stability-mock-coverage``'s report, before the next test resets the journal."""
    recorder = config.pluginmanager.get_plugin(COVERAGE_PLUGIN)
    if recorder is not None:
        recorder.add(handle)


def _marker_options(request: pytest.FixtureRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """The test's ``stability_mock`` marker options: (runtime settings, other Config fields)."""
    from mockserver.settings.runtime import RuntimeSettings

    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        options.update(marker.kwargs)
    runtime = {name: value for name, value in options.items() if name in RuntimeSettings.field_names()}
    static = {name: value for name, value in options.items() if name not in runtime}
    return runtime, static


def _prepared(server: LiveServer, runtime: dict[str, Any]) -> StabilityMock:
    from contract_tests.handle import StabilityMock

    handle = StabilityMock(server)
    handle.reset()
    if runtime:
        handle.update_settings(**runtime)
    return handle


@pytest.fixture
def stability_mock_proxy(
    stability_mock: StabilityMock, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[InterceptedMock]:
    """``stability_mock`` reached as ``https://api.stability.ai``, for clients that hard-code it.

    Starts a proxy in front of this test's mock and, for the test, points this
    process at it: ``HTTPS_PROXY``, ``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE`` and
    ``CURL_CA_BUNDLE`` (public roots plus the mock's CA), ``NODE_EXTRA_CA_CERTS``,
    and ``NO_PROXY`` so loopback calls (the mock's own URL) stay direct. Clients
    read these when they are created, so create them inside the test. Child
    processes get them through ``os.environ``, or from ``.environ()``.

    Example::

        def test_client_as_shipped(stability_mock_proxy):
            assert my_client.upscale_fast(png) is not None  # talks to https://api.stability.ai
            assert stability_mock_proxy.mock.requests()[0]["status"] == 200
    """
    from contract_tests.interception import InterceptedMock, intercepting
    from mockserver.interception.ca import LocalCA

    if stability_mock.server is None:
        pytest.fail(
            "stability_mock_proxy runs its proxy in front of a mock of this run's own; with --stability-mock-url,"
            " start the shared mock with --proxy-port and point HTTPS_PROXY at it",
            pytrace=False,
        )
    ca_dir = tmp_path_factory.getbasetemp() / "stability-mock-ca"
    ca = LocalCA(ca_dir)
    with intercepting(stability_mock.server, ca_dir) as proxy:
        intercepted = InterceptedMock(stability_mock, proxy.url, ca.ensure(), ca.bundle())
        for name, value in intercepted.environ().items():
            monkeypatch.setenv(name, value)
        yield intercepted


@pytest.fixture
def stability_mock_tls(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StabilityMock]:
    """A mock of its own for this test, served over TLS (``url`` is ``https://127.0.0.1:…``), for
    clients that refuse ``http://``: this process trusts the mock's CA for the test, through
    ``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``, ``CURL_CA_BUNDLE``, ``NODE_EXTRA_CA_CERTS`` and
    ``STABILITY_MOCK_CA_CERT`` (the CA alone). The ``stability_mock`` marker's options apply.

    Example::

        def test_client_over_https(stability_mock_tls):
            assert stability_mock_tls.url.startswith("https://")
            assert my_client(base_url=stability_mock_tls.url).fast(png) is not None
    """
    from contract_tests.interception import trust_environ
    from contract_tests.reach import tls_context
    from contract_tests.server import LiveServer
    from mockserver.interception.ca import LocalCA

    runtime, static = _marker_options(request)
    ca = LocalCA(tmp_path_factory.getbasetemp() / "stability-mock-ca")
    for name, value in trust_environ(ca.ensure(), ca.bundle()).items():
        monkeypatch.setenv(name, value)
    config = request.getfixturevalue("stability_mock_config").replace(**static)
    with LiveServer.for_config(config, ssl_context=tls_context(ca)) as server:
        handle = _prepared(server, runtime)
        yield handle
        _measure(request.config, handle)
