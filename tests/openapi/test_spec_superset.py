"""The bundled spec (spec/openapi.yml) is a compatible superset of the user's seed spec.

A client written against the seed (tests/data/seed-spec.yml) must keep working
against the mock; ``tests/openapi/spec_compat.py`` states what that means, rule by rule.
The parametrized tests apply the rules to every seed item; the "teeth" tests at
the end break a copy of the bundled spec and check that the matching rule
notices. The only accepted narrowings are in :data:`DOCUMENTED_NARROWINGS`, each listed
in spec/CHANGES.md.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.openapi.spec_compat import (
    BUNDLED,
    CHANGES_FILE,
    DOCUMENTED_NARROWINGS,
    RAW_BUNDLED,
    SEED,
    SEED_FILE,
    Doc,
    Problems,
    body_schema,
    check_added_parameters,
    check_operation,
    check_operation_security,
    check_parameter,
    check_request_body,
    check_request_field,
    check_response,
    check_response_media,
    check_response_property,
    check_security_scheme,
    check_server,
    effective_parameters,
    get_operation,
    iter_operations,
    label,
    min_length_not_raised,
    request_value_rules,
    resolve_refs,
)

# --------------------------------------------------------------------------- #
# Parametrization: one test id per seed item
# --------------------------------------------------------------------------- #

SEED_OPERATIONS = [pytest.param(path, method, id=label(path, method)) for path, method, _ in iter_operations(SEED)]

SEED_BODIES = [
    pytest.param(path, method, id=label(path, method))
    for path, method, operation in iter_operations(SEED)
    if "requestBody" in operation
]

SEED_FIELDS = [
    pytest.param(
        path, method, media, field, id=f"{label(path, method)}.{field}" + ("" if "form" in media else f"[{media}]")
    )
    for path, method, operation in iter_operations(SEED)
    for media, media_object in (operation.get("requestBody") or {}).get("content", {}).items()
    for field in (media_object.get("schema") or {}).get("properties", {})
]

SEED_PARAMETERS = [
    pytest.param(path, method, location, name, id=f"{label(path, method)}.{location}.{name}")
    for path, method, _ in iter_operations(SEED)
    for location, name in effective_parameters(SEED, path, method)
]

SEED_RESPONSES = [
    pytest.param(path, method, status, id=f"{label(path, method)} {status}")
    for path, method, operation in iter_operations(SEED)
    for status in operation.get("responses", {})
]

SEED_RESPONSE_MEDIA = [
    pytest.param(path, method, status, media, id=f"{label(path, method)} {status} {media}")
    for path, method, operation in iter_operations(SEED)
    for status, response in operation.get("responses", {}).items()
    for media in response.get("content", {})
]

SEED_RESPONSE_PROPERTIES = [
    pytest.param(path, method, status, media, prop, id=f"{label(path, method)} {status} {media} .{prop}")
    for path, method, operation in iter_operations(SEED)
    for status, response in operation.get("responses", {}).items()
    for media, media_object in response.get("content", {}).items()
    for prop in (media_object.get("schema") or {}).get("properties", {})
]

SEED_SCHEMES = list(SEED.get("components", {}).get("securitySchemes", {}))
SEED_SERVERS = [server["url"] for server in SEED.get("servers", [])]


def test_seed_has_items_to_check() -> None:
    """Guard against a parametrization that silently collects nothing."""
    for name, cases in {
        "operations": SEED_OPERATIONS,
        "request fields": SEED_FIELDS,
        "parameters": SEED_PARAMETERS,
        "responses": SEED_RESPONSES,
        "response properties": SEED_RESPONSE_PROPERTIES,
        "security schemes": SEED_SCHEMES,
        "servers": SEED_SERVERS,
    }.items():
        assert cases, f"no seed {name} found: is {SEED_FILE} the seed spec?"


def test_refs_fully_resolved() -> None:
    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if "$ref" in node:
                yield str(node["$ref"])
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for item in node:
                yield from refs(item)

    assert list(refs(SEED)) == []
    assert list(refs(BUNDLED)) == []
    assert list(refs(RAW_BUNDLED)), "the bundled spec is expected to use $refs; is the resolver exercised?"


def test_resolver_rejects_unknown_and_circular_refs() -> None:
    with pytest.raises(KeyError):
        resolve_refs({"a": {"$ref": "#/components/schemas/Missing"}})
    with pytest.raises(ValueError, match="circular"):
        resolve_refs(
            {
                "components": {"schemas": {"A": {"$ref": "#/components/schemas/A"}}},
                "x": {"$ref": "#/components/schemas/A"},
            }
        )


def test_openapi_version_kept() -> None:
    assert BUNDLED["openapi"] == SEED["openapi"]


@pytest.mark.parametrize(("path", "method"), SEED_OPERATIONS)
def test_operation_kept(path: str, method: str) -> None:
    assert check_operation(SEED, BUNDLED, path, method) == []


@pytest.mark.parametrize(("path", "method"), SEED_BODIES)
def test_request_body_kept(path: str, method: str) -> None:
    assert check_request_body(SEED, BUNDLED, path, method) == []


@pytest.mark.parametrize(("path", "method", "media", "field"), SEED_FIELDS)
def test_request_field_compatible(path: str, method: str, media: str, field: str) -> None:
    assert check_request_field(SEED, BUNDLED, path, method, media, field) == []


@pytest.mark.parametrize(("path", "method", "location", "name"), SEED_PARAMETERS)
def test_parameter_kept(path: str, method: str, location: str, name: str) -> None:
    assert check_parameter(SEED, BUNDLED, path, method, location, name) == []


@pytest.mark.parametrize(("path", "method"), SEED_OPERATIONS)
def test_added_parameters_are_optional(path: str, method: str) -> None:
    assert check_added_parameters(SEED, BUNDLED, path, method) == []


@pytest.mark.parametrize(("path", "method"), SEED_OPERATIONS)
def test_security_requirements_kept(path: str, method: str) -> None:
    assert check_operation_security(SEED, BUNDLED, path, method) == []


@pytest.mark.parametrize(("path", "method", "status"), SEED_RESPONSES)
def test_response_status_kept(path: str, method: str, status: str) -> None:
    assert check_response(SEED, BUNDLED, path, method, status) == []


@pytest.mark.parametrize(("path", "method", "status", "media"), SEED_RESPONSE_MEDIA)
def test_response_media_type_compatible(path: str, method: str, status: str, media: str) -> None:
    assert check_response_media(SEED, BUNDLED, path, method, status, media) == []


@pytest.mark.parametrize(("path", "method", "status", "media", "prop"), SEED_RESPONSE_PROPERTIES)
def test_response_property_compatible(path: str, method: str, status: str, media: str, prop: str) -> None:
    assert check_response_property(SEED, BUNDLED, path, method, status, media, prop) == []


@pytest.mark.parametrize("name", SEED_SCHEMES)
def test_security_scheme_kept(name: str) -> None:
    assert check_security_scheme(SEED, BUNDLED, name) == []


@pytest.mark.parametrize("url", SEED_SERVERS)
def test_server_kept(url: str) -> None:
    assert check_server(SEED, BUNDLED, url) == []


# --------------------------------------------------------------------------- #
# The allow-list and CHANGES.md stay honest
# --------------------------------------------------------------------------- #


def _operation_by_id(doc: Doc, operation_id: str) -> tuple[str, str]:
    for path, method, operation in iter_operations(doc):
        if operation.get("operationId") == operation_id:
            return path, method
    raise AssertionError(f"no operation {operation_id!r}")


@pytest.mark.parametrize(
    ("operation_id", "field", "keyword"),
    [pytest.param(*key, id=".".join(key)) for key in DOCUMENTED_NARROWINGS],
)
def test_documented_narrowing_is_real_and_listed(operation_id: str, field: str, keyword: str) -> None:
    """Each allow-list entry matches the bundled spec exactly and is described in spec/CHANGES.md."""
    value = DOCUMENTED_NARROWINGS[(operation_id, field, keyword)]
    path, method = _operation_by_id(SEED, operation_id)
    seed_field = (body_schema(SEED, path, method, "multipart/form-data") or {})["properties"][field]
    bundled_field = (body_schema(BUNDLED, path, method, "multipart/form-data") or {})["properties"][field]
    assert bundled_field.get(keyword) == value, "stale allow-list entry: the bundled spec no longer narrows this"
    assert seed_field.get(keyword) != value
    changes = CHANGES_FILE.read_text("utf-8")
    assert f"{keyword}: {value}" in changes and f"`{field}`" in changes, "narrowing not described in spec/CHANGES.md"


def _additions() -> Iterator[Any]:
    """Names the bundled spec adds to the seed; each should appear in spec/CHANGES.md."""
    for path, method, operation in iter_operations(BUNDLED):
        if get_operation(SEED, path, method) is None:
            yield pytest.param(path, id=f"path {method.upper()} {path}")
            continue
        for name in (body_schema(BUNDLED, path, method, "multipart/form-data") or {}).get("properties", {}):
            if name not in (body_schema(SEED, path, method, "multipart/form-data") or {}).get("properties", {}):
                yield pytest.param(f"`{name}`", id=f"field {label(path, method)}.{name}")
        for location, name in effective_parameters(BUNDLED, path, method):
            if (location, name) not in effective_parameters(SEED, path, method):
                yield pytest.param(name, id=f"parameter {label(path, method)}.{location}.{name}")
        seed_responses = (get_operation(SEED, path, method) or {}).get("responses", {})
        for status, response in operation.get("responses", {}).items():
            if status not in seed_responses:
                yield pytest.param(status, id=f"status {label(path, method)} {status}")
            seed_headers = seed_responses.get(status, {}).get("headers", {})
            for header in response.get("headers", {}):
                if header not in seed_headers:
                    yield pytest.param(header, id=f"header {label(path, method)} {status} {header}")
    for name in BUNDLED.get("components", {}).get("securitySchemes", {}):
        if name not in SEED_SCHEMES:
            yield pytest.param(name, id=f"security scheme {name}")


def _unique(params: Iterator[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for param in params:
        seen.setdefault(param.id, param)
    return list(seen.values())


@pytest.mark.parametrize("needle", _unique(_additions()))
def test_changes_md_mentions_addition(needle: str) -> None:
    assert needle in CHANGES_FILE.read_text("utf-8"), f"{needle!r} is not mentioned in spec/CHANGES.md"


# --------------------------------------------------------------------------- #
# Teeth: each rule catches a deliberately broken copy of the bundled spec
# --------------------------------------------------------------------------- #

FAST_ROUTE = ("/v2beta/stable-image/upscale/fast", "post")
CONSERVATIVE_PATH = ("/v2beta/stable-image/upscale/conservative", "post")
CREATIVE_PATH = ("/v2beta/stable-image/upscale/creative", "post")
LEGACY_RESULT = ("/v2beta/stable-image/upscale/creative/result/{id}", "get")
FORM = "multipart/form-data"
JSON = "application/json"


def _schemas(doc: Doc) -> dict[str, Any]:
    schemas: dict[str, Any] = doc["components"]["schemas"]
    return schemas


def _op(doc: Doc, where: tuple[str, str]) -> dict[str, Any]:
    operation: dict[str, Any] = doc["paths"][where[0]][where[1]]
    return operation


def _field(op: Callable[..., Problems], where: tuple[str, str], field: str) -> Callable[[Doc, Doc], Problems]:
    return lambda seed, bundled: op(seed, bundled, *where, FORM, field)


Mutation = Callable[[Doc], None]
Check = Callable[[Doc, Doc], Problems]

BREAKAGES: list[tuple[str, Mutation, Check]] = [
    (
        "path-removed",
        lambda d: d["paths"].pop(LEGACY_RESULT[0]),
        lambda s, b: check_operation(s, b, *LEGACY_RESULT),
    ),
    (
        "method-changed",
        lambda d: d["paths"][FAST_ROUTE[0]].update(put=d["paths"][FAST_ROUTE[0]].pop("post")),
        lambda s, b: check_operation(s, b, *FAST_ROUTE),
    ),
    (
        "operationId-renamed",
        lambda d: _op(d, FAST_ROUTE).update(operationId="fastUpscale"),
        lambda s, b: check_operation(s, b, *FAST_ROUTE),
    ),
    (
        "enum-value-removed",
        lambda d: _schemas(d)["OutputFormat"]["enum"].remove("webp"),
        _field(check_request_field, FAST_ROUTE, "output_format"),
    ),
    (
        "enum-added-to-open-field",
        lambda d: _schemas(d)["ConservativeUpscaleRequest"]["properties"]["negative_prompt"].update(enum=["x"]),
        _field(check_request_field, CONSERVATIVE_PATH, "negative_prompt"),
    ),
    (
        "maximum-lowered",
        lambda d: _schemas(d)["Seed"].update(maximum=1000),
        _field(check_request_field, CREATIVE_PATH, "seed"),
    ),
    (
        "minimum-raised",
        lambda d: _schemas(d)["Seed"].update(minimum=1),
        _field(check_request_field, CONSERVATIVE_PATH, "seed"),
    ),
    (
        "maximum-made-exclusive",
        lambda d: _schemas(d)["Seed"].update(exclusiveMaximum=_schemas(d)["Seed"].pop("maximum")),
        _field(check_request_field, CONSERVATIVE_PATH, "seed"),
    ),
    (
        "maxLength-reduced",
        lambda d: _schemas(d)["ConservativeUpscaleRequest"]["properties"]["negative_prompt"].update(maxLength=5000),
        _field(check_request_field, CONSERVATIVE_PATH, "negative_prompt"),
    ),
    (
        "minLength-beyond-allow-list",
        lambda d: _schemas(d)["CreativeUpscaleRequest"]["properties"]["prompt"].update(minLength=2),
        _field(check_request_field, CREATIVE_PATH, "prompt"),
    ),
    (
        "minLength-not-allow-listed",
        lambda d: _schemas(d)["CreativeUpscaleRequest"]["properties"]["negative_prompt"].update(minLength=1),
        _field(check_request_field, CREATIVE_PATH, "negative_prompt"),
    ),
    (
        "pattern-added",
        lambda d: _schemas(d)["ConservativeUpscaleRequest"]["properties"]["prompt"].update(pattern="^[a-z]+$"),
        _field(check_request_field, CONSERVATIVE_PATH, "prompt"),
    ),
    (
        "field-type-changed",
        lambda d: _schemas(d)["Seed"].update(type="number"),
        _field(check_request_field, CREATIVE_PATH, "seed"),
    ),
    (
        "field-format-changed",
        lambda d: _schemas(d)["FastUpscaleRequest"]["properties"]["image"].update(format="byte"),
        _field(check_request_field, FAST_ROUTE, "image"),
    ),
    (
        "default-changed",
        lambda d: _schemas(d)["OutputFormat"].update(default="jpeg"),
        _field(check_request_field, CONSERVATIVE_PATH, "output_format"),
    ),
    (
        "default-removed",
        lambda d: _schemas(d)["Seed"].pop("default"),
        _field(check_request_field, CONSERVATIVE_PATH, "seed"),
    ),
    (
        "field-removed",
        lambda d: _schemas(d)["ConservativeUpscaleRequest"]["properties"].pop("negative_prompt"),
        _field(check_request_field, CONSERVATIVE_PATH, "negative_prompt"),
    ),
    (
        "optional-field-made-required",
        lambda d: _schemas(d)["FastUpscaleRequest"]["required"].append("output_format"),
        _field(check_request_field, FAST_ROUTE, "output_format"),
    ),
    (
        "added-field-required",
        lambda d: _schemas(d)["CreativeUpscaleRequest"]["required"].append("creativity"),
        lambda s, b: check_request_body(s, b, *CREATIVE_PATH),
    ),
    (
        "request-media-type-removed",
        lambda d: _op(d, FAST_ROUTE)["requestBody"].update(
            content={JSON: _op(d, FAST_ROUTE)["requestBody"]["content"][FORM]}
        ),
        lambda s, b: check_request_body(s, b, *FAST_ROUTE),
    ),
    (
        "additionalProperties-closed",
        lambda d: _schemas(d)["FastUpscaleRequest"].update(additionalProperties=False),
        lambda s, b: check_request_body(s, b, *FAST_ROUTE),
    ),
    (
        "response-status-removed",
        lambda d: _op(d, LEGACY_RESULT)["responses"].pop("404"),
        lambda s, b: check_response(s, b, *LEGACY_RESULT, "404"),
    ),
    (
        "response-media-type-removed",
        lambda d: d["components"]["responses"]["ResultReady"]["content"].pop("image/webp"),
        lambda s, b: check_response(s, b, *LEGACY_RESULT, "200"),
    ),
    (
        "response-binary-format-changed",
        lambda d: _op(d, FAST_ROUTE)["responses"]["200"]["content"]["image/png"]["schema"].update(format="byte"),
        lambda s, b: check_response_media(s, b, *FAST_ROUTE, "200", "image/png"),
    ),
    (
        "response-type-widened",
        lambda d: _schemas(d)["AsyncGenerationResponse"].update(type=["object", "null"]),
        lambda s, b: check_response_media(s, b, *CONSERVATIVE_PATH, "200", JSON),
    ),
    (
        "response-property-removed",
        lambda d: _schemas(d)["ErrorResponse"]["properties"].pop("message"),
        lambda s, b: check_response_property(s, b, *FAST_ROUTE, "400", JSON, "message"),
    ),
    (
        "response-property-type-changed",
        lambda d: _schemas(d)["UpscaleImageResponse"]["properties"]["seed"].update(type="string"),
        lambda s, b: check_response_property(s, b, *FAST_ROUTE, "200", JSON, "seed"),
    ),
    (
        "response-enum-widened",
        lambda d: _schemas(d)["UpscaleImageResponse"]["properties"]["finish_reason"]["enum"].append("ERROR"),
        lambda s, b: check_response_property(s, b, *LEGACY_RESULT, "200", JSON, "finish_reason"),
    ),
    (
        "response-enum-dropped",
        lambda d: _schemas(d)["UpscaleImageResponse"]["properties"]["finish_reason"].pop("enum"),
        lambda s, b: check_response_property(s, b, *FAST_ROUTE, "200", JSON, "finish_reason"),
    ),
    (
        "path-parameter-renamed",
        lambda d: d["components"]["parameters"]["generationId"].update(name="generation_id"),
        lambda s, b: check_parameter(s, b, *LEGACY_RESULT, "path", "id"),
    ),
    (
        "path-parameter-moved-to-query",
        lambda d: d["components"]["parameters"]["generationId"].update({"in": "query"}),
        lambda s, b: check_parameter(s, b, *LEGACY_RESULT, "path", "id"),
    ),
    (
        "parameter-type-changed",
        lambda d: d["components"]["parameters"]["generationId"]["schema"].update(type="integer"),
        lambda s, b: check_parameter(s, b, *LEGACY_RESULT, "path", "id"),
    ),
    (
        "added-parameter-required",
        lambda d: d["components"]["parameters"]["clientId"].update(required=True),
        lambda s, b: check_added_parameters(s, b, *FAST_ROUTE),
    ),
    (
        "security-scheme-removed",
        lambda d: d["components"]["securitySchemes"].pop("bearerAuth"),
        lambda s, b: check_security_scheme(s, b, "bearerAuth"),
    ),
    (
        "security-scheme-changed",
        lambda d: d["components"]["securitySchemes"]["bearerAuth"].update(scheme="basic"),
        lambda s, b: check_security_scheme(s, b, "bearerAuth"),
    ),
    (
        "security-requirement-dropped",
        lambda d: d.update(security=[{"apiKeyAuth": []}]),
        lambda s, b: check_operation_security(s, b, *FAST_ROUTE),
    ),
    (
        "operation-security-overridden",
        lambda d: _op(d, CREATIVE_PATH).update(security=[{"apiKeyAuth": []}]),
        lambda s, b: check_operation_security(s, b, *CREATIVE_PATH),
    ),
    (
        "server-removed",
        lambda d: d.update(servers=[{"url": "http://localhost:8080"}]),
        lambda s, b: check_server(s, b, "https://api.stability.ai"),
    ),
]


#: The phrase the intended rule reports for each breakage (so it is caught for the right reason).
EXPECTED_PROBLEM = {
    "path-removed": "path was removed",
    "method-changed": "method was removed",
    "operationId-renamed": "operationId",
    "enum-value-removed": "enum values ['webp'] were removed",
    "enum-added-to-open-field": "an enum",
    "maximum-lowered": "maximum tightened",
    "minimum-raised": "minimum tightened",
    "maximum-made-exclusive": "to exclusive",
    "maxLength-reduced": "maxLength reduced",
    "minLength-beyond-allow-list": "minLength raised from 0 to 2",
    "minLength-not-allow-listed": "minLength raised from 0 to 1",
    "pattern-added": "pattern",
    "field-type-changed": "type 'integer' became 'number'",
    "field-format-changed": "format 'binary' became 'byte'",
    "default-changed": "default 'png' became 'jpeg'",
    "default-removed": "default 0 was removed",
    "field-removed": "field was removed",
    "optional-field-made-required": "is now required",
    "added-field-required": "newly required fields ['creativity']",
    "request-media-type-removed": "request media type multipart/form-data was removed",
    "additionalProperties-closed": "additionalProperties",
    "response-status-removed": "response status was removed",
    "response-media-type-removed": "media type image/webp was removed",
    "response-binary-format-changed": "format 'binary' became 'byte'",
    "response-type-widened": "widened by ['null']",
    "response-property-removed": "property was removed",
    "response-property-type-changed": "widened by ['string']",
    "response-enum-widened": "enum widened by ['ERROR']",
    "response-enum-dropped": "no longer enforced",
    "path-parameter-renamed": "parameter was removed",
    "path-parameter-moved-to-query": "now in ['query']",
    "parameter-type-changed": "type 'string' became 'integer'",
    "added-parameter-required": "stability-client-id') is required",
    "security-scheme-removed": "'bearerAuth' was removed",
    "security-scheme-changed": "scheme 'bearer' became 'basic'",
    "security-requirement-dropped": "security requirement {'bearerAuth': []} was removed",
    "operation-security-overridden": "security requirement {'bearerAuth': []} was removed",
    "server-removed": "server 'https://api.stability.ai' was removed",
}


@pytest.mark.parametrize(
    ("mutate", "check", "expected"),
    [pytest.param(m, c, EXPECTED_PROBLEM[name], id=name) for name, m, c in BREAKAGES],
)
def test_rule_catches_breakage(mutate: Mutation, check: Check, expected: str) -> None:
    """The unbroken bundled spec passes the check; the broken copy fails it, for the intended reason."""
    assert check(SEED, BUNDLED) == []
    broken = copy.deepcopy(RAW_BUNDLED)
    mutate(broken)
    problems = check(SEED, resolve_refs(broken))
    assert problems, "the rule missed the breakage"
    assert any(expected in problem for problem in problems), problems


def test_documented_narrowing_is_needed() -> None:
    """Without its allow-list entry, the ``prompt`` minLength is reported (the allow-list does real work)."""
    path, method = CREATIVE_PATH
    seed_field = (body_schema(SEED, path, method, FORM) or {})["properties"]["prompt"]
    bundled_field = (body_schema(BUNDLED, path, method, FORM) or {})["properties"]["prompt"]
    assert min_length_not_raised(seed_field, bundled_field, "prompt") != []
    assert request_value_rules(seed_field, bundled_field, "prompt", {}) != []
    assert min_length_not_raised(seed_field, bundled_field, "prompt", allowed=1) == []
