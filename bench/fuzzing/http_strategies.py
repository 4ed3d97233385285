"""Hypothesis strategies for raw HTTP/1.1 requests to the mock, as bytes.

Six families, drawn evenly by :func:`raw_requests`:

- ``valid``: well-made calls of every operation, polls and the mock's own endpoints
  (baselines: the fuzzing must not have broken the good path);
- ``multipart``: upload calls with broken multipart bodies and ``Content-Type`` headers;
- ``framing``: bodies announced wrong: ``Content-Length`` longer or shorter than
  the body, chunked (good and broken), both, neither, twice;
- ``headers``: huge (up to 16 KiB) and many headers, odd keys, ``Accept`` and ``Prefer``;
- ``line``: odd methods, paths (``/v2beta/results/%00``, very long ids) and versions;
- ``admin``: broken bodies for the admin API (never a valid call: fuzzing must not
  stage faults that would make the mock fail on purpose).

Every request says whether its request line, headers or framing are broken in a way
the HTTP layer (gunicorn's parser) may refuse before the app sees it
(``http_layer_may_refuse``); all others must be answered by the app.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from bench.fuzzing.multipart import Multipart, broken_multipart, valid_multipart

API = "/v2beta/stable-image/upscale"
UPLOAD_PATHS = {"fast": f"{API}/fast", "conservative": f"{API}/conservative", "creative": f"{API}/creative"}
RESULT_PATHS = ("/v2beta/results/", f"{API}/creative/result/")
KEY = b"Bearer sk-fuzz"
#: gunicorn's defaults: request line 4094 bytes, one header line 8190, 100 headers.
REQUEST_LINE_LIMIT = 4094
HEADER_LINE_LIMIT = 8190
HEADER_COUNT_LIMIT = 100

Header = tuple[bytes, bytes]


@dataclass(frozen=True)
class RawRequest:
    """A request as bytes, and what is needed to judge the answer."""

    data: bytes
    method: str
    #: The family that made it (for summaries and failure messages).
    kind: str
    #: Its request line, headers or framing may be refused by the HTTP layer itself.
    http_layer_may_refuse: bool
    #: The status a baseline must get (``None``: anything below 500 will do).
    expect: int | None = None


@dataclass(frozen=True)
class Framed:
    headers: list[Header]
    body: bytes
    odd: bool


def assemble(method: bytes, target: bytes, version: bytes, headers: list[Header], body: bytes) -> bytes:
    line = method + b" " + target + (b" " + version if version else b"")
    head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    return line + b"\r\n" + head + b"\r\n" + body


def request(
    kind: str,
    method: str | bytes,
    target: bytes,
    headers: list[Header],
    framed: Framed,
    *,
    version: bytes = b"HTTP/1.1",
    odd: bool = False,
    expect: int | None = None,
) -> RawRequest:
    raw_method = method.encode("latin-1") if isinstance(method, str) else method
    line_too_long = len(raw_method) + len(target) + len(version) + 2 > REQUEST_LINE_LIMIT
    # Counted on the request as sent: the headers a strategy adds come on top of the API's and the framing's.
    too_many_headers = len(headers) + len(framed.headers) > HEADER_COUNT_LIMIT
    return RawRequest(
        data=assemble(raw_method, target, version, headers + framed.headers, framed.body),
        method=raw_method.decode("latin-1"),
        kind=kind,
        http_layer_may_refuse=odd or framed.odd or line_too_long or too_many_headers,
        expect=expect,
    )


def length_framed(body: bytes) -> Framed:
    return Framed([(b"Content-Length", str(len(body)).encode())], body, odd=False)


def multipart_headers(form: Multipart) -> list[Header]:
    return [] if form.content_type is None else [(b"Content-Type", form.content_type)]


# --- framing ---------------------------------------------------------------------------------


@st.composite
def chunked(draw: st.DrawFn, body: bytes) -> bytes:
    """``body`` in chunks of a drawn size, with a chunk extension or a trailer now and then."""
    size = draw(st.integers(1, max(1, len(body))))
    extension = draw(st.sampled_from((b"", b"", b";name=value", b";x")))
    out = bytearray()
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        out += f"{len(piece):x}".encode() + extension + b"\r\n" + piece + b"\r\n"
    out += b"0\r\n"
    out += draw(st.sampled_from((b"", b"", b"X-Trailer: 1\r\n")))
    return bytes(out + b"\r\n")


@st.composite
def broken_chunked(draw: st.DrawFn, body: bytes) -> bytes:
    """Chunking the server's body reader must refuse: bad sizes, missing terminators, cut short."""
    good = draw(chunked(body))
    how = draw(st.sampled_from(("size", "terminator", "cut", "no-last", "huge", "bare-lf")))
    if how == "size":
        return draw(st.sampled_from((b"zz", b"-1", b"0x10", b" 5", b"5 5", b""))) + b"\r\n" + body + b"\r\n0\r\n\r\n"
    if how == "terminator":
        return f"{len(body):x}".encode() + b"\r\n" + body + b"XX0\r\n\r\n"
    if how == "cut":
        return good[: draw(st.integers(0, max(0, len(good) - 1)))]
    if how == "no-last":
        return good[: good.rfind(b"0\r\n")] if b"0\r\n" in good else good
    if how == "huge":
        return b"f" * draw(st.integers(8, 40)) + b"\r\n" + body
    return good.replace(b"\r\n", b"\n")


@st.composite
def framings(draw: st.DrawFn, body: bytes, *, odd_allowed: bool = True) -> Framed:
    """``body`` announced in one of many ways; ``odd`` when the HTTP layer may refuse the announcement."""
    choices = ["length", "length", "length", "chunked", "longer", "shorter", "none", "broken-chunked"]
    how = draw(st.sampled_from([*choices, "odd", "odd"] if odd_allowed else choices))
    chunked_header = (b"Transfer-Encoding", b"chunked")
    if how == "length":
        return length_framed(body)
    if how == "chunked":
        return Framed([chunked_header], draw(chunked(body)), odd=False)
    if how == "broken-chunked":
        return Framed([chunked_header], draw(broken_chunked(body)), odd=False)
    if how == "longer":
        extra = draw(st.one_of(st.integers(1, 4096), st.sampled_from((10 * 1024 * 1024, 70 * 1024 * 1024, 10**12))))
        return Framed([(b"Content-Length", str(len(body) + extra).encode())], body, odd=False)
    if how == "shorter":
        length = draw(st.integers(0, max(0, len(body) - 1)))
        return Framed([(b"Content-Length", str(length).encode())], body, odd=False)
    if how == "none":
        return Framed([], body, odd=False)
    headers = draw(
        st.sampled_from(
            (
                [(b"Content-Length", str(len(body)).encode())] * 2,
                [(b"Content-Length", b"1"), (b"Content-Length", str(len(body)).encode())],
                [(b"Content-Length", b"-1")],
                [(b"Content-Length", b"+5")],
                [(b"Content-Length", b"5 5")],
                [(b"Content-Length", b"0x10")],
                [(b"Content-Length", b"\xff")],
                [(b"Content-Length", str(len(body)).encode()), chunked_header],
                [(b"Transfer-Encoding", b"gzip")],
                [(b"Transfer-Encoding", b"foo")],
                [(b"Transfer-Encoding", b"foo, chunked")],
                [(b"Transfer-Encoding", b"chunked, chunked")],
                [(b"Transfer-Encoding", b"identity")],
                [chunked_header, chunked_header],
            )
        )
    )
    return Framed(headers, body, odd=True)


# --- headers ---------------------------------------------------------------------------------

AUTHORIZATIONS = (
    KEY,
    KEY,
    KEY,
    None,
    b"",
    b"Bearer",
    b"Bearer ",
    b"bearer sk-fuzz",
    b"sk-fuzz",
    b"Basic dXNlcjpwYXNz",
    b"Bearer \xff\xfe",
    b"Bearer a b c",
    b"Bearer " + b"k" * 4000,
)
ACCEPTS = (
    None,
    None,
    b"*/*",
    b"image/*",
    b"application/json",
    b"image/png",
    b"image/webp, application/json;q=0.9",
    b"text/html",
    b"image/*;q=0",
    b"application/json;q=abc",
    b",,,",
    b"\xff",
)
#: Never a 5xx: asking for one would make the mock answer it on purpose.
PREFERS = (
    *(b"code=429", b"code=400", b"code=404", b"code=401", b"code=402;code=413", b"code=200"),
    *(b"code=abc", b"code=", b"code=4290", b"code=99", b"code=999", b"return=minimal"),
)


@st.composite
def api_headers(draw: st.DrawFn) -> list[Header]:
    """Host, key, Accept and Prefer as clients send them, odd now and then."""
    headers: list[Header] = [(b"Host", b"127.0.0.1")] if draw(st.integers(0, 9)) else []
    for name, values in ((b"Authorization", AUTHORIZATIONS), (b"Accept", ACCEPTS)):
        value = draw(st.sampled_from(values))
        if value is not None:
            headers.append((name, value))
    if draw(st.integers(0, 5)) == 0:
        headers.append((b"Prefer", draw(st.sampled_from(PREFERS))))
    return headers


def plain_headers() -> list[Header]:
    return [(b"Host", b"127.0.0.1"), (b"Authorization", KEY)]


@st.composite
def odd_headers(draw: st.DrawFn) -> tuple[list[Header], bool]:
    """Extra headers: huge, many, odd bytes; ``True`` when the HTTP layer may refuse them."""
    kind = draw(st.sampled_from(("huge", "many", "bytes", "names", "expect", "connection")))
    if kind == "huge":
        size = draw(st.integers(1, 16 * 1024))
        unit = draw(st.sampled_from((b"a", b"\xe9", b"%", b'"', b" ")))
        line = len(b"X-Padding: ") + size + 2
        return [(b"X-Padding", b"p" + unit * size + b"p")], line > HEADER_LINE_LIMIT
    if kind == "many":
        count = draw(st.integers(1, 120))
        return [(b"X-Many-%d" % index, b"v") for index in range(count)], False  # request() counts them all
    if kind == "bytes":
        value = draw(st.sampled_from((b"\xff\xfe", b"\xe9t\xe9", b"\x80", b"a\x00b", b"a\x7fb", b"a\x1bb", b"\t")))
        return [(b"X-Bytes", value)], any((byte < 0x20 and byte != 0x09) or byte == 0x7F for byte in value)
    if kind == "names":
        name = draw(st.sampled_from((b"X Space", b"X\xffName", b"X:Colon", b"X(Paren)", b"X_Under", b"x-lower")))
        return [(name, b"v")], name not in (b"X_Under", b"x-lower")
    if kind == "expect":
        value = draw(st.sampled_from((b"100-continue", b"200-ok", b"")))
        return [(b"Expect", value)], value != b"100-continue"
    value = draw(st.sampled_from((b"close", b"keep-alive", b"Upgrade", b"\xff")))
    return [(b"Connection", value)], False


# --- request families ------------------------------------------------------------------------


@st.composite
def valid_requests(draw: st.DrawFn) -> RawRequest:
    """Baselines: the calls the API accepts, and polls of ids that do not exist."""
    what = draw(st.sampled_from(("fast", "conservative", "creative", "poll", "health", "openapi")))
    if what in UPLOAD_PATHS:
        form = draw(valid_multipart(what))
        body = length_framed(form.body) if draw(st.integers(0, 3)) else Framed([], b"", odd=False)
        if not body.headers:
            body = Framed([(b"Transfer-Encoding", b"chunked")], draw(chunked(form.body)), odd=False)
        headers = [*plain_headers(), *multipart_headers(form)]
        return request("valid", "POST", UPLOAD_PATHS[what].encode(), headers, body, expect=200)
    if what == "poll":
        target = draw(st.sampled_from(RESULT_PATHS)).encode() + draw(st.binary(min_size=32, max_size=32)).hex().encode()
        return request("valid", "GET", target, plain_headers(), Framed([], b"", odd=False), expect=404)
    target = b"/_mock/health" if what == "health" else b"/openapi.yml"
    return request("valid", "GET", target, [(b"Host", b"127.0.0.1")], Framed([], b"", odd=False), expect=200)


@st.composite
def multipart_requests(draw: st.DrawFn) -> RawRequest:
    form = draw(broken_multipart())
    path = draw(st.sampled_from(tuple(UPLOAD_PATHS.values()))).encode()
    headers = [*draw(api_headers()), *multipart_headers(form)]
    framed = draw(framings(form.body, odd_allowed=False)) if draw(st.integers(0, 3)) == 0 else length_framed(form.body)
    return request("multipart", "POST", path, headers, framed)


@st.composite
def framing_requests(draw: st.DrawFn) -> RawRequest:
    operation = draw(st.sampled_from(tuple(UPLOAD_PATHS)))
    form = draw(st.one_of(valid_multipart(operation), broken_multipart()))
    headers = [*draw(api_headers()), *multipart_headers(form)]
    method = draw(st.sampled_from(("POST", "POST", "GET", "PUT")))
    target = UPLOAD_PATHS[operation].encode() if method != "GET" else b"/v2beta/results/" + b"ab" * 32
    version = draw(st.sampled_from((b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.0")))
    framed = draw(framings(form.body))
    chunked_on_http10 = version == b"HTTP/1.0" and any(name == b"Transfer-Encoding" for name, _ in framed.headers)
    return request("framing", method, target, headers, framed, version=version, odd=chunked_on_http10)


@st.composite
def header_requests(draw: st.DrawFn) -> RawRequest:
    operation = draw(st.sampled_from(tuple(UPLOAD_PATHS)))
    extra, odd = draw(odd_headers())
    if draw(st.booleans()):
        form = draw(valid_multipart(operation))
        headers = [*draw(api_headers()), *multipart_headers(form), *extra]
        return request("headers", "POST", UPLOAD_PATHS[operation].encode(), headers, length_framed(form.body), odd=odd)
    target = draw(st.sampled_from((b"/v2beta/results/" + b"cd" * 32, b"/_mock/health", b"/nowhere")))
    headers = [*draw(api_headers()), *extra]
    if draw(st.integers(0, 9)) == 0:
        headers.append((b"Content-Type", b"text/plain"))
        headers.append((b"Content-Type", b"image/png"))  # a repeated singleton: the HTTP layer refuses it
        odd = True
    return request("headers", "GET", target, headers, Framed([], b"", odd=False), odd=odd)


ODD_IDS = (
    b"%00",
    b"%2F",
    b"%2e%2e",
    b"..",
    b"%C3%A9",
    b"%FF",
    b"%",
    b"%zz",
    b"a%20b",
    b"'",
    b";",
    b"~",
    b"ABCDEF" * 10 + b"ABCD",
)


@st.composite
def targets(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A request target and whether the HTTP layer may refuse it."""
    kind = draw(st.sampled_from(("id", "long-id", "route", "odd")))
    if kind == "id":
        return draw(st.sampled_from(RESULT_PATHS)).encode() + draw(st.sampled_from(ODD_IDS)), False
    if kind == "long-id":
        return draw(st.sampled_from(RESULT_PATHS)).encode() + b"f" * draw(st.integers(65, 5000)), False
    if kind == "route":
        route = draw(st.sampled_from((*UPLOAD_PATHS.values(), "/_mock/health", "/openapi.yml", "/v2beta", "/")))
        suffix = draw(st.sampled_from((b"", b"/", b"//", b"?", b"?a=%zz&&=", b"#frag", b"/..", b"?x=" + b"y" * 100)))
        return route.encode() + suffix, False
    odd = draw(
        st.sampled_from(
            (
                (b"*", True),  # asterisk-form: gunicorn takes it only with OPTIONS
                (b"http://127.0.0.1/_mock/health", False),
                (b"//v2beta//results//x", False),
                (b"/v2beta/results/\xff", True),
                (b"/v2beta/results/a b", True),
                (b"/v2beta/results/\x00", True),
                (b"", True),
                (b"no-slash", True),  # neither origin- nor absolute-form
            )
        )
    )
    return odd


METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "BREW")
ODD_METHODS = (b"get", b"G\xffT", b"GET GET", b"X" * 30, b"", b"CONNECT", b"PRI")


@st.composite
def line_requests(draw: st.DrawFn) -> RawRequest:
    target, odd_target = draw(targets())
    odd_method = draw(st.integers(0, 7)) == 0
    method: bytes = draw(st.sampled_from(ODD_METHODS)) if odd_method else draw(st.sampled_from(METHODS)).encode()
    version = draw(st.sampled_from((b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.0", b"odd")))
    odd_version = version == b"odd"
    if odd_version:
        version = draw(st.sampled_from((b"HTTP/2.0", b"HTTP/1.2", b"HTTP/0.9", b"HTTP/1", b"http/1.1", b"")))
    body = b"" if draw(st.booleans()) else b"x=1"
    return request(
        "line",
        method,
        target,
        draw(api_headers()),
        length_framed(body),
        version=version,
        odd=odd_method or odd_target or odd_version,
    )


#: Bodies no admin endpoint accepts (not JSON, not an object, not UTF-8).
ADMIN_BODIES = (b"", b"{", b'{"operation": ', b"[]", b'"text"', b"42", b"null", b"\xff\xfe{}", b"{}}", b"{" * 2000)
ADMIN_CALLS = (
    ("POST", b"/_mock/faults"),
    ("PATCH", b"/_mock/settings"),
    ("PATCH", b"/_mock/config"),
    ("PUT", b"/_mock/credits/sk-fuzz"),
    ("POST", b"/_mock/jobs/%00/complete"),
    ("GET", b"/_mock/requests?limit=abc&status=%FF"),
    ("DELETE", b"/_mock/faults/" + b"9" * 300),
)


@st.composite
def admin_requests(draw: st.DrawFn) -> RawRequest:
    method, target = draw(st.sampled_from(ADMIN_CALLS))
    body = draw(st.sampled_from(ADMIN_BODIES))
    content_type = draw(st.sampled_from((b"application/json", b"text/plain", b"application/json; charset=latin-1")))
    framed = draw(framings(body, odd_allowed=False)) if draw(st.booleans()) else length_framed(body)
    headers = [(b"Host", b"127.0.0.1"), (b"Content-Type", content_type)]
    return request("admin", method, target, headers, framed)


def raw_requests() -> st.SearchStrategy[RawRequest]:
    """Every family, evenly."""
    return st.one_of(
        valid_requests(),
        multipart_requests(),
        framing_requests(),
        header_requests(),
        line_requests(),
        admin_requests(),
    )
