"""A small, correct client of the upscale API: the contract suite's reference.

It does what the live API's documentation asks of a client: Bearer auth, the
image as a multipart file part, ``Accept: image/*`` for raw bytes, polling
``/v2beta/results/{id}`` until it stops answering 202, retries with back-off on
429 and 5xx (honouring ``Retry-After``), and every other error raised.

Example:
    >>> client = UpscaleClient("https://api.stability.ai", "sk-...")
    >>> upscaled = client.fast(open("cat.png", "rb").read(), output_format="webp")  # doctest: +SKIP
"""

from __future__ import annotations

import time
from typing import Any

import requests

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class UpscaleError(Exception):
    """The API answered an error (or never finished); ``status`` and ``body`` say which."""

    def __init__(self, status: int | None, body: Any, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class ContentFilteredError(UpscaleError):
    """The API finished but filtered the image (``finish-reason: CONTENT_FILTERED``)."""


class UpscaleClient:
    """Upscale images with Stability AI's v2beta API (or a mock of it)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        poll_interval: float = 10.0,
        max_polls: int = 360,
        retries: int = 3,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        timeout: float = 120.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.poll_interval = poll_interval
        self.max_polls = max_polls
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"

    def fast(self, image: bytes, **fields: Any) -> bytes:
        """Fast upscale: 4x each side, answered at once."""
        response = self._send("POST", "/v2beta/stable-image/upscale/fast", image=image, fields=fields)
        return self._image_of(response)

    def conservative(self, image: bytes, **fields: Any) -> bytes:
        """Conservative upscale: the image at once (as the live API answers), or a job polled until ready."""
        return self._generate("conservative", image, fields)

    def creative(self, image: bytes, **fields: Any) -> bytes:
        """Creative upscale: started, then polled until the image is ready."""
        return self._generate("creative", image, fields)

    def _generate(self, operation: str, image: bytes, fields: dict[str, Any]) -> bytes:
        started = self._send("POST", f"/v2beta/stable-image/upscale/{operation}", image=image, fields=fields)
        if started.headers.get("content-type", "").startswith("image/"):
            return self._image_of(started)
        generation_id = started.json()["id"]
        for _ in range(self.max_polls):
            response = self._send("GET", f"/v2beta/results/{generation_id}")
            if response.status_code != 202:
                return self._image_of(response)
            time.sleep(self.poll_interval)
        raise UpscaleError(202, None, f"generation {generation_id} did not finish after {self.max_polls} polls")

    def _send(
        self, method: str, path: str, *, image: bytes | None = None, fields: dict[str, Any] | None = None
    ) -> requests.Response:
        """One call, retried on 429 and 5xx with exponential back-off; other errors raised."""
        data = {name: str(value) for name, value in (fields or {}).items() if value is not None}
        for attempt in range(self.retries + 1):
            files = {"image": ("image", image, "application/octet-stream")} if image is not None else None
            response = self.session.request(
                method,
                self.base_url + path,
                files=files,
                data=data or None,
                headers={"Accept": "image/*"},
                timeout=self.timeout,
            )
            if response.status_code not in RETRIED_STATUSES or attempt == self.retries:
                break
            time.sleep(self._wait(response, attempt))
        if response.status_code >= 400:
            raise UpscaleError(response.status_code, _body(response), _describe(response))
        return response

    def _wait(self, response: requests.Response, attempt: int) -> float:
        """Exponential back-off, or ``Retry-After`` when the API says more; capped."""
        retry_after = response.headers.get("Retry-After", "")
        wait = max(self.backoff * 2**attempt, float(retry_after) if retry_after.isdigit() else 0.0)
        return float(min(wait, self.max_wait))

    def _image_of(self, response: requests.Response) -> bytes:
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("image/"):
            raise UpscaleError(response.status_code, _body(response), f"unexpected answer {response.status_code}")
        if response.headers.get("finish-reason") == "CONTENT_FILTERED":
            raise ContentFilteredError(200, None, "the image was filtered by content moderation")
        return response.content


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


def _describe(response: requests.Response) -> str:
    body = _body(response)
    if isinstance(body, dict):
        return f"{response.status_code} {body.get('name')}: {'; '.join(body.get('errors') or [])}"
    return f"{response.status_code}: {body}"


def contract_factory(base_url: str, api_key: str) -> UpscaleClient:
    """The reference client tuned for the contract suite: quick polls, one retry after a back-off
    of 0.1 s (the suite's bound on calls after an error) or ``Retry-After`` up to 2 s, 30 polls at most."""
    return UpscaleClient(base_url, api_key, poll_interval=0.01, max_polls=30, backoff=0.1, max_wait=2.0, retries=1)
