"""The dashboard over plain HTTP: the redirect at ``/``, its static files, the guard, the package data."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mockserver import Config, MemoryStore, create_app
from mockserver.cli import dashboard_url, main
from mockserver.services import services_of
from mockserver.serving.server import GunicornServer
from mockserver.web.routes.ui import UI_DIR, prefers_html
from tests.conftest import AUTH, FAST_PATH, ROOT

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
ELSEWHERE = {"REMOTE_ADDR": "192.0.2.10"}


class PageClient(FlaskClient):
    """A client without the suite's spec check (the page's files are in neither spec, by design)
    that reads and closes each answer, so a served file is never left open."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        response.get_data()
        response.close()
        return response


def plain_client(config: Config) -> tuple[Flask, FlaskClient]:
    app = create_app(config, store=MemoryStore())
    app.test_client_class = PageClient
    return app, app.test_client()


@pytest.fixture
def web() -> tuple[Flask, FlaskClient]:
    return plain_client(Config(store="memory://"))


@pytest.mark.parametrize(
    ("accept", "browser"),
    [
        (BROWSER_ACCEPT, True),
        ("text/html", True),
        ("text/html;q=0.5, application/json", False),
        ("*/*", False),
        (None, False),
        ("application/json", False),
        ("text/html, application/json", False),
    ],
)
def test_only_a_browser_is_sent_from_slash_to_the_dashboard(
    web: tuple[Flask, FlaskClient], accept: str | None, browser: bool
) -> None:
    _, client = web
    response = client.get("/", headers={"Accept": accept} if accept else {})
    if browser:
        assert response.status_code == 302
        assert response.headers["Location"] == "/_mock/ui/"
    else:
        assert response.status_code == 404
        assert response.get_json()["errors"] == ["path: no endpoint at /"]
    assert prefers_html(accept) is browser


def test_other_methods_and_unknown_paths_keep_their_json_errors(web: tuple[Flask, FlaskClient]) -> None:
    _, client = web
    response = client.post("/", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 404 and response.is_json
    response = client.get("/nowhere", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 404 and response.get_json()["name"] == "not_found"


def test_the_page_is_not_api_traffic_but_slash_from_a_client_still_is(web: tuple[Flask, FlaskClient]) -> None:
    _, client = web
    client.get("/", headers={"Accept": BROWSER_ACCEPT})
    client.get("/_mock/ui/")
    client.get("/_mock/ui/js/main.js")
    client.get("/", headers={"Accept": "*/*"})
    paths = [record["path"] for record in client.get("/_mock/requests").get_json()["requests"]]
    assert paths == ["/"]


def test_the_page_and_its_modules_are_served_without_a_key(web: tuple[Flask, FlaskClient]) -> None:
    _, client = web
    page = client.get("/_mock/ui/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/_mock/ui").status_code == 308
    module = client.get("/_mock/ui/js/main.js")
    assert module.status_code == 200 and module.mimetype == "text/javascript"
    assert client.get("/_mock/ui/style.css").mimetype == "text/css"


@pytest.mark.parametrize("path", ["/_mock/ui/missing.js", "/_mock/ui/../routes/ui.py", "/_mock/ui/%2e%2e/app.py"])
def test_nothing_outside_the_page_folder_is_served(web: tuple[Flask, FlaskClient], path: str) -> None:
    _, client = web
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["name"] == "not_found"


def test_every_file_the_page_names_exists() -> None:
    """index.html's scripts and styles, reference.html's, and every ES module import resolve to a shipped file."""
    named: set[Path] = set()
    for page in ("index.html", "reference.html"):
        text = (UI_DIR / page).read_text()
        named |= {UI_DIR / ref for ref in re.findall(r'(?:src|href)="([^"#:]+)"', text)}
    for module in (UI_DIR / "js").glob("*.js"):
        named |= {module.parent / ref for ref in re.findall(r'from "(\./[^"]+)"', module.read_text())}
    missing = sorted(str(path.relative_to(UI_DIR)) for path in named if not path.resolve().is_file())
    assert not missing
    assert len(named) > 8


def test_pyproject_ships_every_file_of_the_page() -> None:
    """The wheel check in tests/packaging builds it; this says which glob a new file lacks, in a second."""
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    # Globbed as setuptools globs them: "*" never crosses a "/".
    shipped = {path for pattern in package_data["mockserver.web"] for path in UI_DIR.parent.glob(pattern)}
    files = {path for path in UI_DIR.rglob("*") if path.is_file()}
    assert files and not sorted(str(path.relative_to(UI_DIR)) for path in files - shipped)
    assert (UI_DIR / "vendor" / "swagger-ui" / "LICENSE").is_file()


def test_the_page_is_public_but_its_data_is_guarded_as_before() -> None:
    """With a token the page loads for anyone, and the admin API it reads still wants the token."""
    _, client = plain_client(Config(store="memory://", admin_token="s3cret"))
    assert client.get("/_mock/ui/", environ_base=ELSEWHERE).status_code == 200
    refused = client.get("/_mock/requests", environ_base=ELSEWHERE)
    assert refused.status_code == 403
    assert refused.get_json()["errors"] == ["authorization: the admin token is missing or wrong"]
    allowed = client.get("/_mock/requests", headers={"X-Admin-Token": "s3cret"}, environ_base=ELSEWHERE)
    assert allowed.status_code == 200


def test_without_a_token_only_loopback_reads_the_data() -> None:
    _, client = plain_client(Config(store="memory://"))
    assert client.get("/_mock/ui/", environ_base=ELSEWHERE).status_code == 200
    assert client.get("/_mock/jobs", environ_base=ELSEWHERE).status_code == 403
    assert client.get("/_mock/jobs").status_code == 200


@pytest.mark.parametrize("profile", ["seed", "live"])
def test_openapi_json_is_the_document_in_force(profile: str) -> None:
    app, client = plain_client(Config(store="memory://", profile=profile, allowed_hosts=("mock.test",)))
    document = client.get("/openapi.json", base_url="http://mock.test:9000").get_json()
    assert document["servers"][0] == {"url": "http://mock.test:9000", "description": "This mock server"}
    in_force = services_of(app).spec.document
    assert {**document, "servers": None} == {**in_force, "servers": None}
    assert ("/v1/user/balance" in document["paths"]) is (profile == "live")
    assert client.get("/openapi.yml").status_code == 200
    assert client.post(FAST_PATH, headers=AUTH).status_code == 400  # the public API is untouched


def test_serve_prints_the_dashboard_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(GunicornServer, "run", lambda self: None)
    result = CliRunner().invoke(main, ["serve", "--port", "8123", "--store", "memory://"])
    assert result.exit_code == 0, result.output
    assert "dashboard http://127.0.0.1:8123/_mock/ui/" in result.output


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8080/_mock/ui/"),
        ("0.0.0.0", "http://127.0.0.1:8080/_mock/ui/"),
        ("::", "http://[::1]:8080/_mock/ui/"),
        ("::1", "http://[::1]:8080/_mock/ui/"),
        ("mock.local", "http://mock.local:8080/_mock/ui/"),
    ],
)
def test_the_dashboard_url_is_one_a_local_browser_reaches(host: str, url: str) -> None:
    assert dashboard_url("http", host, 8080) == url


def test_openapi_json_answers_as_admin_yml_says(client: FlaskClient) -> None:
    """The suite's client checks meta answers against spec/admin.yml, where /openapi.json is declared."""
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["paths"]
