"""The poll shortcut gives openapi-core's verdict: compared on many generated requests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask, Request, request
from flask.testing import FlaskClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openapi_core import Config as OpenAPIConfig
from openapi_core import OpenAPI
from openapi_core.unmarshalling.request.unmarshallers import V31RequestUnmarshaller
from openapi_core.unmarshalling.schemas import oas31_format_unmarshallers, oas31_types_unmarshaller
from openapi_core.unmarshalling.schemas.factories import SchemaUnmarshallersFactory
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_schema_validator import OAS30ReadValidator

from contract_tests import strategies
from mockserver import Config, create_app
from mockserver.openapi import RequestInvalid, Spec, ValidRequest, repairs
from mockserver.openapi.document import without_security
from mockserver.openapi.field_errors import describe_openapi_error
from mockserver.openapi.multipart import MultipartForm
from mockserver.openapi.repairs import OpenAPIRequest
from mockserver.services import services_of
from tests.conftest import AUTH, FAST_PATH
from tests.images import png

CLIENT_HEADERS = ("stability-client-id", "stability-client-user-id", "stability-client-version")
#: Printable latin-1 without the characters a header value cannot carry.
HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"), min_size=0, max_size=300
)
AUTHORIZATION = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "Bearer", "Bearer ", "Bearer sk-x", "bearer sk-x", "sk-bare", "Basic abc", "Bearer  a"]),
    HEADER_TEXT,
)


@pytest.fixture(scope="module")
def spec_app() -> Flask:
    return create_app(Config(store="memory://"))


def verdict(validate: Callable[[Request], ValidRequest], req: Request) -> tuple[str, ValidRequest | list[str]]:
    try:
        return "valid", validate(req)
    except RequestInvalid as exc:
        return "invalid", exc.errors


@st.composite
def poll_requests(draw: st.DrawFn, spec: Spec) -> dict[str, Any]:
    """A GET (mostly) of a shortcut operation, with odd ids, headers, queries and hosts."""
    template = draw(st.sampled_from(sorted(spec.shortcut.checks)))
    path = template
    for name in spec.shortcut.checks[template].path:
        segment = draw(st.text(min_size=1, max_size=80).filter(lambda text: text not in (".", "..")))
        path = path.replace("{" + name + "}", quote(segment, safe=""))
    headers: dict[str, str] = {}
    authorization = draw(AUTHORIZATION)
    if authorization is not None:
        headers[draw(st.sampled_from(["Authorization", "authorization", "AUTHORIZATION"]))] = authorization
    for name in CLIENT_HEADERS:
        value = draw(st.one_of(st.none(), HEADER_TEXT, st.sampled_from(["a" * 256, "a" * 257, "é" * 257, "x,y"])))
        if value is not None:
            headers[draw(st.sampled_from([name, name.upper(), name.title()]))] = value
    if draw(st.booleans()):
        headers[draw(st.sampled_from(["Accept", "Content-Type", "X-Other", "Cookie"]))] = draw(HEADER_TEXT)
    query = draw(st.lists(st.tuples(st.text(max_size=10), st.text(max_size=10)), max_size=3))
    return {
        "path": path,
        "method": draw(st.sampled_from(["GET"] * 8 + ["HEAD", "POST"])),
        "headers": headers,
        "query_string": urlencode(query),
        "base_url": draw(
            st.sampled_from(
                ["http://localhost/", "http://127.0.0.1:8080/", "https://api.stability.ai/", "http://h/prefix/"]
            )
        ),
        "data": draw(st.sampled_from([None, b"", b"stray body"])),
    }


def compare(app: Flask, spec: Spec, made: dict[str, Any]) -> Iterator[bool]:
    with app.test_request_context(**made):
        if request.url_rule is None:
            return
        yield spec.shortcut.valid(request, spec.router.template(request)) is not None
        assert verdict(spec.validate_request, request) == verdict(spec.validate_with_openapi_core, request), made


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_public_spec_polls_get_openapi_cores_verdict(spec_app: Flask, data: st.DataObject) -> None:
    spec = services_of(spec_app).spec
    list(compare(spec_app, spec, data.draw(poll_requests(spec))))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_admin_spec_gets_get_openapi_cores_verdict(spec_app: Flask, data: st.DataObject) -> None:
    spec = services_of(spec_app).admin_spec
    list(compare(spec_app, spec, data.draw(poll_requests(spec))))


@pytest.mark.parametrize(
    ("headers", "shortcut"),
    [
        ({"Authorization": "Bearer sk-x"}, True),
        ({"Authorization": "sk-bare", "stability-client-id": "a" * 256}, True),
        ({}, True),  # the key is the pipeline's to check, after the verdict
        ({"Authorization": "Bearer sk-x", "stability-client-version": "v" * 257}, False),
    ],
)
def test_plain_polls_take_the_shortcut_and_doubtful_ones_do_not(
    spec_app: Flask, headers: dict[str, str], shortcut: bool
) -> None:
    spec = services_of(spec_app).spec
    assert list(compare(spec_app, spec, {"path": "/v2beta/results/abc", "headers": headers})) == [shortcut]


def test_operations_of_other_shapes_are_never_shortcut(spec_app: Flask) -> None:
    public = services_of(spec_app).spec.shortcut.checks
    assert sorted(check.operation_id for check in public.values()) == ["getUpscaleCreativeResult", "getUpscaleResult"]
    # Query parameters (the journal listing) and bodies are left to openapi-core.
    assert "/_mock/requests" not in services_of(spec_app).admin_spec.shortcut.checks


# The verdict memo: a request repeated byte for byte gets openapi-core's verdict from memory.


def fixed_upload(image: bytes, **fields: str) -> tuple[bytes, str]:
    """A multipart body built once, so that sending it twice sends the same bytes."""
    boundary = "fixed-boundary-0123456789"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="in.png"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
        + image
        + b"\r\n"
    ]
    parts += [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ]
    return b"".join([*parts, f"--{boundary}--\r\n".encode()]), f"multipart/form-data; boundary={boundary}"


def journal_of(client: FlaskClient) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = client.get("/_mock/requests").get_json()["requests"]
    return records


VOLATILE = ("time", "timestamp", "request_id", "duration_ms", "delivered")


@pytest.mark.parametrize(
    ("fields", "status"),
    # The valid one is the upload shortcut's verdict, remembered all the same.
    [({"output_format": "gif", "seed": "1.5"}, 400), ({"output_format": "webp"}, 200)],
)
def test_a_repeated_request_gets_the_same_verdict_and_journal_record(
    client: FlaskClient, fields: dict[str, str], status: int
) -> None:
    body, content_type = fixed_upload(png(64, 64), **fields)
    memo = services_of(client.application).spec.verdicts
    hits = memo.entries.hits
    answers = [client.post(FAST_PATH, data=body, content_type=content_type, headers=AUTH) for _ in range(2)]
    assert memo.entries.hits == hits + 1
    assert [answer.status_code for answer in answers] == [status, status]
    assert answers[0].get_json() is None or answers[0].get_json()["errors"] == answers[1].get_json()["errors"]
    assert answers[0].data == answers[1].data or status == 400
    first, second = ({k: v for k, v in record.items() if k not in VOLATILE} for record in journal_of(client))
    assert first == second
    assert first["fields"] == fields and first["image"]["width"] == 64


def test_any_difference_in_the_request_is_a_miss(client: FlaskClient) -> None:
    body, content_type = fixed_upload(png(64, 64), output_format="gif")
    memo = services_of(client.application).spec.verdicts
    client.post(FAST_PATH, data=body, content_type=content_type, headers=AUTH)
    hits = memo.entries.hits
    client.post(FAST_PATH, data=body, content_type=content_type, headers={**AUTH, "stability-client-id": "x"})
    client.post(FAST_PATH + "?q=1", data=body, content_type=content_type, headers=AUTH)
    client.post(FAST_PATH, data=body.replace(b"gif", b"png"), content_type=content_type, headers=AUTH)
    assert memo.entries.hits == hits


def test_the_memo_is_off_with_the_render_cache() -> None:
    app = create_app(Config(store="memory://", render_cache_bytes=0))
    assert services_of(app).spec.verdicts.entries.max_bytes == 0
    body, content_type = fixed_upload(png(64, 64), output_format="gif")
    client = app.test_client()
    for _ in range(2):
        answer = client.post(FAST_PATH, data=body, content_type=content_type, headers=AUTH)
        assert answer.status_code == 400
    assert len(services_of(app).spec.verdicts.entries) == 0


# openapi-core with its per-request costs trimmed (one format checker, absent headers
# refused at once) against openapi-core as shipped: the same verdict on every request.


@pytest.fixture(scope="module")
def stock_openapi(spec_app: Flask) -> OpenAPI:
    """openapi-core as shipped, with only the repairs the bundled spec needs (mockserver/openapi/repairs.py)."""
    spec = services_of(spec_app).spec

    plain = SchemaValidatorsFactory(
        repairs._BytesTolerantOAS31Validator, format_checker=OAS30ReadValidator.FORMAT_CHECKER
    )

    class Stock(V31RequestUnmarshaller):
        # The bytes-tolerant validators are a plain factory where openapi-core's annotation
        # wants the dialect one (which would pick its own validator class): as in repairs.py.
        schema_validators_factory = plain  # type: ignore[assignment]
        schema_unmarshallers_factory = SchemaUnmarshallersFactory(
            plain, oas31_types_unmarshaller, format_unmarshallers=oas31_format_unmarshallers
        )

    document = {**without_security(spec.document), "servers": [{"url": "/"}, *spec.document.get("servers", [])]}
    config = OpenAPIConfig(
        request_unmarshaller_cls=Stock, extra_media_type_deserializers={"multipart/form-data": spec.form}
    )
    return OpenAPI.from_dict(document, config=config)


def openapi_verdict(
    openapi: OpenAPI, req: Request, form: MultipartForm
) -> tuple[list[str], Any, tuple[dict[str, Any], dict[str, Any]]]:
    with form.parsed(req.get_data(), req.mimetype_params.get("boundary", "")):
        result = openapi.unmarshal_request(OpenAPIRequest(req))
    lines = sorted({line for error in result.errors for line in describe_openapi_error(error)})
    return lines, result.body, (dict(result.parameters.header), dict(result.parameters.path))


@st.composite
def uploads(draw: st.DrawFn) -> dict[str, Any]:
    """Valid and invalid uploads of every operation, with or without the client headers."""
    operation = draw(st.sampled_from(["fast", "conservative", "creative"]))
    made = draw(st.one_of(strategies.upscale_requests(operation), strategies.invalid_requests(operation)))
    body, content_type = fixed_upload(made.image, **{k: str(v) for k, v in made.fields.items()})
    assume(len(body) < Config().max_body_bytes)  # larger bodies are refused before validation
    headers = {"Authorization": "Bearer sk"} if draw(st.booleans()) else {}
    for name in CLIENT_HEADERS:
        value = draw(st.one_of(st.none(), st.sampled_from(["app", "", "a" * 257])))
        if value is not None:
            headers[name] = value
    path = f"/v2beta/stable-image/upscale/{operation}"
    return {"path": path, "method": "POST", "headers": headers, "data": body, "content_type": content_type}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_trimmed_openapi_core_gives_the_stock_verdict(
    spec_app: Flask, stock_openapi: OpenAPI, data: st.DataObject
) -> None:
    spec = services_of(spec_app).spec
    made = data.draw(st.one_of(uploads(), poll_requests(spec)))
    with spec_app.test_request_context(**made):
        request.get_data()
        mine, stock = (
            openapi_verdict(spec.openapi, request, spec.form),
            openapi_verdict(stock_openapi, request, spec.form),
        )
        assert mine == stock, made


# The upload shortcut: plainly valid multipart uploads get openapi-core's ValidRequest without it.

#: Text that the strict number casting refuses or reads otherwise than a person might.
ODD_NUMBERS = ["1e3", " 5", "5 ", "0x10", "NaN", "inf", "-inf", "", "+5", "4_2", "٣", "1.", ".5", "-0", "007", "1e999"]
UNKNOWN_FIELDS = ["Prompt", "extra", "image[]", "seed ", "ünknown"]
#: What an unknown field carries: a text part or a file part.
UNKNOWN_VALUES: list[str | bytes] = ["x", b"x"]


@pytest.fixture(scope="module", params=["seed", "live"])
def profile_app(request: pytest.FixtureRequest) -> Flask:
    return create_app(Config(store="memory://", profile=request.param))


def value_near(draw: st.DrawFn, prop: dict[str, Any]) -> str:
    """Text for a form property: mostly valid, else at its bounds, just past them, or odd."""
    if draw(st.integers(0, 3)):
        return value_within(draw, prop)
    if "enum" in prop:
        wrong = ["", "PNG", "png ", "gif", "ánime"]
        return str(draw(st.sampled_from([*prop["enum"], *wrong])))
    if prop.get("type") == "integer":
        low, high = prop.get("minimum", -(2**40)), prop.get("maximum", 2**40)
        number = draw(st.one_of(st.integers(low - 2, low + 2), st.integers(high - 2, high + 2), st.integers()))
        return draw(st.sampled_from([str(number), *ODD_NUMBERS]))
    if prop.get("type") == "number":
        low, high = prop.get("minimum", -1e9), prop.get("maximum", 1e9)
        real = draw(st.one_of(st.sampled_from([low, high, low - 1e-9, high + 1e-9]), st.floats(low - 1, high + 1)))
        text = draw(st.sampled_from([repr(real), f"{real:.3f}", str(int(real))]))
        return draw(st.sampled_from([text, text, *ODD_NUMBERS]))
    lengths = [n for n in (prop.get("minLength"), prop.get("maxLength")) if n is not None]
    sized = [n + delta for n in lengths for delta in (-1, 0, 1) if n + delta >= 0]
    return draw(
        st.one_of(
            st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=12),
            st.sampled_from(sized or [0]).map(lambda n: "é" * n),
        )
    )


def value_within(draw: st.DrawFn, prop: dict[str, Any]) -> str:
    """Text for a form property that its schema accepts."""
    if "enum" in prop:
        return str(draw(st.sampled_from(prop["enum"])))
    if prop.get("type") == "integer":
        return str(draw(st.integers(prop.get("minimum"), prop.get("maximum"))))
    if prop.get("type") == "number":
        return repr(draw(st.floats(prop.get("minimum"), prop.get("maximum"))))
    text = st.text(
        st.characters(codec="utf-8", exclude_characters="\r"), min_size=prop.get("minLength", 0), max_size=20
    )
    return draw(text)


@st.composite
def near_valid_uploads(draw: st.DrawFn, spec: Spec) -> dict[str, Any]:
    """Uploads of every operation, mostly valid, with one or two things that may be off."""
    operation = draw(st.sampled_from(["fast", "conservative", "creative"]))
    path = f"/v2beta/stable-image/upscale/{operation}"
    schema = spec.request_schema(next(op for op, route in spec.operations.items() if route == ("POST", path)))
    assert schema is not None
    parts: list[tuple[str, str | bytes]] = []
    image = draw(st.sampled_from([png(8, 8), b"", b"not an image"]))
    for name, prop in schema["properties"].items():
        if name == "image":
            sent = draw(st.sampled_from(["file"] * 6 + ["none", "text", "twice"]))
            by_kind: dict[str, list[tuple[str, str | bytes]]] = {
                "file": [(name, image)],
                "none": [],
                "text": [(name, "abc")],
                "twice": [(name, image)] * 2,
            }
            parts += by_kind[sent]
            continue
        required = name in schema.get("required", [])
        if draw(st.sampled_from([True, True, True, False] if required else [True, False])):
            parts.append((name, value_near(draw, prop)))
            if draw(st.integers(0, 15)) == 0:
                again: list[str | bytes] = [value_near(draw, prop), b"as a file"]
                parts.append((name, draw(st.sampled_from(again))))
    if draw(st.integers(0, 7)) == 0:
        parts.append((draw(st.sampled_from(UNKNOWN_FIELDS)), draw(st.sampled_from(UNKNOWN_VALUES))))
    headers = {"Authorization": draw(st.sampled_from(["Bearer sk", "sk", ""]))} if draw(st.integers(0, 5)) else {}
    if draw(st.booleans()):
        headers[draw(st.sampled_from(CLIENT_HEADERS))] = draw(st.sampled_from(["app", "", "a" * 256, "a" * 257]))
    body, content_type = multipart_body(draw(st.permutations(parts)))
    return {
        "path": f"/v2beta/stable-image/upscale/{operation}",
        "method": "POST",
        "headers": headers,
        "data": body,
        "content_type": content_type,
        "query_string": draw(st.sampled_from(["", "seed=5"])),
    }


def multipart_body(parts: list[tuple[str, str | bytes]]) -> tuple[bytes, str]:
    """A multipart body with these parts in order: bytes as file parts, text as text parts."""
    boundary = "generated-boundary-42"
    chunks = []
    for name, value in parts:
        if isinstance(value, bytes):
            head = f'Content-Disposition: form-data; name="{name}"; filename="in.png"\r\nContent-Type: image/png'
            chunks.append(f"--{boundary}\r\n{head}\r\n\r\n".encode() + value + b"\r\n")
        else:
            head = f'Content-Disposition: form-data; name="{name}"'
            chunks.append(f"--{boundary}\r\n{head}\r\n\r\n{value}\r\n".encode())
    return b"".join([*chunks, f"--{boundary}--\r\n".encode()]), f"multipart/form-data; boundary={boundary}"


def shortcut_verdict(spec: Spec) -> tuple[str, ValidRequest | list[str]] | None:
    """The upload shortcut's verdict on the request in context (``None``: it leaves it to openapi-core)."""
    form = spec.form.parse(request.get_data(), request.mimetype_params["boundary"])
    try:
        taken = spec.uploads.valid(request, spec.router.template(request), form)
    except RequestInvalid as exc:
        assert exc.form is form
        return "invalid", exc.errors
    return ("valid", taken) if taken is not None else None


def upload_shortcut_verdict(
    app: Flask, spec: Spec, made: dict[str, Any]
) -> tuple[str, ValidRequest | list[str]] | None:
    """The shortcut's verdict on ``made``, checked against openapi-core's whenever it gives one."""
    with app.test_request_context(**made):
        taken = shortcut_verdict(spec)
        if taken is not None:
            assert verdict(spec.validate_with_openapi_core, request) == taken, made
        assert verdict(spec.validate_request, request) == verdict(spec.validate_with_openapi_core, request), made
        return taken


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_uploads_the_shortcut_takes_get_openapi_cores_verdict(profile_app: Flask, data: st.DataObject) -> None:
    spec = services_of(profile_app).spec
    upload_shortcut_verdict(profile_app, spec, data.draw(near_valid_uploads(spec)))


TYPICAL_UPLOADS = [
    ("fast", [("output_format", "webp")]),
    ("fast", []),
    ("conservative", [("prompt", "a cat"), ("seed", "42"), ("creativity", "0.35"), ("negative_prompt", "")]),
    ("conservative", [("prompt", "é" * 10000), ("seed", "4294967294"), ("creativity", "0.2")]),
    ("creative", [("prompt", "a cat"), ("style_preset", "3d-model"), ("creativity", "0.5"), ("output_format", "jpeg")]),
    ("creative", [("prompt", "x"), ("seed", "0"), ("creativity", "0.1")]),
]


@pytest.mark.parametrize(("operation", "fields"), TYPICAL_UPLOADS)
def test_typical_valid_uploads_take_the_shortcut(
    profile_app: Flask, operation: str, fields: list[tuple[str, str | bytes]]
) -> None:
    made: dict[str, Any] = {
        "path": f"/v2beta/stable-image/upscale/{operation}",
        "method": "POST",
        "headers": {"Authorization": "Bearer sk", "stability-client-id": "app"},
    }
    made["data"], made["content_type"] = multipart_body([("image", png(8, 8)), *fields])
    taken = upload_shortcut_verdict(profile_app, services_of(profile_app).spec, made)
    assert taken is not None and isinstance(taken[1], ValidRequest) and taken[1].body["image"] == png(8, 8)


@pytest.mark.parametrize(
    ("fields", "headers"),
    [
        ([("output_format", "gif")], {"Authorization": "sk"}),
        ([("output_format", "gif")], {}),
        ([("output_format", "png"), ("output_format", "png")], {"Authorization": "sk"}),
        ([("output_format", "png"), ("extra", "1")], {"Authorization": "sk"}),
        ([("output_format", "png")], {"Authorization": "sk", "stability-client-id": "a" * 257}),
    ],
)
def test_doubtful_uploads_are_not_taken_as_valid(
    spec_app: Flask, fields: list[tuple[str, str | bytes]], headers: dict[str, str]
) -> None:
    body, content_type = multipart_body([("image", png(8, 8)), *fields])
    made = {"path": FAST_PATH, "method": "POST", "headers": headers, "data": body, "content_type": content_type}
    # Refused by the shortcut itself, or left to openapi-core (tests/openapi/test_spec_refusals.py).
    taken = upload_shortcut_verdict(spec_app, services_of(spec_app).spec, made)
    assert taken is None or taken[0] == "invalid"
