"""A compatibility checker for OpenAPI documents: is one a compatible superset of the seed?

A client written against the seed (tests/data/seed-spec.yml) must keep working
against the mock, and a response that conforms to the bundled spec must still
conform to what that client was told to expect. So, after resolving every local
``$ref`` in both documents:

* requests may only get *looser*: every seed path, operation, parameter and
  request field is still there with the same type, format and default; no seed
  enum value, bound or length is narrowed; nothing optional becomes required;
* responses may only get *stricter*: every seed status, media type and response
  property is still there, and what the bundled spec lets the server send is a
  subset of what the seed allowed (the server may promise more: extra
  properties, ``required`` lists, enums);
* the seed's security scheme, security requirements and servers stay.

Each rule is a small helper returning a list of problems (empty: compatible).
``tests/openapi/test_spec_superset.py`` applies them to the bundled document (and
breaks copies of it to show each rule has teeth); ``tests/settings/test_profiles.py``
applies them to the live profile's document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tests.conftest import ROOT

SEED_FILE = ROOT / "tests" / "data" / "seed-spec.yml"
BUNDLED_FILE = ROOT / "spec" / "openapi.yml"
CHANGES_FILE = ROOT / "spec" / "CHANGES.md"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

Doc = dict[str, Any]
Schema = dict[str, Any]
Problems = list[str]

#: Deliberate narrowings of the seed, each one documented in spec/CHANGES.md
#: ("Deliberate narrowing"). Key: (operationId, request field, schema keyword);
#: value: the exact value the bundled spec may use there.
#: The live API rejects an empty prompt, so the bundled spec adds ``minLength: 1``.
DOCUMENTED_NARROWINGS: dict[tuple[str, str, str], Any] = {
    ("upscaleImageConservative", "prompt", "minLength"): 1,
    ("upscaleImageCreative", "prompt", "minLength"): 1,
}


# --------------------------------------------------------------------------- #
# Loading and $ref resolution
# --------------------------------------------------------------------------- #


def load_yaml(path: Path) -> Doc:
    document = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(document, dict), f"{path} is not a YAML mapping"
    return document


def _pointer(document: Doc, ref: str) -> Any:
    """The node a local JSON-pointer ``$ref`` (``#/components/...``) names."""
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    node: Any = document
    for raw in ref[2:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or token not in node:
            raise KeyError(f"unresolvable $ref {ref!r}")
        node = node[token]
    return node


def resolve_refs(document: Doc) -> Doc:
    """A deep copy of ``document`` with every local ``$ref`` replaced by its target.

    Both specs are compared in this form, so moving an inline schema, response or
    parameter into ``components`` (a pure refactoring) is invisible to the rules,
    while a change made inside a shared component shows up at every use.
    Sibling keywords next to a ``$ref`` (allowed in OpenAPI 3.1) override the target's.
    """

    def walk(node: Any, stack: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                ref = node["$ref"]
                if ref in stack:
                    raise ValueError(f"circular $ref {ref!r}")
                target = walk(_pointer(document, ref), (*stack, ref))
                siblings = {key: walk(value, stack) for key, value in node.items() if key != "$ref"}
                return {**target, **siblings} if isinstance(target, dict) else target
            return {key: walk(value, stack) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item, stack) for item in node]
        return node

    resolved = walk(document, ())
    assert isinstance(resolved, dict)
    return resolved


RAW_SEED = load_yaml(SEED_FILE)
RAW_BUNDLED = load_yaml(BUNDLED_FILE)
SEED = resolve_refs(RAW_SEED)
BUNDLED = resolve_refs(RAW_BUNDLED)


# --------------------------------------------------------------------------- #
# Accessors
# --------------------------------------------------------------------------- #


def iter_operations(doc: Doc) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc.get("paths", {}).items():
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                yield path, method, item[method]


def get_operation(doc: Doc, path: str, method: str) -> dict[str, Any] | None:
    operation = doc.get("paths", {}).get(path, {}).get(method)
    return operation if isinstance(operation, dict) else None


def label(path: str, method: str) -> str:
    """The seed's operationId (stable, readable), else ``METHOD path``."""
    operation = get_operation(SEED, path, method) or {}
    return str(operation.get("operationId") or f"{method.upper()} {path}")


def param_key(param: dict[str, Any]) -> tuple[str, str]:
    """(location, name); header names are case-insensitive in HTTP."""
    name = str(param["name"])
    return str(param["in"]), name.lower() if param["in"] == "header" else name


def effective_parameters(doc: Doc, path: str, method: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Path-item parameters overridden by operation parameters, as OpenAPI defines them."""
    item = doc.get("paths", {}).get(path, {})
    operation = get_operation(doc, path, method) or {}
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for param in [*item.get("parameters", []), *operation.get("parameters", [])]:
        found[param_key(param)] = param
    return found


def effective_security(doc: Doc, path: str, method: str) -> list[dict[str, list[str]]]:
    """The operation's security requirements (alternatives), else the document's."""
    operation = get_operation(doc, path, method) or {}
    security = operation.get("security", doc.get("security"))
    return list(security or [])


def body_schema(doc: Doc, path: str, method: str, media: str) -> Schema | None:
    operation = get_operation(doc, path, method) or {}
    content = (operation.get("requestBody") or {}).get("content", {})
    schema = (content.get(media) or {}).get("schema")
    return schema if isinstance(schema, dict) else None


def response_media_schema(doc: Doc, path: str, method: str, status: str, media: str) -> Schema | None:
    operation = get_operation(doc, path, method) or {}
    response = operation.get("responses", {}).get(status) or {}
    schema = (response.get("content", {}).get(media) or {}).get("schema")
    return schema if isinstance(schema, dict) else None


def type_set(schema: Schema) -> set[str] | None:
    """The schema's ``type`` as a set (3.1 allows a list); ``None`` when unconstrained."""
    kind = schema.get("type")
    if kind is None:
        return None
    return {kind} if isinstance(kind, str) else set(kind)


# --------------------------------------------------------------------------- #
# Rules for requests: the bundled spec must accept everything the seed accepted
# --------------------------------------------------------------------------- #


def field_type_unchanged(seed: Schema, bundled: Schema, where: str) -> Problems:
    """Same ``type`` and ``format``: clients serialize a field from the seed's type.

    A changed type (even integer -> number) changes how generated clients and
    the server's form casting read the value, so the brief asks for equality.
    """
    problems = []
    if type_set(seed) != type_set(bundled):
        problems.append(f"{where}: type {seed.get('type')!r} became {bundled.get('type')!r}")
    if seed.get("format") != bundled.get("format"):
        problems.append(f"{where}: format {seed.get('format')!r} became {bundled.get('format')!r}")
    return problems


def enum_values_kept(seed: Schema, bundled: Schema, where: str) -> Problems:
    """Every seed enum value is still allowed; a client may send any of them.

    Adding values is fine; adding an enum where the seed had none narrows the field.
    """
    if "enum" not in bundled:
        return []
    if "enum" not in seed:
        return [f"{where}: an enum {bundled['enum']!r} now restricts a field the seed left open"]
    missing = [value for value in seed["enum"] if value not in bundled["enum"]]
    return [f"{where}: enum values {missing!r} were removed"] if missing else []


def _bound(schema: Schema, inclusive: str, exclusive: str, pick: Callable[..., Any]) -> tuple[Any, bool] | None:
    """The tighter of an inclusive and an exclusive bound, as (value, is_exclusive)."""
    candidates = []
    if isinstance(schema.get(inclusive), (int, float)):
        candidates.append((schema[inclusive], False))
    if isinstance(schema.get(exclusive), (int, float)):
        candidates.append((schema[exclusive], True))
    if not candidates:
        return None
    best = pick(value for value, _ in candidates)
    return best, any(value == best and excl for value, excl in candidates)


def numeric_bounds_not_tightened(seed: Schema, bundled: Schema, where: str) -> Problems:
    """bundled minimum <= seed minimum and bundled maximum >= seed maximum.

    A seed client may send the seed's extreme values (e.g. ``seed=4294967294``);
    a tighter bound (including one turned exclusive or newly added) rejects them.
    """
    problems = []
    for side, inclusive, exclusive, pick in (
        ("minimum", "minimum", "exclusiveMinimum", max),
        ("maximum", "maximum", "exclusiveMaximum", min),
    ):
        s = _bound(seed, inclusive, exclusive, pick)
        b = _bound(bundled, inclusive, exclusive, pick)
        if b is None:
            continue
        if s is None:
            problems.append(f"{where}: a {side} of {b[0]} was added")
            continue
        looser = b[0] < s[0] if side == "minimum" else b[0] > s[0]
        same_and_not_stricter = b[0] == s[0] and (s[1] or not b[1])
        if not (looser or same_and_not_stricter):
            kind = "exclusive " if b[1] else ""
            problems.append(f"{where}: {side} tightened from {s[0]} to {kind}{b[0]}")
    return problems


def max_length_not_reduced(seed: Schema, bundled: Schema, where: str) -> Problems:
    """The seed's ``maxLength`` is not reduced (nor one added): long seed-valid values must pass."""
    if "maxLength" not in bundled:
        return []
    if "maxLength" not in seed:
        return [f"{where}: a maxLength of {bundled['maxLength']} was added"]
    if bundled["maxLength"] < seed["maxLength"]:
        return [f"{where}: maxLength reduced from {seed['maxLength']} to {bundled['maxLength']}"]
    return []


def min_length_not_raised(seed: Schema, bundled: Schema, where: str, allowed: Any = None) -> Problems:
    """``minLength`` is not raised above the seed's (absent means 0).

    ``allowed`` is the exact value an entry of :data:`DOCUMENTED_NARROWINGS`
    permits (``prompt``: 1, because the live API rejects empty prompts).
    """
    seed_min = seed.get("minLength", 0)
    bundled_min = bundled.get("minLength", 0)
    if bundled_min <= seed_min or bundled_min == allowed:
        return []
    return [f"{where}: minLength raised from {seed_min} to {bundled_min} (not in DOCUMENTED_NARROWINGS)"]


def pattern_not_added(seed: Schema, bundled: Schema, where: str) -> Problems:
    """No new or changed ``pattern``: it would reject strings the seed accepted."""
    if "pattern" in bundled and bundled.get("pattern") != seed.get("pattern"):
        return [f"{where}: pattern {bundled['pattern']!r} restricts the field"]
    return []


def default_unchanged(seed: Schema, bundled: Schema, where: str) -> Problems:
    """Same ``default``: a client that omits the field relies on the seed's default."""
    if "default" not in seed:
        return []
    if "default" not in bundled:
        return [f"{where}: default {seed['default']!r} was removed"]
    if bundled["default"] != seed["default"] or type(bundled["default"]) is not type(seed["default"]):
        return [f"{where}: default {seed['default']!r} became {bundled['default']!r}"]
    return []


def seed_values_still_valid(seed: Schema, bundled: Schema, where: str) -> Problems:
    """The seed's own example values (default, enum values, bounds) validate under the bundled schema.

    A cross-check with a real JSON Schema validator, independent of the keyword rules above.
    """
    samples = [seed["default"]] if "default" in seed else []
    samples += list(seed.get("enum", []))
    samples += [seed[key] for key in ("minimum", "maximum") if key in seed]
    samples = [value for index, value in enumerate(samples) if value not in samples[:index]]
    validator = jsonschema.Draft202012Validator(bundled)
    return [
        f"{where}: seed-valid value {value!r} is rejected: {error.message}"
        for value in samples
        for error in validator.iter_errors(value)
    ]


def field_not_newly_required(seed_object: Schema, bundled_object: Schema, field: str, where: str) -> Problems:
    """A field the seed left optional stays optional: seed clients may omit it."""
    if field in bundled_object.get("required", []) and field not in seed_object.get("required", []):
        return [f"{where}: {field!r} is now required"]
    return []


def no_new_required_fields(seed_object: Schema, bundled_object: Schema, where: str) -> Problems:
    """Fields the bundled spec adds must be optional: seed clients never send them."""
    added = sorted(set(bundled_object.get("required", [])) - set(seed_object.get("required", [])))
    return [f"{where}: newly required fields {added!r}"] if added else []


def additional_properties_not_closed(seed_object: Schema, bundled_object: Schema, where: str) -> Problems:
    """``additionalProperties: false`` must not appear where the seed allowed extra fields."""
    if bundled_object.get("additionalProperties") is False and seed_object.get("additionalProperties") is not False:
        return [f"{where}: additionalProperties is now false"]
    return []


def request_value_rules(seed: Schema, bundled: Schema, where: str, allowed: dict[str, Any]) -> Problems:
    """All per-value request rules (for body fields and parameter schemas alike)."""
    return [
        *field_type_unchanged(seed, bundled, where),
        *enum_values_kept(seed, bundled, where),
        *numeric_bounds_not_tightened(seed, bundled, where),
        *max_length_not_reduced(seed, bundled, where),
        *min_length_not_raised(seed, bundled, where, allowed.get("minLength")),
        *pattern_not_added(seed, bundled, where),
        *default_unchanged(seed, bundled, where),
        *seed_values_still_valid(seed, {k: v for k, v in bundled.items() if k not in allowed}, where),
    ]


# --------------------------------------------------------------------------- #
# Rules for responses: the bundled spec may only promise more
# --------------------------------------------------------------------------- #


def response_type_compatible(seed: Schema, bundled: Schema, where: str) -> Problems:
    """Every type the bundled spec lets the server send was allowed by the seed.

    Narrowing is fine (an integer is a valid JSON number); widening or dropping
    the type would let the server send what seed clients cannot parse.
    """
    seed_types, bundled_types = type_set(seed), type_set(bundled)
    problems = []
    if seed_types is not None:
        if bundled_types is None:
            problems.append(f"{where}: type {sorted(seed_types)} is no longer constrained")
        else:
            extra = {
                t for t in bundled_types if t not in seed_types and not (t == "integer" and "number" in seed_types)
            }
            if extra:
                problems.append(f"{where}: type {sorted(seed_types)} widened by {sorted(extra)}")
    if "format" in seed and bundled.get("format") != seed["format"]:
        problems.append(f"{where}: format {seed['format']!r} became {bundled.get('format')!r}")
    return problems


def response_enum_not_widened(seed: Schema, bundled: Schema, where: str) -> Problems:
    """Seed clients handle only the seed's enum values; the server may not send others.

    An enum the seed lacked may be added (that only narrows what is sent).
    """
    if "enum" not in seed:
        return []
    if "enum" not in bundled:
        return [f"{where}: enum {seed['enum']!r} is no longer enforced"]
    extra = [value for value in bundled["enum"] if value not in seed["enum"]]
    return [f"{where}: enum widened by {extra!r}"] if extra else []


def response_required_kept(seed: Schema, bundled: Schema, where: str) -> Problems:
    """Properties the seed promised (``required``) stay promised; adding more is fine."""
    dropped = sorted(set(seed.get("required", [])) - set(bundled.get("required", [])))
    return [f"{where}: no longer guarantees {dropped!r}"] if dropped else []


def response_schema_compatible(seed: Schema, bundled: Schema, where: str, *, recurse: bool = True) -> Problems:
    """A response schema promises at least what the seed's did (type, enum, required, properties)."""
    problems = [
        *response_type_compatible(seed, bundled, where),
        *response_enum_not_widened(seed, bundled, where),
        *response_required_kept(seed, bundled, where),
    ]
    if recurse:
        for name in seed.get("properties", {}):
            problems += response_property_kept(seed, bundled, name, f"{where}.{name}")
        if isinstance(seed.get("items"), dict):
            problems += response_schema_compatible(seed["items"], bundled.get("items") or {}, f"{where}[]")
    return problems


def response_property_kept(seed_object: Schema, bundled_object: Schema, name: str, where: str) -> Problems:
    """Every property of a seed response schema still exists, with a compatible schema.

    Seed clients read these keys; the bundled spec may add properties, never drop one.
    """
    bundled_prop = bundled_object.get("properties", {}).get(name)
    if not isinstance(bundled_prop, dict):
        return [f"{where}: property was removed"]
    return response_schema_compatible(seed_object["properties"][name], bundled_prop, where)


# --------------------------------------------------------------------------- #
# Document-level checks (what the tests call, on the real or a broken spec)
# --------------------------------------------------------------------------- #


def check_operation(seed: Doc, bundled: Doc, path: str, method: str) -> Problems:
    """Every seed path + method exists with the same operationId (clients and codegen key on it)."""
    where = f"{method.upper()} {path}"
    if path not in bundled.get("paths", {}):
        return [f"{where}: path was removed"]
    operation = get_operation(bundled, path, method)
    if operation is None:
        return [f"{where}: method was removed"]
    seed_id = (get_operation(seed, path, method) or {}).get("operationId")
    if operation.get("operationId") != seed_id:
        return [f"{where}: operationId {seed_id!r} became {operation.get('operationId')!r}"]
    return []


def check_request_body(seed: Doc, bundled: Doc, path: str, method: str) -> Problems:
    """The body keeps every seed media type, is not newly required, and requires no new field."""
    where = label(path, method)
    seed_body = (get_operation(seed, path, method) or {}).get("requestBody") or {}
    bundled_body = (get_operation(bundled, path, method) or {}).get("requestBody")
    if not isinstance(bundled_body, dict):
        return [f"{where}: request body was removed"]
    problems = []
    if bundled_body.get("required", False) and not seed_body.get("required", False):
        problems.append(f"{where}: request body is now required")
    for media, media_object in seed_body.get("content", {}).items():
        if media not in bundled_body.get("content", {}):
            problems.append(f"{where}: request media type {media} was removed")
            continue
        seed_schema = media_object.get("schema") or {}
        bundled_schema = bundled_body["content"][media].get("schema") or {}
        problems += no_new_required_fields(seed_schema, bundled_schema, f"{where} {media}")
        problems += additional_properties_not_closed(seed_schema, bundled_schema, f"{where} {media}")
    return problems


def check_request_field(seed: Doc, bundled: Doc, path: str, method: str, media: str, field: str) -> Problems:
    """One seed request field: still present, same type/format/default, not narrowed, not newly required."""
    op_id = label(path, method)
    where = f"{op_id}.{field}"
    seed_object = body_schema(seed, path, method, media) or {}
    bundled_object = body_schema(bundled, path, method, media)
    if bundled_object is None:
        return [f"{where}: request schema for {media} was removed"]
    bundled_field = bundled_object.get("properties", {}).get(field)
    if not isinstance(bundled_field, dict):
        return [f"{where}: field was removed"]
    allowed = {
        keyword: value for (op, name, keyword), value in DOCUMENTED_NARROWINGS.items() if (op, name) == (op_id, field)
    }
    return [
        *request_value_rules(seed_object["properties"][field], bundled_field, where, allowed),
        *field_not_newly_required(seed_object, bundled_object, field, where),
    ]


def check_parameter(seed: Doc, bundled: Doc, path: str, method: str, location: str, name: str) -> Problems:
    """A seed parameter keeps its location, required-ness and schema (type, bounds, default...)."""
    where = f"{label(path, method)} {location} parameter {name!r}"
    seed_param = effective_parameters(seed, path, method)[(location, name)]
    bundled_params = effective_parameters(bundled, path, method)
    bundled_param = bundled_params.get((location, name))
    if bundled_param is None:
        moved = [key[0] for key in bundled_params if key[1] == name]
        return [f"{where}: parameter was removed" + (f" (now in {moved})" if moved else "")]
    problems = []
    seed_required = seed_param.get("required", location == "path")
    if bundled_param.get("required", location == "path") != seed_required:
        problems.append(f"{where}: required changed from {seed_required}")
    problems += request_value_rules(seed_param.get("schema") or {}, bundled_param.get("schema") or {}, where, {})
    return problems


def check_added_parameters(seed: Doc, bundled: Doc, path: str, method: str) -> Problems:
    """Parameters the bundled spec adds must be optional: seed clients never send them."""
    seed_params = effective_parameters(seed, path, method)
    return [
        f"{label(path, method)}: added parameter {key} is required"
        for key, param in effective_parameters(bundled, path, method).items()
        if key not in seed_params and param.get("required", False)
    ]


def check_response(seed: Doc, bundled: Doc, path: str, method: str, status: str) -> Problems:
    """A seed response status exists for the same operation, with every seed media type and header."""
    where = f"{label(path, method)} {status}"
    seed_response = (get_operation(seed, path, method) or {})["responses"][status]
    bundled_response = (get_operation(bundled, path, method) or {}).get("responses", {}).get(status)
    if not isinstance(bundled_response, dict):
        return [f"{where}: response status was removed"]
    problems = [
        f"{where}: media type {media} was removed"
        for media in seed_response.get("content", {})
        if media not in bundled_response.get("content", {})
    ]
    bundled_headers = {name.lower(): header for name, header in bundled_response.get("headers", {}).items()}
    for name, header in seed_response.get("headers", {}).items():
        if name.lower() not in bundled_headers:
            problems.append(f"{where}: response header {name} was removed")
        else:
            problems += response_schema_compatible(
                header.get("schema") or {}, bundled_headers[name.lower()].get("schema") or {}, f"{where} {name}"
            )
    return problems


def check_response_media(seed: Doc, bundled: Doc, path: str, method: str, status: str, media: str) -> Problems:
    """A seed response media type's schema is still compatible at the top level.

    Properties are checked one by one by :func:`check_response_property`.
    """
    where = f"{label(path, method)} {status} {media}"
    seed_schema = response_media_schema(seed, path, method, status, media) or {}
    bundled_schema = response_media_schema(bundled, path, method, status, media)
    if bundled_schema is None:
        return [f"{where}: media type (or its schema) was removed"]
    return response_schema_compatible(seed_schema, bundled_schema, where, recurse=False)


def check_response_property(
    seed: Doc, bundled: Doc, path: str, method: str, status: str, media: str, prop: str
) -> Problems:
    """One property of a seed response schema is still there with a compatible schema."""
    where = f"{label(path, method)} {status} {media} .{prop}"
    seed_schema = response_media_schema(seed, path, method, status, media) or {}
    bundled_schema = response_media_schema(bundled, path, method, status, media)
    if bundled_schema is None:
        return [f"{where}: response schema was removed"]
    return response_property_kept(seed_schema, bundled_schema, prop, where)


def check_security_scheme(seed: Doc, bundled: Doc, name: str) -> Problems:
    """The seed's security scheme exists under the same name with the same mechanism.

    Descriptions may change; type/scheme/in/name/bearerFormat/flows may not
    (the HTTP auth scheme token is case-insensitive).
    """
    seed_scheme = seed["components"]["securitySchemes"][name]
    bundled_scheme = bundled.get("components", {}).get("securitySchemes", {}).get(name)
    if not isinstance(bundled_scheme, dict):
        return [f"security scheme {name!r} was removed"]
    problems = []
    for key, value in seed_scheme.items():
        if key == "description":
            continue
        other = bundled_scheme.get(key)
        same = str(other).lower() == str(value).lower() if key == "scheme" else other == value
        if not same:
            problems.append(f"security scheme {name!r}: {key} {value!r} became {other!r}")
    return problems


def check_operation_security(seed: Doc, bundled: Doc, path: str, method: str) -> Problems:
    """Each seed security requirement is still one of the operation's alternatives.

    Requirements in a list are alternatives (OR), so adding apiKeyAuth next to
    bearerAuth keeps Bearer clients working; dropping bearerAuth would not.
    """
    bundled_security = effective_security(bundled, path, method)
    return [
        f"{label(path, method)}: security requirement {requirement!r} was removed"
        for requirement in effective_security(seed, path, method)
        if requirement not in bundled_security
    ]


def check_server(seed: Doc, bundled: Doc, url: str) -> Problems:
    """A seed server URL is still listed (the file keeps production; GET /openapi.yml prepends the mock)."""
    urls = [server.get("url") for server in bundled.get("servers", [])]
    return [] if url in urls else [f"server {url!r} was removed"]
