"""Plain multipart bodies parsed by the ``multipart`` library give Werkzeug's parts: compared on generated bodies,
odd ones included."""

from __future__ import annotations

import io
import random
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.formparser import MultiPartParser

from mockserver.openapi import multipart
from mockserver.openapi.multipart import MultipartForm, ParsedForm
from mockserver.openapi.plain_form import plain_parts
from tests.openapi.test_spec_shortcut import multipart_body

BOUNDARIES = [
    b"7f3a9c0e5b2d4f6a8c1e3b5d7f9a0c2e",
    b"----WebKitFormBoundaryAbC123",
    b"a",
    b"x'()+_,./:=?-",
    b"--",
    b"a b",
]
#: 200 KB of noise with ``CRLF--`` and a lone CR every few bytes before each 64 KiB of the body, where
#: Werkzeug's reads split it (the part's headers come first).
_NOISE = bytearray(random.Random(7).randbytes(200_000))
for _offset in [read * 65536 - back for read in (1, 2, 3) for back in range(0, 400, 7)]:
    _NOISE[_offset : _offset + 5] = b"\r\n--\r"
SPLIT_AT_READS = bytes(_NOISE)
NAMES = ["image", "output_format", "seed", "prompt", "image[]", "a.b-c_d", "a b", "ü", 'q"x', "", "x;y"]


def fragments(boundary: bytes) -> st.SearchStrategy[bytes]:
    """Pieces of data, among them line breaks, dashes and the boundary itself."""
    nasty = [b"\r\n", b"\r", b"\n", b"--", b"-", boundary, b"--" + boundary, b"\r\n--" + boundary, b"\r\n\r\n", b" "]
    return st.one_of(st.binary(max_size=12), st.sampled_from(nasty), st.text(max_size=6).map(str.encode))


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """(body, boundary): mostly the plain layout, else with something a client might also send."""
    odd = draw(st.integers(0, 2)) == 0

    def sometimes(plain: Any, others: list[Any]) -> Any:
        return draw(st.sampled_from([plain, *others])) if odd else plain

    boundary = draw(st.sampled_from(BOUNDARIES if odd else BOUNDARIES[:5]))
    line = sometimes(b"\r\n", [b"\r\n", b"\n", b"\r"])
    delimiter = b"--" + boundary
    chunks = [sometimes(b"", [b"preamble\r\n", b"\r\n"])]
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(NAMES if odd else NAMES[:6])).encode()
        head = sometimes(b"Content-Disposition", [b"content-disposition"]) + b': form-data; name="' + name + b'"'
        if draw(st.booleans()):
            head += b'; filename="' + draw(st.sampled_from([b"in.png", b"", b"a b.png", b"c:\\x.png"])) + b'"'
            if draw(st.integers(0, 3)):
                head += line + b"Content-Type: " + draw(st.sampled_from([b"image/png", b"application/octet-stream"]))
        elif odd and draw(st.booleans()):
            head += line + b"Content-Type: text/plain; charset=" + draw(st.sampled_from([b"utf-8", b"latin-1"]))
        data = b"".join(draw(st.lists(fragments(boundary), max_size=6)))
        chunks.append(delimiter + line + head + line + line + data + line)
    chunks.append(delimiter + b"--" + sometimes(b"\r\n", [b"", b"\r\nepilogue", b"  \r\n"]))
    return b"".join(chunks), boundary


def werkzeug_parts(body: bytes, boundary: bytes) -> tuple[list[tuple[str, str]], list[tuple[str, bytes]]] | None:
    parser = MultiPartParser(
        stream_factory=lambda *_args, **_kwargs: io.BytesIO(), max_form_memory_size=10 << 20, max_form_parts=200
    )
    try:
        form, files = parser.parse(io.BytesIO(body), boundary, len(body))
    except Exception:
        return None
    return list(form.items(multi=True)), [(name, upload.read()) for name, upload in files.items(multi=True)]


@settings(max_examples=1500, deadline=None)
@given(made=bodies())
def test_plain_bodies_split_into_werkzeugs_parts(made: tuple[bytes, bytes]) -> None:
    body, boundary = made
    plain = plain_parts(body, boundary)
    if plain is not None:
        texts, files = plain
        grouped = list(MultiDict(texts).items(multi=True)), list(MultiDict(files).items(multi=True))
        assert grouped == werkzeug_parts(body, boundary), body


def as_sent(form: ParsedForm) -> list[Any]:
    """Everything a parse gives, in order (the journal records the text and files in this order)."""
    return [list(form.text.items()), list(form.files.items()), form.repeated, list(form.fields.items(multi=True))]


@settings(max_examples=300, deadline=None)
@given(made=bodies())
def test_the_parsed_form_is_the_same_either_way(made: tuple[bytes, bytes]) -> None:
    body, boundary = made
    form = MultipartForm({"seed": "integer", "creativity": "number"}, 10 << 20, ["image", "seed", "prompt"])
    quick = form.outcome(body, boundary.decode())
    with mock.patch.object(multipart, "plain_parts", lambda *_args: None):
        slow = form.outcome(body, boundary.decode())
    if isinstance(quick, ParsedForm) and isinstance(slow, ParsedForm):
        assert as_sent(quick) == as_sent(slow)
    else:
        assert type(quick) is type(slow)


@pytest.mark.parametrize(
    "sent",
    [
        [("image", b"\x89PNG\r\n--x\r\n\r\n"), ("output_format", "gif")],
        [("output_format", "webp"), ("output_format", "png"), ("prompt", "é\r\nb")],
        [("image", b"")],
        # Past Werkzeug's 64 KiB read size, with line breaks and dashes where its reads split the body.
        [("image", SPLIT_AT_READS), ("prompt", "a"), ("image", SPLIT_AT_READS[::-1])],
    ],
)
def test_what_clients_send_takes_the_plain_path(sent: list[tuple[str, str | bytes]]) -> None:
    body, content_type = multipart_body(sent)
    boundary = content_type.split("boundary=")[1]
    plain = plain_parts(body, boundary.encode())
    assert plain is not None
    assert (list(MultiDict(plain[0]).items(multi=True)), plain[1]) == werkzeug_parts(body, boundary.encode())
