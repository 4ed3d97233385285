"""Deliberately broken clients, one fault each: the contract suite must catch every one."""

from __future__ import annotations

import time
from typing import Any

import requests

from contract_tests.reference_client import UpscaleClient


class _Quick(UpscaleClient):
    def __init__(self, base_url: str, api_key: str) -> None:
        super().__init__(base_url, api_key, poll_interval=0.01, backoff=0.1, max_wait=2.0, retries=2)


class FirstAcceptedIsResult(_Quick):
    """Treats the first 202 (in progress) as the result."""

    def _generate(self, operation: str, image: bytes, fields: dict[str, Any]) -> bytes:
        started = self._send("POST", f"/v2beta/stable-image/upscale/{operation}", image=image, fields=fields)
        return self._send("GET", f"/v2beta/results/{started.json()['id']}").content


class SeedAsFloat(_Quick):
    """Sends ``seed`` as 1.5."""

    def conservative(self, image: bytes, **fields: Any) -> bytes:
        return super().conservative(image, **{**fields, "seed": 1.5})

    def creative(self, image: bytes, **fields: Any) -> bytes:
        return super().creative(image, **{**fields, "seed": 1.5})


class NoAuth(_Quick):
    """Never sends the API key."""

    def __init__(self, base_url: str, api_key: str) -> None:
        super().__init__(base_url, api_key)
        del self.session.headers["Authorization"]


class ErrorBodyAsImage(_Quick):
    """Hands back whatever the API answered, error JSON included, as the image."""

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        files = {"image": ("image", kwargs["image"])} if kwargs.get("image") is not None else None
        data = {k: str(v) for k, v in (kwargs.get("fields") or {}).items()}
        return self.session.request(method, self.base_url + path, files=files, data=data or None, timeout=30)

    def _image_of(self, response: requests.Response) -> bytes:
        return response.content


class InventedPollPath(_Quick):
    """Polls a results path the API does not have."""

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if path.startswith("/v2beta/results/"):
            path = path.replace("/v2beta/results/", "/v2beta/stable-image/upscale/results/")
        return super()._send(method, path, **kwargs)


class Swallows429(_Quick):
    """Turns a 429 into an empty success."""

    def fast(self, image: bytes, **fields: Any) -> bytes:
        response = self.session.post(
            self.base_url + "/v2beta/stable-image/upscale/fast",
            files={"image": ("image", image)},
            data={k: str(v) for k, v in fields.items()} or None,
            headers={"Accept": "image/*"},
            timeout=30,
        )
        if response.status_code == 429:
            return b""
        return self._image_of(response) if response.status_code == 200 else b""


class WrongFieldName(_Quick):
    """Sends ``format`` where the API expects ``output_format``."""

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        fields = dict(kwargs.pop("fields", None) or {})
        if "output_format" in fields:
            fields["format"] = fields.pop("output_format")
        return super()._send(method, path, fields=fields, **kwargs)


class IgnoresOutputFormat(_Quick):
    """Drops ``output_format``, so every result comes back as PNG."""

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        fields = dict(kwargs.pop("fields", None) or {})
        fields.pop("output_format", None)
        return super()._send(method, path, fields=fields, **kwargs)


class RoundsFields(_Quick):
    """Rounds ``creativity`` to one decimal and cuts ``negative_prompt`` to 40 characters:
    every value stays valid, so only the values' fidelity can catch it."""

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        fields = dict(kwargs.pop("fields", None) or {})
        if "creativity" in fields:
            fields["creativity"] = round(float(fields["creativity"]), 1)
        if "negative_prompt" in fields:
            fields["negative_prompt"] = str(fields["negative_prompt"])[:40]
        return super()._send(method, path, fields=fields, **kwargs)


class GivesUpAfterFourPolls(_Quick):
    """Stops polling after 4 answers of 202, though it declares the default limit (360)."""

    def _generate(self, operation: str, image: bytes, fields: dict[str, Any]) -> bytes:
        started = self._send("POST", f"/v2beta/stable-image/upscale/{operation}", image=image, fields=fields)
        for _ in range(4):
            response = self._send("GET", f"/v2beta/results/{started.json()['id']}")
            if response.status_code != 202:
                return self._image_of(response)
            time.sleep(self.poll_interval)
        raise RuntimeError("gave up after 4 polls")


class Retries429AtOnce(_Quick):
    """Claims retries and backs off after a 5xx, but retries a 429 at once, ignoring ``Retry-After``."""

    contract_claims = frozenset({"retries"})

    def _wait(self, response: requests.Response, attempt: int) -> float:
        return 0.0 if response.status_code == 429 else self.backoff * 2**attempt


#: Broken client → the property the suite must name.
BROKEN: dict[str, tuple[type[UpscaleClient], str]] = {
    "first_202_is_result": (FirstAcceptedIsResult, "polls_until_done"),
    "seed_as_float": (SeedAsFloat, "requests_valid"),
    "no_auth": (NoAuth, "sends_auth"),
    "error_body_as_image": (ErrorBodyAsImage, "errors_surface"),
    "invented_poll_path": (InventedPollPath, "polls_real_path"),
    "swallows_429": (Swallows429, "errors_surface"),
    "wrong_field_name": (WrongFieldName, "fields_known"),
    "ignores_output_format": (IgnoresOutputFormat, "returns_exact_image"),
    "rounds_fields": (RoundsFields, "fields_as_sent"),
    "gives_up_after_4_polls": (GivesUpAfterFourPolls, "polls_until_done"),
    "retries_429_at_once": (Retries429AtOnce, "retries_transient"),
}
