"""The render cache: same request, same bytes from memory; bounded; off at 0; keyed by every field."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockserver import Config
from mockserver.errors import BadRequest, ConfigError
from mockserver.imaging import RenderOrder, RenderSettings
from mockserver.imaging.cache_keys import request_digest, upload_digest
from mockserver.imaging.upscaler import AcceptedImage, Upscaler
from mockserver.services import services_of
from mockserver.settings.config import MIB
from mockserver.util.lru import ByteBoundedLRU
from tests.conftest import AUTH, FAST_PATH
from tests.images import png
from tests.imaging.test_imaging import OrderChange

FAST_OP = "upscaleImageFast"
ORDER = RenderOrder(operation_id=FAST_OP, output_format="png", seed=7)


def upscaler(cache_bytes: int = 64 * MIB) -> Upscaler:
    return Upscaler(Config(store="memory://", render_cache_bytes=cache_bytes))


def test_a_repeated_render_is_a_hit_with_identical_bytes() -> None:
    mock = upscaler()
    image = png(64, 64)
    first = mock.render(FAST_OP, image, ORDER)
    hits = mock.cache.hits
    again = mock.render(FAST_OP, image, ORDER)
    assert mock.cache.hits == hits + 1
    assert again.data == first.data
    assert again == first
    assert again == upscaler(0).render(FAST_OP, image, ORDER)  # what an uncached render gives


def test_the_fast_route_pair_accept_then_render_source_hits_the_cache() -> None:
    mock = upscaler()
    image = png(64, 48)
    first = mock.render_source(mock.accept(FAST_OP, image), ORDER)
    source = mock.accept(FAST_OP, image)
    assert isinstance(source, AcceptedImage)
    hits = mock.cache.hits
    assert mock.render_source(source, ORDER).data == first.data
    assert mock.cache.hits == hits + 1


def test_a_job_render_reuses_the_upload_decoded_when_it_was_accepted() -> None:
    mock = upscaler()
    image = png(64, 64)
    accepted = mock.accept("upscaleImageConservative", image)
    order = dataclasses.replace(ORDER, operation_id="upscaleImageConservative", prompt="x")
    assert mock.accept("upscaleImageConservative", image) is accepted
    assert (
        mock.render("upscaleImageConservative", image, order).data
        == upscaler(0).render("upscaleImageConservative", image, order).data
    )


def test_bad_uploads_are_refused_every_time_and_never_kept() -> None:
    mock = upscaler()
    for _ in range(2):
        with pytest.raises(BadRequest):
            mock.accept(FAST_OP, b"not an image")
    assert len(mock.cache) == 0


def test_sources_of_other_objects_render_uncached() -> None:
    mock = upscaler()
    accepted = mock.accept(FAST_OP, png(64, 64))
    assert isinstance(accepted, AcceptedImage)
    plain = dataclasses.replace(accepted, operation_id="", digest=b"")
    size = len(mock.cache)
    assert mock.render_source(plain, ORDER).data == mock.render_source(accepted, ORDER).data
    assert len(mock.cache) == size + 1  # only the accepted source's render was kept


def test_zero_bytes_turns_the_cache_off() -> None:
    mock = upscaler(0)
    image = png(64, 64)
    first = mock.render(FAST_OP, image, ORDER)
    assert mock.render(FAST_OP, image, ORDER).data == first.data
    assert mock.render_source(mock.accept(FAST_OP, image), ORDER).data == first.data
    assert len(mock.cache) == 0
    assert mock.cache.hits == 0


def test_the_bound_evicts_the_least_recently_used() -> None:
    cache: ByteBoundedLRU[str] = ByteBoundedLRU(100)
    cache.put("a", "A", 40)
    cache.put("b", "B", 40)
    assert cache.get("a") == "A"  # now "b" is the least recently used
    cache.put("c", "C", 40)
    assert "b" not in cache
    assert cache.get("a") == "A"
    assert cache.get("c") == "C"
    assert cache.size_bytes == 80


def test_the_bound_is_never_exceeded_and_oversized_values_are_not_kept() -> None:
    cache: ByteBoundedLRU[int] = ByteBoundedLRU(1000)
    for number in range(100):
        cache.put(number, number, 90)
        assert cache.size_bytes <= 1000
    assert len(cache) == 11
    cache.put("huge", 0, 1001)
    assert "huge" not in cache
    assert len(cache) == 11
    cache.put(99, 99, 10)  # replacing an entry counts its new size only
    assert cache.size_bytes == 10 * 90 + 10


def test_the_upscaler_cache_stays_within_its_bound() -> None:
    mock = upscaler(300_000)
    for number in range(6):
        mock.render(FAST_OP, png(64 + number, 64), ORDER)
        assert mock.cache.size_bytes <= 300_000


@pytest.mark.parametrize(
    "change",
    [
        {"output_format": "jpeg"},
        {"seed": 8},
        {"prompt": "p"},
        {"negative_prompt": "n"},
        {"creativity": 0.3},
        {"style_preset": "anime"},
        {"content_filtered": True},
        {"operation_id": "upscaleImageCreative"},
    ],
)
def test_every_order_field_is_part_of_the_key(change: OrderChange) -> None:
    digest = upload_digest(png(64, 64))
    settings = RenderSettings()
    changed = dataclasses.replace(ORDER, **change)
    assert request_digest(FAST_OP, digest, changed, settings) != request_digest(FAST_OP, digest, ORDER, settings)


def test_operation_upload_and_settings_are_part_of_the_key() -> None:
    image = png(64, 64)
    digest = upload_digest(image)
    settings = RenderSettings()
    key = request_digest(FAST_OP, digest, ORDER, settings)
    assert request_digest("upscaleImageConservative", digest, ORDER, settings) != key
    assert request_digest(FAST_OP, upload_digest(image + b"\0"), ORDER, settings) != key
    assert request_digest(FAST_OP, digest, ORDER, RenderSettings(target_pixels=1)) != key
    other_encoding = dataclasses.replace(settings, encode=dataclasses.replace(settings.encode, png_compress_level=6))
    assert request_digest(FAST_OP, digest, ORDER, other_encoding) != key


def test_different_fields_make_different_entries_through_the_upscaler() -> None:
    mock = upscaler()
    image = png(64, 64)
    outputs = {mock.render(FAST_OP, image, dataclasses.replace(ORDER, output_format=f)).data for f in ("png", "webp")}
    assert len(outputs) == 2
    renders = [key for key in mock.cache._entries if key[0] == "render"]  # type: ignore[index]
    assert len(renders) == 2


def test_threads_rendering_the_same_request_all_get_the_same_bytes() -> None:
    mock = upscaler()
    image = png(96, 96)
    expected = upscaler(0).render(FAST_OP, image, ORDER).data
    seen: list[bytes] = []

    def work() -> None:
        for _ in range(3):
            seen.append(mock.render_source(mock.accept(FAST_OP, image), ORDER).data)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [expected] * 12


def test_render_cache_bytes_is_a_config_field_and_env_variable() -> None:
    assert Config().render_cache_bytes == 64 * MIB
    assert Config.from_env({"STABILITY_MOCK_RENDER_CACHE_BYTES": "0"}).render_cache_bytes == 0
    with pytest.raises(ConfigError):
        Config(render_cache_bytes=-1)


def test_the_fast_endpoint_answers_a_repeat_from_the_cache(
    app: Flask, client: FlaskClient, upload: Callable[..., dict[str, Any]]
) -> None:
    data = png(64, 64)
    first = client.post(FAST_PATH, data=upload(data, output_format="webp"), headers=AUTH)
    cache = services_of(app).upscaler.cache
    hits = cache.hits
    again = client.post(FAST_PATH, data=upload(data, output_format="webp"), headers=AUTH)
    assert again.status_code == first.status_code == 200
    assert again.data == first.data
    assert again.headers["seed"] == first.headers["seed"]
    assert cache.hits >= hits + 2  # the decoded upload and the render


def test_a_job_completed_twice_renders_once(
    app: Flask, client: FlaskClient, upload: Callable[..., dict[str, Any]]
) -> None:
    data = png(64, 64)
    ids = [
        client.post(
            "/v2beta/stable-image/upscale/conservative", data=upload(data, prompt="x", seed=5), headers=AUTH
        ).get_json()["id"]
        for _ in range(2)
    ]
    results = []
    for job_id in ids:
        for _ in range(3):
            response = client.get(f"/v2beta/results/{job_id}", headers=AUTH)
        results.append(response.data)
    assert results[0] == results[1]
    assert services_of(app).upscaler.cache.hits >= 1
