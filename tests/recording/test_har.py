"""The journal as HAR 1.2: checked against the format's own required fields, keys redacted, written by the CLI."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import requests
from click.testing import CliRunner
from flask.testing import FlaskClient

from contract_tests.server import LiveServer
from mockserver.cli import main
from mockserver.settings.config import Config
from tests.conftest import FIXTURES, Upload

KEY = "sk-har-secret-77c1"


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


_NAME_VALUE = {"type": "array", "items": _object(["name", "value"], name={"type": "string"}, value={"type": "string"})}
#: HAR 1.2's required fields and their types (http://www.softwareishard.com/blog/har-12-spec/), written
#: from the format's text rather than from spec/admin.yml, so the two check each other.
HAR_1_2 = _object(
    ["log"],
    log=_object(
        ["version", "creator", "entries"],
        version={"const": "1.2"},
        creator=_object(["name", "version"], name={"type": "string"}, version={"type": "string"}),
        entries={
            "type": "array",
            "items": _object(
                ["startedDateTime", "time", "request", "response", "cache", "timings"],
                startedDateTime={"type": "string", "format": "date-time"},
                time={"type": "number", "minimum": 0},
                request=_object(
                    ["method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"],
                    method={"type": "string"},
                    url={"type": "string", "pattern": "^https?://"},
                    httpVersion={"type": "string"},
                    cookies={"type": "array"},
                    headers=_NAME_VALUE,
                    queryString=_NAME_VALUE,
                    headersSize={"type": "integer"},
                    bodySize={"type": "integer"},
                    postData=_object(["mimeType"], mimeType={"type": "string"}, params={"type": "array"}),
                ),
                response=_object(
                    ["status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL",
                     "headersSize", "bodySize"],
                    status={"type": "integer"},
                    statusText={"type": "string"},
                    httpVersion={"type": "string"},
                    cookies={"type": "array"},
                    headers=_NAME_VALUE,
                    content=_object(["size", "mimeType"], size={"type": "integer"}, mimeType={"type": "string"}),
                    redirectURL={"type": "string"},
                    headersSize={"type": "integer"},
                    bodySize={"type": "integer"},
                ),
                cache={"type": "object"},
                timings=_object(
                    ["send", "wait", "receive"],
                    send={"type": "number"},
                    wait={"type": "number"},
                    receive={"type": "number"},
                ),
            ),
        },
    ),
)  # fmt: skip


def _calls(client: FlaskClient, upload: Upload) -> None:
    headers = {"Authorization": f"Bearer {KEY}", "Accept": "image/*"}
    client.set_cookie("session", KEY)
    image = (FIXTURES / "sample.png").read_bytes()
    assert client.post("/v2beta/stable-image/upscale/fast", data=upload(image), headers=headers).status_code == 200
    tiff = upload(image, output_format="tiff")
    refused = client.post("/v2beta/stable-image/upscale/fast", data=tiff, headers=headers)
    assert refused.status_code == 400


def test_the_journal_as_har_holds_the_format_s_required_fields(client: FlaskClient, upload: Upload) -> None:
    _calls(client, upload)
    answer = client.get("/_mock/requests?format=har")
    assert answer.status_code == 200
    har = answer.get_json()
    jsonschema.validate(har, HAR_1_2, format_checker=jsonschema.FormatChecker())
    entries = har["log"]["entries"]
    assert [(entry["request"]["method"], entry["response"]["status"]) for entry in entries] == [
        ("POST", 200),
        ("POST", 400),
    ]
    assert entries[0]["request"]["url"] == "http://localhost/v2beta/stable-image/upscale/fast"
    assert entries[0]["response"]["content"]["mimeType"] == "image/png"
    assert entries[0]["response"]["content"]["size"] > 1000
    assert entries[1]["response"]["statusText"] == "Bad Request"
    assert {"name": "output_format", "value": "tiff"} in entries[1]["request"]["postData"]["params"]
    assert entries[1]["_errors"] == ["output_format: must be one of: jpeg, png, webp"]


def test_the_har_holds_no_key_as_in_the_journal(client: FlaskClient, upload: Upload) -> None:
    _calls(client, upload)
    text = client.get("/_mock/requests?format=har").get_data(as_text=True)
    assert KEY not in text
    sent = json.loads(text)["log"]["entries"][0]["request"]["headers"]
    headers = {header["name"]: header["value"] for header in sent}
    assert headers["authorization"].startswith("Bearer key_") and headers["cookie"] == "<redacted>"


def test_an_unknown_format_is_refused(client: FlaskClient) -> None:
    answer = client.get("/_mock/requests?format=xml")
    assert answer.status_code == 400 and answer.get_json()["errors"][0].startswith("format:")


def test_stability_mock_journal_writes_the_har_file(tmp_path: Path) -> None:
    with LiveServer.for_config(Config(store="memory://")) as server:
        image = (FIXTURES / "sample.png").read_bytes()
        sent = requests.post(
            server.url_for("/v2beta/stable-image/upscale/fast"),
            files={"image": ("sample.png", image, "image/png")},
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=60,
        )
        assert sent.status_code == 200
        url = server.url
        target = tmp_path / "journal.har"
        done = subprocess.run(
            [sys.executable, "-m", "mockserver", "journal", "--url", server.url, "--har", str(target)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert "1 calls written to" in done.stderr
    har = json.loads(target.read_text())
    jsonschema.validate(har, HAR_1_2)
    assert har["log"]["entries"][0]["request"]["url"] == f"{url}/v2beta/stable-image/upscale/fast"


def test_journal_says_when_the_mock_cannot_be_reached(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    result = CliRunner().invoke(main, ["journal", "--url", url, "--har", str(tmp_path / "j.har")])
    assert result.exit_code == 1 and "Error:" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "j.har").exists()
