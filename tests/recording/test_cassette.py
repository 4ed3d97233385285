"""The cassette format read back: a broken or newer cassette is one clear line, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mockserver.cli import main
from mockserver.errors import CassetteError
from mockserver.recording import CassetteWriter, RecordedRequest, load_cassette
from mockserver.recording.matcher import Replayer, differences


def _writer(folder: Path) -> CassetteWriter:
    return CassetteWriter(folder, upstream="http://upstream", profile="seed", recorder="test")


def _exchange(status: int = 200, body: bytes = b'{"id": "abc"}', **request: object) -> dict[str, object]:
    return {
        "request": {
            "method": "GET",
            "path": "/v2beta/results/abc",
            "operation": "getUpscaleResult",
            "generation_id": "abc",
            "accept": "image/*",
            "fields": {},
            "files": {},
            **request,
        },
        "response": {"status": status, "reason": "OK", "headers": ["content-type: image/png"], "body": body},
    }


def _cassette(folder: Path, *bodies: bytes) -> Path:
    from mockserver.recording.cassette import body_document

    writer = _writer(folder)
    for body in bodies or (b"\x89PNG\r\n\x1a\n" + b"0" * 100,):
        blobs: dict[str, bytes] = {}
        document = _exchange()
        document["response"]["body"] = body_document(body, blobs)  # type: ignore[index]
        writer.write(document, blobs)
    return folder


def test_a_written_cassette_reads_back_in_order(tmp_path: Path) -> None:
    folder = _cassette(tmp_path / "c", b"\x89PNG\r\n\x1a\nfirst", b'{"small": "json"}')
    cassette = load_cassette(folder)
    assert [exchange.name for exchange in cassette.exchanges] == [
        "00001-getUpscaleResult-200.json",
        "00002-getUpscaleResult-200.json",
    ]
    bodies = [exchange.response.body for exchange in cassette.exchanges]
    assert bodies == [b"\x89PNG\r\n\x1a\nfirst", b'{"small": "json"}']
    assert cassette.exchanges[0].response.headers == (("content-type", "image/png"),)
    assert [path.suffix for path in (folder / "blobs").iterdir()] == [".png"]


def test_a_writer_appends_to_a_cassette_after_its_last_exchange(tmp_path: Path) -> None:
    _cassette(tmp_path / "c")
    _cassette(tmp_path / "c")
    assert [exchange.sequence for exchange in load_cassette(tmp_path / "c").exchanges] == [1, 2]


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda folder: (folder / "manifest.json").unlink(), "manifest manifest.json is missing"),
        (lambda folder: (folder / "manifest.json").write_text("{not json"), "not JSON"),
        (
            lambda folder: (folder / "manifest.json").write_text(
                json.dumps({"format": "stability-mock-cassette", "version": 2})
            ),
            r"format version 2 is newer than this stability-mock reads \(1\)",
        ),
        (lambda folder: (folder / "manifest.json").write_text('{"format": "vcr"}'), "not a stability-mock cassette"),
        (
            lambda folder: next((folder / "exchanges").iterdir()).write_text('{"sequence": 1, "request": {}}'),
            "not an exchange of format 1",
        ),
        (lambda folder: next((folder / "exchanges").iterdir()).write_bytes(b"\xff\xfe"), "not JSON"),
        (lambda folder: next((folder / "blobs").iterdir()).unlink(), "cannot be read"),
        (lambda folder: next((folder / "blobs").iterdir()).write_bytes(b"other"), "does not hold the bytes"),
    ],
    ids=["no manifest", "manifest not json", "newer", "foreign", "exchange incomplete", "exchange not json",
         "blob missing", "blob changed"],
)  # fmt: skip
def test_a_broken_cassette_is_one_clear_error(tmp_path: Path, breakage: object, message: str) -> None:
    folder = _cassette(tmp_path / "c")
    breakage(folder)  # type: ignore[operator]
    with pytest.raises(CassetteError, match=message):
        load_cassette(folder)


def test_a_blob_outside_the_blobs_folder_is_refused(tmp_path: Path) -> None:
    folder = _cassette(tmp_path / "c")
    path = next((folder / "exchanges").iterdir())
    document = json.loads(path.read_text())
    document["response"]["body"] = {"blob": "../../etc/passwd", "sha256": "0", "bytes": 1}
    path.write_text(json.dumps(document))
    with pytest.raises(CassetteError, match="is not in blobs/"):
        load_cassette(folder)


def test_serve_refuses_a_broken_cassette_as_a_usage_error(tmp_path: Path) -> None:
    folder = _cassette(tmp_path / "c")
    (folder / "manifest.json").write_text(json.dumps({"format": "stability-mock-cassette", "version": 9}))
    result = CliRunner().invoke(main, ["serve", "--store", "memory://", "--replay", str(folder)])
    assert result.exit_code == 2
    assert "format version 9 is newer" in result.output
    assert "Traceback" not in result.output


def test_record_refuses_to_append_to_a_newer_cassette(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"format": "stability-mock-cassette", "version": 9}))
    result = CliRunner().invoke(
        main, ["record", "--upstream", "http://127.0.0.1:9", "--cassette", str(folder), "--store", "memory://"]
    )
    assert result.exit_code == 2 and "format version 9 is newer" in result.output


def test_record_refuses_an_upstream_that_is_not_an_http_url(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["record", "--upstream", "ftp://x", "--cassette", str(tmp_path / "c")])
    assert result.exit_code == 2 and "must be http(s)://host" in result.output


def test_polls_of_one_id_answer_in_recorded_order_the_last_repeating(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "c")
    for status in (202, 202, 200):
        writer.write(_exchange(status, body={"text": str(status), "bytes": 3}), {})  # type: ignore[arg-type]
    replayer = Replayer(load_cassette(tmp_path / "c"))
    poll = RecordedRequest("GET", "/v2beta/results/abc", "getUpscaleResult", "abc", "image/*")
    statuses = [replayer.answer(poll).response.status for _ in range(5)]  # type: ignore[union-attr]
    assert statuses == [202, 202, 200, 200, 200]


def test_a_miss_lists_every_part_that_differs_from_the_nearest() -> None:
    fields = {"output_format": "png"}
    recorded = RecordedRequest("POST", "/f", "upscaleImageFast", None, "image/*", fields, {"image": "a" * 64})
    sent = RecordedRequest("POST", "/f", "upscaleImageFast", None, None, {"seed": "3"}, {"image": "b" * 64})
    assert differences(sent, recorded) == [
        "field output_format: sent nothing, recorded 'png'",
        "field seed: sent '3', recorded nothing",
        f"image digest image: sent sha256 {'b' * 16}…, recorded sha256 {'a' * 16}…",
        "accept: sent None, recorded 'image/*'",
    ]
