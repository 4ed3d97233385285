"""A page on another site, in headless Chromium, against a mock on loopback: refused, and nothing changes.

The attacks of ``../shared/reviews/local-server-probe.md`` (findings 1 and 2), as the
probe ran them: the attacker's page is served from a second loopback port and opened as
``http://evil.example:<port>/``, with Chromium told that ``evil.example`` is 127.0.0.1,
so the page is cross-site to the mock. DNS rebinding is the moment the attacker's name
points at the mock: the page is on ``evil.example:<mock's port>``, and every request it
makes reaches the mock with that name as ``Host``. Chromium's own Local Network Access
checks would stop some of this; they are off, as in browsers that do not have them, so
that the mock's refusal is what is tested.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from werkzeug.serving import make_server

from contract_tests.server import LiveServer
from mockserver import Config, MemoryStore, create_app
from tests.conftest import SMALL_TARGET

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, Route

from tests.web.test_ui_browser import WAIT_MS, launched

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

ATTACKER = "evil.example"
#: How the page tells the test it is done: the results of its requests, as JSON in this element.
RESULTS = "#results"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    resolve_to_loopback = f"--host-resolver-rules=MAP {ATTACKER} 127.0.0.1"
    yield from launched(resolve_to_loopback, "--disable-features=LocalNetworkAccessChecks")


@pytest.fixture
def mock() -> Iterator[LiveServer]:
    app = create_app(Config(store="memory://", target_pixels=SMALL_TARGET), store=MemoryStore())
    with LiveServer(app) as live:
        live.control.add_fault(operation="*", status=500)
        live.control.update_settings(pending_polls=7)
        yield live


class AttackerSite:
    """The attacker's web server: one page, on its own loopback port."""

    def __init__(self) -> None:
        self.page = ""
        self._server = make_server("127.0.0.1", 0, self._answer, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="attacker", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{ATTACKER}:{self._server.server_port}/"

    def _answer(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [self.page.encode()]

    def __enter__(self) -> AttackerSite:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def attacker() -> Iterator[AttackerSite]:
    with AttackerSite() as site:
        yield site


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 500})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    yield opened
    context.close()


def assert_untouched(mock: LiveServer) -> None:
    assert len(mock.control.faults()) == 1
    assert mock.control.settings().pending_polls == 7


def test_a_form_on_another_site_does_not_reset_the_mock(
    page: Page, mock: LiveServer, attacker: AttackerSite, tmp_path: Path
) -> None:
    """The probe's proof of concept: a hidden form, submitted as the page loads (a top-level navigation)."""
    attacker.page = f"""<!doctype html><title>Cute cats</title>
<form id=f method=POST action="{mock.url}/_mock/reset" enctype="text/plain">
  <input type=hidden name=x value=y></form>
<script>setTimeout(() => document.getElementById("f").submit(), 100)</script>"""
    with page.expect_response(f"{mock.url}/_mock/reset") as answered:
        page.goto(attacker.url)
    assert answered.value.request.headers.get("origin") == attacker.url.rstrip("/")
    page.wait_for_load_state()
    page.screenshot(path=str(tmp_path / "cross-site-form.png"))
    shown = json.loads(page.inner_text("body"))
    assert answered.value.status == 403
    assert shown["name"] == "cross_site_request"
    assert_untouched(mock)


def test_no_cors_requests_from_another_local_program_do_not_reset_the_mock(
    page: Page, mock: LiveServer, attacker: AttackerSite
) -> None:
    """From a loopback origin Chromium lets every kind of simple request through; the mock refuses each."""
    attacker.page = f"""<!doctype html><pre id=results></pre><script>
(async () => {{
  await fetch("{mock.url}/_mock/reset", {{method: "POST", mode: "no-cors"}});
  const form = new FormData(); form.append("a", "b");
  await fetch("{mock.url}/_mock/reset", {{method: "POST", mode: "no-cors", body: form}});
  document.getElementById("results").textContent = JSON.stringify({{sent: 2}});
}})();
</script>"""
    statuses: list[int] = []
    page.on("response", lambda response: statuses.append(response.status) if "/_mock/" in response.url else None)
    page.goto(attacker.url)
    page.wait_for_selector(f"{RESULTS}:not(:empty)")
    assert statuses == [403, 403]
    assert_untouched(mock)


def test_a_rebinding_page_reads_and_changes_nothing(page: Page, mock: LiveServer, tmp_path: Path) -> None:
    """The attacker's page, then its name pointed at the mock: same-origin, but with the attacker's Host."""
    rebound = f"http://{ATTACKER}:{mock.port}"
    attack = """<!doctype html><pre id=results></pre><script>
(async () => {
  const results = {};
  for (const [name, path, options] of [
    ["journal", "/_mock/requests", {}],
    ["settings", "/_mock/settings", {method: "PATCH", headers: {"Content-Type": "application/json"},
                                      body: JSON.stringify({pending_polls: 42})}],
    ["faults", "/_mock/faults", {method: "DELETE"}],
    ["document", "/openapi.json", {}],
  ]) {
    const answer = await fetch(path, options);
    results[name] = [answer.status, (await answer.json()).name || "read"];
  }
  document.getElementById("results").textContent = JSON.stringify(results);
})();
</script>"""

    def serve_the_attack(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=attack)

    page.route(f"{rebound}/attack.html", serve_the_attack)
    page.goto(f"{rebound}/attack.html")
    page.wait_for_selector(f"{RESULTS}:not(:empty)")
    results = json.loads(page.inner_text(RESULTS))
    refused = [403, "host_not_allowed"]
    assert results == {"journal": refused, "settings": refused, "faults": refused, "document": refused}
    assert_untouched(mock)
    # And the dashboard itself, opened under the attacker's name, is the same refusal.
    page.goto(f"{rebound}/_mock/ui/")
    page.screenshot(path=str(tmp_path / "rebinding-dashboard.png"))
    assert json.loads(page.inner_text("body"))["name"] == "host_not_allowed"
