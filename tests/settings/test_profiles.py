"""Profiles: ``seed`` keeps the user's document, ``live`` answers as api.stability.ai does."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from mockserver import Config, ConfigError
from mockserver.cli import main
from mockserver.openapi import Spec, bundled_text
from mockserver.settings.profiles import LIVE, SEED, parse_document, profile_document
from tests.conftest import (
    AUTH,
    CONSERVATIVE_PATH,
    CREATIVE_PATH,
    FAST_PATH,
    ROOT,
    SMALL_TARGET,
    Clock,
    Upload,
    checked_client,
)
from tests.images import decoded, png
from tests.openapi import spec_compat as superset

BALANCE = "/v1/user/balance"
ACCOUNT = "/v1/user/account"


def make_client(clock: Clock, **options: Any) -> FlaskClient:
    return checked_client(Config(store="memory://", target_pixels=SMALL_TARGET, **options), clock)


@pytest.fixture
def live(clock: Clock) -> FlaskClient:
    """A live-profile app; every answer is checked against the live document."""
    return make_client(clock, profile=LIVE)


@pytest.fixture
def seed(clock: Clock) -> FlaskClient:
    return make_client(clock)


# The live document ---------------------------------------------------------------


def test_live_document_is_valid_openapi() -> None:
    validate(profile_document(LIVE, bundled_text))


@pytest.mark.parametrize("name", ["openapi.yml", "admin.yml"])
def test_the_other_bundled_documents_are_valid_openapi(name: str) -> None:
    """The Spec skips openapi-core's check of its document at start-up: this is that check."""
    validate(yaml.safe_load(bundled_text(name)))


@pytest.mark.parametrize("name", ["openapi.yml", "admin.yml", "live.yml"])
def test_libyaml_parses_the_bundled_files_as_pyyaml_does(name: str) -> None:
    assert parse_document(bundled_text(name)) == yaml.safe_load(bundled_text(name))


def test_seed_profile_document_is_the_bundled_file_unchanged() -> None:
    assert profile_document(SEED, bundled_text) == yaml.safe_load(bundled_text("openapi.yml"))


def test_documents_decide_which_uploads_answer_at_once() -> None:
    assert Spec.for_profile(SEED).renders_at_once == {"upscaleImageFast"}
    assert Spec.for_profile(LIVE).renders_at_once == {"upscaleImageFast", "upscaleImageConservative"}


#: Each kind of departure of the live document from the seed document, as the seed compatibility
#: rules word it, and the words of spec/CHANGES.md that list it. Anything else they find fails.
LIVE_DEPARTURES: dict[str, tuple[str, str]] = {
    "bearer scheme": (
        r"security (requirement \{'bearerAuth': \[\]\}|scheme 'bearerAuth') was removed",
        "STABILITY_API_KEY",
    ),
    "no message": (r"application/json \.message: property was removed", "`message`"),
    "conservative answers the image": (r"upscaleImageConservative 200 application/json \.(id|status)", "conservative"),
    "started: id only": (r"upscaleImageCreative 200 application/json \.status: property was removed", "`status`"),
    "64-character ids": (r"path parameter 'id': (a maxLength of 64 was added|minLength raised from 0 to 64)", "64"),
}


def _superset_problems(document: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """Every seed compatibility rule of tests/openapi/test_spec_superset.py, applied to ``document``."""
    seed, other = superset.SEED, superset.resolve_refs(document)
    found: dict[tuple[str, str], list[str]] = {}

    def note(operation_id: str, status: str, problems: list[str]) -> None:
        if problems:
            found.setdefault((operation_id, status), []).extend(problems)

    for path, method, operation in superset.iter_operations(seed):
        name = str(operation.get("operationId"))
        note(name, "-", superset.check_operation(seed, other, path, method))
        note(name, "-", superset.check_added_parameters(seed, other, path, method))
        note(name, "-", superset.check_operation_security(seed, other, path, method))
        if "requestBody" in operation:
            note(name, "-", superset.check_request_body(seed, other, path, method))
        for media, media_object in (operation.get("requestBody") or {}).get("content", {}).items():
            for field in (media_object.get("schema") or {}).get("properties", {}):
                note(name, "-", superset.check_request_field(seed, other, path, method, media, field))
        for location, parameter in superset.effective_parameters(seed, path, method):
            note(name, "-", superset.check_parameter(seed, other, path, method, location, parameter))
        for status, response in operation.get("responses", {}).items():
            note(name, status, superset.check_response(seed, other, path, method, status))
            for media, media_object in response.get("content", {}).items():
                note(name, status, superset.check_response_media(seed, other, path, method, status, media))
                for prop in (media_object.get("schema") or {}).get("properties", {}):
                    problems = superset.check_response_property(seed, other, path, method, status, media, prop)
                    note(name, status, problems)
    for scheme in seed.get("components", {}).get("securitySchemes", {}):
        note("-", "-", superset.check_security_scheme(seed, other, scheme))
    for server in seed.get("servers", []):
        note("-", "-", superset.check_server(seed, other, server["url"]))
    return found


def test_live_document_departs_from_the_seed_only_as_changes_md_lists() -> None:
    problems = [line for lines in _superset_problems(profile_document(LIVE, bundled_text)).values() for line in lines]
    kinds = {name for name, (pattern, _) in LIVE_DEPARTURES.items() for line in problems if re.search(pattern, line)}
    unexplained = [line for line in problems if not any(re.search(p, line) for p, _ in LIVE_DEPARTURES.values())]
    assert unexplained == []
    assert kinds == set(LIVE_DEPARTURES)
    live_section = (ROOT / "spec" / "CHANGES.md").read_text("utf-8").split("## The live profile", 1)[1]
    for _, needle in LIVE_DEPARTURES.values():
        assert needle in live_section


def test_the_superset_check_sees_the_seed_profile_clean() -> None:
    """The same check finds nothing in the seed profile's document (it is not blind to the live one)."""
    assert _superset_problems(profile_document(SEED, bundled_text)) == {}


def test_live_departures_are_listed_in_changes_md() -> None:
    changes = (ROOT / "spec" / "CHANGES.md").read_text("utf-8")
    needles = (
        "## The live profile",
        "live.yml",
        "upscaleImageConservative",
        "/v1/user/balance",
        "/v1/user/account",
        "/v2alpha/generation/stable-image/upscale",
    )
    for needle in needles:
        assert needle in changes


# Choosing a profile --------------------------------------------------------------


def test_profile_comes_from_the_environment_and_is_checked() -> None:
    assert Config.from_env({"STABILITY_MOCK_PROFILE": "live"}).profile == LIVE
    assert Config.from_env({}).profile == SEED
    with pytest.raises(ConfigError, match=r"profile: must be one of: seed, live \(got 'prod'\)"):
        Config(profile="prod")


def test_cli_refuses_an_unknown_profile() -> None:
    result = CliRunner().invoke(main, ["serve", "--profile", "prod"])
    assert result.exit_code == 2
    assert "'prod' is not one of 'seed', 'live'" in result.output


# Conservative ---------------------------------------------------------------------


def test_live_conservative_answers_the_image_at_once(live: FlaskClient, upload: Upload) -> None:
    response = live.post(CONSERVATIVE_PATH, data=upload(png(64, 64), prompt="a cat", seed=7), headers=AUTH)
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["finish-reason"] == "SUCCESS"
    assert response.headers["seed"] == "7"
    assert decoded(response.data).size == (256, 256)


def test_live_conservative_json_envelope(live: FlaskClient, upload: Upload) -> None:
    raw = live.post(CONSERVATIVE_PATH, data=upload(png(64, 64), prompt="a cat", output_format="webp"), headers=AUTH)
    enveloped = live.post(
        CONSERVATIVE_PATH,
        data=upload(png(64, 64), prompt="a cat", output_format="webp"),
        headers={**AUTH, "Accept": "application/json"},
    )
    assert enveloped.headers["content-type"] == "application/json; type=image/webp"
    body = enveloped.get_json()
    assert base64.b64decode(body["image"]) == raw.data
    assert body["finish_reason"] == "SUCCESS"
    assert body["seed"] == int(raw.headers["seed"])


def test_live_conservative_renders_what_the_seed_job_renders(
    live: FlaskClient, seed: FlaskClient, upload: Upload
) -> None:
    """Same request, same bytes: the profile changes when the image comes, not which image."""
    fields = {"prompt": "a lighthouse", "negative_prompt": "fog", "creativity": "0.4", "output_format": "jpeg"}
    at_once = live.post(CONSERVATIVE_PATH, data=upload(png(80, 64), **fields), headers=AUTH)
    started = seed.post(CONSERVATIVE_PATH, data=upload(png(80, 64), **fields), headers=AUTH)
    generation_id = started.get_json()["id"]
    assert seed.get(f"/v2beta/results/{generation_id}", headers=AUTH).status_code == 202
    polled = seed.get(f"/v2beta/results/{generation_id}", headers=AUTH)
    assert polled.status_code == 200
    assert at_once.data == polled.data


def test_live_conservative_keeps_the_image_and_field_rules(live: FlaskClient, upload: Upload) -> None:
    too_wide = live.post(CONSERVATIVE_PATH, data=upload(png(192, 64), prompt="a cat"), headers=AUTH)
    assert too_wide.status_code == 400
    assert too_wide.get_json()["errors"] == ["image: aspect ratio must be between 1:2.5 and 2.5:1 (got 192:64)"]
    no_prompt = live.post(CONSERVATIVE_PATH, data=upload(png(64, 64)), headers=AUTH)
    assert no_prompt.status_code == 400
    assert no_prompt.get_json()["errors"] == ["prompt: required"]


def test_live_conservative_filtered_and_charged_at_once(clock: Clock, upload: Upload) -> None:
    client = make_client(clock, profile=LIVE, filter_words=("nsfw",), credits=100)
    filtered = client.post(CONSERVATIVE_PATH, data=upload(png(64, 64), prompt="nsfw cat"), headers=AUTH)
    assert filtered.status_code == 200
    assert filtered.headers["finish-reason"] == "CONTENT_FILTERED"
    assert client.get(BALANCE, headers=AUTH).get_json() == {"credits": 60.0}


def test_seed_conservative_is_still_a_job(seed: FlaskClient, upload: Upload) -> None:
    response = seed.post(CONSERVATIVE_PATH, data=upload(png(64, 64), prompt="a cat"), headers=AUTH)
    assert response.status_code == 200
    assert set(response.get_json()) == {"id"}


@pytest.mark.parametrize("poll_path", ["/v2beta/results/{id}", "/v2beta/stable-image/upscale/creative/result/{id}"])
def test_live_creative_stays_a_job_on_both_poll_paths(live: FlaskClient, upload: Upload, poll_path: str) -> None:
    started = live.post(CREATIVE_PATH, data=upload(png(64, 64), prompt="a cat"), headers=AUTH)
    generation_id = started.get_json()["id"]
    url = poll_path.format(id=generation_id)
    assert live.get(url, headers=AUTH).status_code == 202
    done = live.get(url, headers={**AUTH, "Accept": "application/json"})
    assert done.status_code == 200
    assert done.get_json()["result"] == done.get_json()["image"]


# Account endpoints ----------------------------------------------------------------


def test_balance_without_credits_never_runs_out(live: FlaskClient, upload: Upload) -> None:
    before = live.get(BALANCE, headers=AUTH)
    assert before.status_code == 200
    live.post(FAST_PATH, data=upload(png(32, 32)), headers=AUTH)
    assert live.get(BALANCE, headers=AUTH).get_json() == before.get_json() == {"credits": 1_000_000.0}


def test_balance_follows_the_keys_credits(clock: Clock, upload: Upload) -> None:
    client = make_client(clock, profile=LIVE, credits=50)
    assert client.get(BALANCE, headers=AUTH).get_json() == {"credits": 50.0}
    assert client.post(FAST_PATH, data=upload(png(32, 32)), headers=AUTH).status_code == 200
    assert client.get(BALANCE, headers=AUTH).get_json() == {"credits": 48.0}
    other = {"Authorization": "Bearer sk-other"}
    assert client.get(BALANCE, headers=other).get_json() == {"credits": 50.0}


def test_account_is_plausible_and_per_key(live: FlaskClient) -> None:
    mine = live.get(ACCOUNT, headers=AUTH).get_json()
    theirs = live.get(ACCOUNT, headers={"Authorization": "sk-someone-else"}).get_json()
    assert mine["id"].startswith("user-") and mine["id"] != theirs["id"]
    assert "@" in mine["email"]
    assert [org["is_default"] for org in mine["organizations"]] == [True]
    assert "sk-test-key" not in str(mine)


@pytest.mark.parametrize("path", [BALANCE, ACCOUNT])
def test_account_endpoints_need_a_key(live: FlaskClient, path: str) -> None:
    response = live.get(path)
    assert response.status_code == 401
    assert response.get_json()["name"] == "unauthorized"


@pytest.mark.parametrize("path", [BALANCE, ACCOUNT])
def test_seed_profile_has_no_account_endpoints(seed: FlaskClient, path: str) -> None:
    response = seed.get(path, headers=AUTH)
    assert response.status_code == 404
    assert response.get_json()["errors"] == [f"path: no endpoint at {path}"]


def test_account_calls_are_journaled(live: FlaskClient) -> None:
    live.get(BALANCE, headers=AUTH)
    records = live.get("/_mock/requests").get_json()["requests"]
    assert [(r["operation"], r["status"], r["valid"]) for r in records] == [("getUserBalance", 200, True)]


# The served document ----------------------------------------------------------------


@pytest.fixture(params=[SEED, LIVE])
def served(request: pytest.FixtureRequest, clock: Clock) -> Iterator[tuple[str, dict[str, Any]]]:
    client = make_client(clock, profile=request.param)
    yield request.param, yaml.safe_load(client.get("/openapi.yml").data)


def test_openapi_yml_serves_the_profiles_document(served: tuple[str, dict[str, Any]]) -> None:
    profile, document = served
    conservative = document["paths"]["/v2beta/stable-image/upscale/conservative"]["post"]["responses"]["200"]
    expected = "ImageUpscaleSuccess" if profile == LIVE else "GenerationStarted"
    assert conservative == {"$ref": f"#/components/responses/{expected}"}
    assert ("/v1/user/balance" in document["paths"]) is (profile == LIVE)
