"""multipart/form-data bodies, well made and broken in the ways real clients break them.

A body is drawn as parts (names, filenames, part headers, payloads) plus the
damage done to it: a boundary the header names but the body never uses,
LF-only lines, no closing delimiter, a cut, junk around the parts, parts
nested in parts. The ``Content-Type`` header that goes with it is drawn too:
missing or odd boundaries, other media types.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from bench.fuzzing.payloads import FIELDS, field_values, good_images, good_values, images


@dataclass(frozen=True)
class Part:
    """One part as it goes on the wire; ``None`` leaves that piece out."""

    name: bytes | None
    payload: bytes
    filename: bytes | None = None
    content_type: bytes | None = None
    disposition: bytes = b"form-data"
    extra_headers: tuple[bytes, ...] = ()
    #: The name goes unquoted (``name=image``), as some clients send it.
    bare_name: bool = False


@dataclass(frozen=True)
class Multipart:
    """A body and the ``Content-Type`` header value announcing it (``None``: no header)."""

    body: bytes
    content_type: bytes | None


def encode(parts: list[Part], boundary: bytes, *, newline: bytes = b"\r\n", close: bool = True) -> bytes:
    """The parts as a multipart body with ``boundary``."""
    out = bytearray()
    for part in parts:
        out += b"--" + boundary + newline
        disposition = b"Content-Disposition: " + part.disposition
        if part.name is not None:
            disposition += b"; name=" + (part.name if part.bare_name else b'"' + part.name + b'"')
        if part.filename is not None:
            disposition += b'; filename="' + part.filename + b'"'
        out += disposition + newline
        if part.content_type is not None:
            out += b"Content-Type: " + part.content_type + newline
        for header in part.extra_headers:
            out += header + newline
        out += newline + part.payload + newline
    if close:
        out += b"--" + boundary + b"--" + newline
    return bytes(out)


def valid_parts(operation: str) -> st.SearchStrategy[list[Part]]:
    """The parts of a request the API accepts for ``operation`` (fast, conservative, creative)."""
    image = st.builds(
        Part,
        name=st.just(b"image"),
        payload=st.sampled_from(good_images()),
        filename=st.sampled_from((b"input.png", b"a.jpg", b"x")),
        content_type=st.sampled_from((b"image/png", b"image/jpeg", b"application/octet-stream", None)),
    )
    if operation == "fast":
        optional = ["output_format"]
    elif operation == "conservative":
        optional = ["output_format", "seed", "negative_prompt", "creativity"]
    else:
        optional = ["output_format", "seed", "negative_prompt", "creativity", "style_preset"]
    chosen = st.lists(st.sampled_from(optional), unique=True)
    required = [] if operation == "fast" else ["prompt"]

    @st.composite
    def build(draw: st.DrawFn) -> list[Part]:
        names = required + draw(chosen)
        text = [Part(name=name.encode(), payload=draw(good_values(name))) for name in names]
        return draw(st.permutations([draw(image), *text]))

    return build()


def part_names() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.sampled_from((b"image", *(name.encode() for name in FIELDS))),
        st.sampled_from(
            (
                b"",
                b"IMAGE",
                b"image[]",
                b"im%61ge",
                b"%",
                b"%00",
                b'ima\\"ge',
                b'"',
                "\u00efmage".encode(),
                "imag\u00e9".encode("latin-1"),
                b"\xff\xfe",
                b"seed; filename=x",
                b"prompt\r\nX-Injected: 1",
                b"a" * 5000,
            )
        ),
        st.text(max_size=12).map(lambda text: text.encode("utf-8", "surrogatepass")),
    )


@st.composite
def any_part(draw: st.DrawFn) -> Part:
    """A part with anything for a name, filename, type and payload."""
    name = draw(st.one_of(st.none(), part_names()))
    is_file = draw(st.booleans())
    field = name.decode("latin-1") if name else "prompt"
    payload = draw(images()) if is_file or name == b"image" else draw(field_values(field))
    return Part(
        name=name,
        payload=payload,
        filename=draw(st.sampled_from((b"a.png", b"", b"\xff.png", b"../../etc/passwd", b"%00.png", b'a"b')))
        if is_file
        else None,
        content_type=draw(
            st.sampled_from(
                (
                    None,
                    b"image/png",
                    b"text/plain",
                    b"text/plain; charset=latin-1",
                    b"application/json",
                    b"",
                    b"\xff/\xfe",
                )
            )
        ),
        disposition=draw(st.sampled_from((b"form-data", b"form-data", b"attachment", b"FORM-DATA", b""))),
        extra_headers=tuple(draw(st.lists(st.sampled_from(_PART_HEADERS), max_size=2))),
        bare_name=draw(st.booleans()) if name and b'"' not in name and b" " not in name else False,
    )


_PART_HEADERS = (
    b"Content-Transfer-Encoding: base64",
    b"Content-Transfer-Encoding: quoted-printable",
    b"Content-Length: 99999",
    b"X-Odd: \xff\xfe",
    b"no colon here",
    b": no name",
)


@st.composite
def nested_part(draw: st.DrawFn) -> Part:
    """A part whose payload is itself a multipart body (multipart/mixed)."""
    inner = draw(st.lists(any_part(), max_size=3))
    return Part(
        name=draw(st.sampled_from((b"image", b"prompt", b"files"))),
        payload=encode(inner, b"inner-boundary"),
        content_type=b"multipart/mixed; boundary=inner-boundary",
    )


def boundaries() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.just(b"fuzzboundary7d0a"),
        st.sampled_from((b"a", b"----WebKitFormBoundary7MA4YWxkTrZu0gW", b"b" * 70, b"c" * 200, b"'()+_,-./:=?")),
        st.sampled_from((b"with space", b'quote"d', b"\xff\xfe", b"semi;colon", b"%00", b"--", b"")),
    )


@st.composite
def content_type_for(draw: st.DrawFn, boundary: bytes) -> bytes | None:
    """The header value that announces a body with ``boundary`` (or misannounces it)."""
    quoted = b'"' + boundary + b'"'
    return draw(
        st.sampled_from(
            (
                b"multipart/form-data; boundary=" + boundary,
                b"multipart/form-data; boundary=" + boundary,
                b"multipart/form-data; boundary=" + quoted,
                b"MULTIPART/FORM-DATA; BOUNDARY=" + boundary,
                b"multipart/form-data; charset=utf-8; boundary=" + boundary,
                b"multipart/form-data;boundary=" + boundary + b";",
                b"multipart/form-data; boundary=not-the-one-in-the-body",
                b"multipart/form-data; boundary=",
                b'multipart/form-data; boundary=""',
                b"multipart/form-data",
                b"multipart/form-data; boundary=" + boundary + b"; boundary=other",
                b"multipart/mixed; boundary=" + boundary,
                b"application/x-www-form-urlencoded",
                b"application/json",
                b"text/plain",
                b"image/png",
                b"",
                b"\xff\xfe/\xfd",
            )
        )
        | st.none()
    )


@st.composite
def broken_multipart(draw: st.DrawFn) -> Multipart:
    """Parts of any kind, a boundary of any kind, and some damage."""
    operation = draw(st.sampled_from(("fast", "conservative", "creative")))
    parts: list[Part] = []
    if draw(st.booleans()):
        parts = draw(valid_parts(operation))
    parts += draw(st.lists(st.one_of(any_part(), any_part(), nested_part()), max_size=6))
    duplicated = draw(st.booleans())
    if parts and duplicated:
        duplicate = draw(st.sampled_from(parts))
        parts.insert(draw(st.integers(0, len(parts))), duplicate)
    if draw(st.booleans()):
        parts.insert(0, Part(name=None, payload=b"", disposition=b""))  # an empty part
    boundary = draw(boundaries())
    newline = draw(st.sampled_from((b"\r\n", b"\r\n", b"\n", b"\r")))
    body = encode(parts, boundary, newline=newline, close=draw(st.booleans()))
    if draw(st.booleans()):
        body = draw(st.sampled_from((b"preamble junk\r\n", b"\xff\xfe\r\n", b"--\r\n"))) + body
    if draw(st.booleans()):
        body += draw(st.sampled_from((b"epilogue", b"--" + boundary + b"\r\n", b"\x00" * 10)))
    if body and draw(st.integers(0, 4)) == 0:
        body = body[: draw(st.integers(0, len(body) - 1))]
    return Multipart(body=body, content_type=draw(content_type_for(boundary)))


@st.composite
def valid_multipart(draw: st.DrawFn, operation: str) -> Multipart:
    boundary = draw(st.sampled_from((b"fuzzboundary7d0a", b"----WebKitFormBoundary7MA4YWxkTrZu0gW", b"x")))
    body = encode(draw(valid_parts(operation)), boundary)
    return Multipart(body=body, content_type=b"multipart/form-data; boundary=" + boundary)
