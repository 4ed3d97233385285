"""Schemathesis against the bundled spec, in-process (WSGI), with every check it has.

It runs once per profile: the seed profile against ``spec/openapi.yml``, the live
profile against its own document (the same file with ``spec/live.yml`` applied),
each as ``GET /openapi.yml`` serves it.

Why: the other tests pin behaviours one at a time; this one lets Schemathesis
generate requests, valid and invalid, for every operation of ``spec/openapi.yml``
and judge each answer by the document alone: no 5xx, only documented status
codes, content types, headers and bodies, valid input accepted, invalid input
refused with a 4xx, undeclared methods answered 405 with ``Allow``, missing or
wrong keys refused. The run is derandomized and bounded, so CI sees the same
few hundred cases every time.

Four choices keep the checks meaningful for this API:

* The spec states its image rules (format, sides, pixel count, aspect) only in
  prose, so Schemathesis' own ``format: binary`` values (1x1 samples, arbitrary
  bytes) would all be refused, and ``positive_data_acceptance`` would flag every
  valid-looking upload. ``format: binary`` therefore draws from real images:
  usable ones, valid for all three upload operations, and unusable ones that
  break a prose-only rule. Only cases carrying an unusable image skip
  ``positive_data_acceptance``, and for those the test itself demands a 400
  that blames the image and nothing else.
* The mock accepts any non-empty key by default, so ``ignored_auth``'s
  invalid-key probe would be accepted by design; the app here accepts one key
  only, which makes that probe meaningful.
* Random generation ids are only ever unknown (404), so every other positive
  poll asks for a real job instead and sees 202 (pending) and then 200 (ready).
* Multipart carries no types: a ``prompt`` generated as ``True`` is sent as the
  text ``true``, a ``creativity`` generated as ``[]`` is not sent at all. Such
  negative cases can reach the server as valid data. Schemathesis means to
  excuse them by re-reading the form as sent, but that fails on any body with a
  file part (``jsonschema_rs`` raises "Unsupported type: 'Binary'"), so the test
  re-reads the sent form itself (:mod:`contract_tests.sent_forms`, as the shipped
  ``st run`` hooks do) and skips ``negative_data_rejection`` only for a case
  negated in its body alone whose form, as sent, satisfies the spec.
"""

from __future__ import annotations

import io
import itertools
import logging
import time
from collections import Counter
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis import Case, CheckFunction
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.transport.serialization import Binary

from contract_tests.sent_forms import negated_in_body_only, sent_form_is_valid
from mockserver import Config, MemoryStore, create_app
from mockserver.services import services_of
from mockserver.settings.profiles import LIVE, PROFILES, SEED, profile_document
from tests.conftest import ROOT
from tests.images import image_bytes, jpeg, png, webp

log = logging.getLogger(__name__)

SPEC_FILE = ROOT / "spec" / "openapi.yml"
API_KEY = "sk-schemathesis"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
UPLOADS = ("upscaleImageFast", "upscaleImageConservative", "upscaleImageCreative")
POLLS = ("getUpscaleResult", "getUpscaleCreativeResult")
#: The v2alpha pair, in the live profile only.
LEGACY = ("upscaleImageLegacy", "getUpscaleLegacyResult")

#: Valid for fast (sides 32 to 1536, at most 1 MP), conservative (sides from 64,
#: aspect up to 2.5) and creative (sides from 64, at most 1 MP) alike; each
#: image's bytes map to its media type.
USABLE_IMAGES: dict[bytes, str] = {
    png(64, 64): "image/png",
    jpeg(96, 64): "image/jpeg",
    webp(64, 160, mode="RGBA", color=(200, 80, 40, 128)): "image/webp",
}
#: Each breaks, for all three upload operations, a rule the spec states only in prose.
UNUSABLE_IMAGES: tuple[bytes, ...] = (
    png(1, 1),
    png(1600, 16),
    image_bytes(64, 64, fmt="GIF"),
    png(64, 64)[:120],
    b"\x00" * 64,
    b"",
)

# Process-wide, and before the schema is loaded: the coverage phase builds its
# cases at collection time, from the first value (a usable PNG). Usable images
# are listed twice so that most fuzzed uploads take the success path.
schemathesis.openapi.format("binary", st.sampled_from([*USABLE_IMAGES, *USABLE_IMAGES, *UNUSABLE_IMAGES]))

APPS: dict[str, Flask] = {
    profile: create_app(
        Config(profile=profile, store="memory://", api_keys=(API_KEY,), target_pixels=128 * 128), store=MemoryStore()
    )
    for profile in PROFILES
}
#: Each document's own security scheme: the seed's ``Bearer``, Stability's API-key header.
AUTHS = {
    SEED: {"bearerAuth": {"bearer": API_KEY}},
    LIVE: {"STABILITY_API_KEY": {"api_key": f"Bearer {API_KEY}"}},
}
SCHEMAS = {
    profile: schemathesis.openapi.from_wsgi(
        "/openapi.yml",
        app,
        config=schemathesis.Config.from_dict(
            {
                "checks": {"enabled": True},
                "generation": {"mode": "all"},
                "auth": {"openapi": AUTHS[profile]},
            }
        ),
    )
    for profile, app in APPS.items()
}
schema, live_schema = SCHEMAS[SEED], SCHEMAS[LIVE]
ACCOUNT = ("getUserAccount", "getUserBalance")

CASES: Counter[str] = Counter()
POSITIVE_POLLS: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def report_case_counts() -> Iterator[None]:
    """Log how many cases each operation ran; shown with ``--log-cli-level=INFO``."""
    started = time.perf_counter()
    yield
    log.info("schemathesis cases per operation: %s in %.1f s", dict(CASES), time.perf_counter() - started)


@cache
def generation_ids(operation_id: str, profile: str) -> Iterator[str]:
    """Real jobs for ``operation_id`` to poll in turn: each answers 202 once, then 200."""
    app = APPS[profile]
    client = app.test_client()
    ids = []
    at_once = services_of(app).spec.renders_at_once
    for operation, path in (
        ("upscaleImageConservative", "/v2beta/stable-image/upscale/conservative"),
        ("upscaleImageCreative", "/v2beta/stable-image/upscale/creative"),
        ("upscaleImageLegacy", "/v2alpha/generation/stable-image/upscale"),
    ):
        if operation in at_once or operation not in services_of(app).spec.operations:
            continue
        upload = {"image": (io.BytesIO(png(64, 64)), "input.png", "image/png"), "prompt": "a lighthouse at dusk"}
        response = client.post(path, data=upload, headers=AUTH)
        assert response.status_code == 200, response.get_data(as_text=True)
        ids.append(response.get_json()["id"])
    return itertools.cycle(ids)


def uploaded_image(case: Case[Any]) -> bytes | None:
    """The contents of the case's ``image`` file part, if it has one."""
    value = case.body.get("image") if isinstance(case.body, dict) else None
    # Schemathesis carries generated file contents wrapped in its `Binary` type.
    data = value.data if isinstance(value, Binary) else value
    return data if isinstance(data, bytes) else None


@pytest.mark.parametrize(
    ("profile", "expected"), [(SEED, {*UPLOADS, *POLLS}), (LIVE, {*UPLOADS, *POLLS, *LEGACY, *ACCOUNT})]
)
def test_every_operation_of_the_profiles_spec_is_tested(profile: str, expected: set[str]) -> None:
    document = profile_document(profile, lambda name: (SPEC_FILE.parent / name).read_text("utf-8"))
    in_file = {
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    served = SCHEMAS[profile]
    loaded = {served.get_operation_id(operation) for path in served for operation in served[path].values()}
    assert loaded == in_file == expected


@schema.parametrize()
@settings(max_examples=40, derandomize=True, deadline=None, database=None)
def test_api_conforms_to_the_bundled_spec(case: Case[Any]) -> None:
    conforms(case, SEED)


@live_schema.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None, database=None)
def test_live_profile_conforms_to_its_spec(case: Case[Any]) -> None:
    conforms(case, LIVE)


def conforms(case: Case[Any], profile: str) -> None:
    """Send ``case`` to the profile's app and judge the answer by every check (see the module's notes)."""
    operation_id = str(SCHEMAS[profile].get_operation_id(case.operation))
    CASES[f"{profile}:{operation_id}"] += 1
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if operation_id in (*POLLS, LEGACY[1]) and positive:
        POSITIVE_POLLS[operation_id] += 1
        if POSITIVE_POLLS[operation_id] % 2:
            case.path_parameters = {**case.path_parameters, "id": next(generation_ids(operation_id, profile))}
    image = uploaded_image(case)
    unusable = image is not None and image not in USABLE_IMAGES
    if image in USABLE_IMAGES:
        # Label the part with what it is, whichever of the listed types was drawn for it.
        case.multipart_content_types = {**(case.multipart_content_types or {}), "image": USABLE_IMAGES[image]}
    response = case.call()
    excluded: list[CheckFunction] = []
    if unusable:
        excluded.append(positive_data_acceptance)
    if response.status_code < 300 and negated_in_body_only(case) and sent_form_is_valid(case, response):
        excluded.append(negative_data_rejection)
    case.validate_response(response, excluded_checks=excluded)
    if unusable and positive:
        # Schemathesis cannot know that this image breaks a prose-only rule, so the
        # acceptance of positive data is judged here: a 400 about the image alone.
        assert response.status_code == 400, response.text
        errors = response.json()["errors"]
        assert errors and all(error.startswith("image: ") for error in errors), errors
