"""The contract suite's reports: one self-contained HTML page, JSON, and progress per example."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from contract_tests.adapters import PythonAdapter
from contract_tests.report import media_type
from contract_tests.runner import ContractRunner, SuiteOptions
from mockserver.cli import main
from tests.clients.broken import BROKEN
from tests.conftest import ROOT

ignores_output_format = BROKEN["ignores_output_format"][0]


def test_a_failing_run_reports_its_trail_and_images_in_html_and_json(tmp_path: Path) -> None:
    page, data = tmp_path / "report.html", tmp_path / "report.json"
    outcome = CliRunner().invoke(
        main,
        [
            "contract", "--client", f"{__name__}:ignores_output_format", "--operations", "fast",
            "--max-examples", "3", "--property", "returns_exact_image", "--property", "sends_auth",
            "--html", str(page), "--json", str(data),
        ],
    )  # fmt: skip
    assert outcome.exit_code == 1, outcome.output

    report = json.loads(data.read_text())
    assert (report["passed"], report["failed"]) == (1, 1)
    failed = next(entry for entry in report["properties"] if entry["status"] == "failed")
    assert failed["name"] == "returns_exact_image"
    assert re.search(
        r"the request asks for: format PNG where (JPEG|WEBP) was expected; pixels differ", failed["message"]
    )
    assert failed["example"].startswith("fast(<")
    post = failed["trail"][-1]
    assert (post["method"], post["path"], post["status"]) == ("POST", "/v2beta/stable-image/upscale/fast", 200)
    assert "output_format" not in post["fields"], "the client dropped it: the trail shows what was sent"
    assert post["headers"]["authorization"].startswith("Bearer ") and "sk-contract-suite" not in data.read_text()
    assert failed["images"]["returned"]["media_type"] == "image/png"
    assert failed["images"]["expected"]["media_type"] in ("image/jpeg", "image/webp")

    text = page.read_text()
    assert "<link" not in text and "<script" not in text and 'src="http' not in text, "one self-contained file"
    assert "<style>" in text
    section = text[text.index('<section class="failed">') :]
    section = section[: section.index("</section>")]
    assert "returns_exact_image" in section and "Minimal example" in section
    assert len(re.findall(r'<img src="data:image/(?:png|jpeg|webp);base64,', section)) == 4
    for caption in ("input", "expected", "returned", "difference (amplified)"):
        assert f"<figcaption>{caption}: image/" in section
    assert "POST /v2beta/stable-image/upscale/fast" in section and "<td class=status>200</td>" in section
    assert "sk-contract-suite" not in text


def test_progress_counts_examples_per_property() -> None:
    seen: list[tuple[str, int]] = []
    runner = ContractRunner(
        PythonAdapter("contract_tests.reference_client:contract_factory"),
        SuiteOptions(operations=["fast"], max_examples=3, only=["sends_auth"]),
        on_example=lambda name, done: seen.append((name, done)),
    )
    [result] = runner.run()
    assert seen == [("sends_auth", done) for done in range(1, result.examples + 1)]
    assert result.examples >= 3


def test_media_types_are_sniffed_not_trusted() -> None:
    assert media_type(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert media_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert media_type(b"RIFF\x00\x00\x00\x00WAVE") is None
    assert media_type(b'{"name": "bad_request"}') is None


def test_a_property_no_example_exercised_says_why_in_json_and_html(tmp_path: Path) -> None:
    from contract_tests.report import write_html, write_json
    from contract_tests.runner import NOT_EXERCISED, PropertyResult

    why = "no example exercised it: the client never polled (1 request(s))"
    results = [PropertyResult("polls_real_path", "Async: polls go to a real results path.", NOT_EXERCISED, 4, 0)]
    results[0].message = why
    page, data = tmp_path / "report.html", tmp_path / "report.json"
    write_json(results, data, client="never-polls")
    write_html(results, page, client="never-polls")
    report = json.loads(data.read_text())
    assert (report["passed"], report["failed"], report["not_exercised"]) == (0, 0, 1)
    entry = report["properties"][0]
    assert (entry["status"], entry["exercised"], entry["message"]) == ("not exercised", 0, why)
    text = page.read_text()
    assert '<section class="not-exercised">' in text and why in text
    assert "0 passed, 0 failed, 1 not exercised" in text


def test_an_error_property_shows_no_expected_image_under_a_short_title(tmp_path: Path) -> None:
    page, data = tmp_path / "report.html", tmp_path / "report.json"
    template = "bash tests/clients/writes_error_as_image.sh {operation} {image} {output} {fields}"
    outcome = CliRunner().invoke(
        main,
        [
            "contract", "--client-cmd", template.replace("bash ", f"bash {ROOT}/"),
            "--max-examples", "3", "--property", "errors_surface", "--html", str(page), "--json", str(data),
        ],
    )  # fmt: skip
    assert outcome.exit_code == 1, outcome.output
    text = page.read_text()
    assert "<title>stability-mock contract: bash writes_error_as_image.sh …</title>" in text
    assert f"<details><summary>client</summary><pre>bash {ROOT}/tests/clients/" in text
    section = text[text.index('<section class="failed">') :]
    section = section[: section.index("</section>")]
    assert "<figcaption>expected" not in section
    assert "API errors (401, 404, 413, 429, 500…) surface as failures" in section
    entry = json.loads(data.read_text())["properties"][0]
    assert set(entry["images"]) == {"input", "returned"}


def test_docstrings_read_as_plain_text() -> None:
    from contract_tests.properties import PROPERTIES

    assert not [prop.name for prop in PROPERTIES.values() if "``" in prop.doc]
    assert "Accept header asks for a form" in PROPERTIES["accept_matches_parsing"].doc


def test_a_failure_shows_what_the_client_said(tmp_path: Path) -> None:
    from contract_tests.report import write_html
    from contract_tests.runner import FAILED, PropertyResult

    result = PropertyResult("returns_exact_image", "The client returns exactly the image.", FAILED, 1)
    result.message, result.client_output = "the client failed", "ValueError: no option for style_preset"
    write_html([result], tmp_path / "report.html", client="adapter:factory")
    assert (
        "<h3>What the client said</h3><pre>ValueError: no option for style_preset</pre>"
        in (tmp_path / "report.html").read_text()
    )
