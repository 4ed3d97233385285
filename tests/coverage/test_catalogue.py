"""The catalogue follows the document in force: a status the document lists is a behaviour, and nothing else is."""

from __future__ import annotations

import copy

import pytest

from mockserver.coverage import Catalogue, catalogue_for
from mockserver.models import TRANSPORT_FAULTS
from mockserver.openapi import Spec
from mockserver.openapi.files import bundled_document
from mockserver.settings.profiles import PROFILES, document_of_profile


@pytest.mark.parametrize("profile", PROFILES)
def test_each_error_status_the_document_lists_is_one_behaviour(profile: str) -> None:
    spec, catalogue = Spec.for_profile(profile), catalogue_for(profile)
    for operation, statuses in spec.statuses.items():
        listed = {int(b.id.rpartition("-")[2]) for b in catalogue.behaviours if b.id.startswith(f"{operation}:status-")}
        assert listed == {status for status in statuses if status >= 400}, operation


@pytest.mark.parametrize("profile", PROFILES)
def test_every_operation_has_each_transport_fault_and_its_retry_after_statuses(profile: str) -> None:
    catalogue = catalogue_for(profile)
    for shape in catalogue.shapes:
        ids = {b.id for b in catalogue.behaviours if b.operation == shape.operation}
        assert {f"{shape.operation}:transport-{name}" for name in TRANSPORT_FAULTS} <= ids
        assert (f"{shape.operation}:retry-after-429" in ids) == (429 in shape.statuses)
        assert (f"{shape.operation}:retry-after-503" in ids) == (503 in shape.statuses)


def test_the_seed_catalogue_has_the_async_states_and_answer_modes_the_issue_names() -> None:
    ids = set(catalogue_for("seed").ids)
    assert {
        "upscaleImageFast:image",
        "upscaleImageFast:json",
        "upscaleImageCreative:submit",
        "getUpscaleResult:pending",
        "getUpscaleResult:image",
        "getUpscaleResult:json",
        "getUpscaleResult:unknown-id",
        "getUpscaleResult:failed-job",
        "getUpscaleResult:never-ending",
        "getUpscaleResult:content-filtered",
    } <= ids
    # Fast takes no prompt and starts no job: nothing can blur or poll it.
    assert not {"upscaleImageFast:content-filtered", "upscaleImageFast:pending", "upscaleImageFast:submit"} & ids


def test_the_live_catalogue_has_the_account_endpoints_and_conservative_at_once() -> None:
    ids = set(catalogue_for("live").ids)
    assert {"getUserBalance:ok", "getUserAccount:ok", "getUserBalance:status-401"} <= ids
    assert {"upscaleImageConservative:image", "upscaleImageConservative:content-filtered"} <= ids
    assert "upscaleImageConservative:submit" not in ids
    assert "getUserBalance:transport-reset" in ids


def test_a_status_added_to_the_document_adds_a_behaviour_and_a_removed_one_takes_it_away() -> None:
    document = copy.deepcopy(document_of_profile("seed", bundled_document))
    fast = document["paths"]["/v2beta/stable-image/upscale/fast"]["post"]["responses"]
    fast["409"] = copy.deepcopy(fast["400"])
    del fast["429"]
    ids = set(Catalogue.of(Spec(document), "seed").ids)
    assert "upscaleImageFast:status-409" in ids
    assert not {"upscaleImageFast:status-429", "upscaleImageFast:retry-after-429"} & ids
    assert "upscaleImageFast:status-429" in catalogue_for("seed").ids


def test_a_poll_that_can_no_longer_answer_202_has_no_pending_state() -> None:
    document = copy.deepcopy(document_of_profile("seed", bundled_document))
    del document["paths"]["/v2beta/results/{id}"]["get"]["responses"]["202"]
    ids = set(Catalogue.of(Spec(document), "seed").ids)
    assert "getUpscaleResult:pending" not in ids and "getUpscaleResult:never-ending" not in ids
    assert "getUpscaleCreativeResult:pending" in ids


def test_behaviour_ids_are_unique_and_every_one_says_how_to_make_it_happen() -> None:
    for profile in PROFILES:
        catalogue = catalogue_for(profile)
        assert len(set(catalogue.ids)) == len(catalogue.ids)
        assert all(b.hint and b.title for b in catalogue.behaviours)
