"""An async client on ``httpx.AsyncClient``, plugged into the contract suite unchanged:
its methods are coroutines, it polls with ``asyncio.sleep`` and closes with ``aclose()``."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

RETRIED = frozenset({429, 500, 502, 503, 504})
#: The event loops the client's coroutines ran on (the suite promises one per run).
LOOPS: set[int] = set()


class AsyncUpscaleClient:
    contract_claims = frozenset({"retries", "content_filtered"})
    max_polls = 30

    def __init__(self, base_url: str, api_key: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {api_key}", "Accept": "image/*"}, timeout=30
        )

    async def fast(self, image: bytes, **fields: Any) -> bytes:
        return self._image_of(await self._send("POST", "/v2beta/stable-image/upscale/fast", image, fields))

    async def conservative(self, image: bytes, **fields: Any) -> bytes:
        return await self._generate("conservative", image, fields)

    async def creative(self, image: bytes, **fields: Any) -> bytes:
        return await self._generate("creative", image, fields)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _generate(self, operation: str, image: bytes, fields: dict[str, Any]) -> bytes:
        started = await self._send("POST", f"/v2beta/stable-image/upscale/{operation}", image, fields)
        if started.headers.get("content-type", "").startswith("image/"):
            return self._image_of(started)
        generation_id = started.json()["id"]
        for _ in range(self.max_polls):
            polled = await self._send("GET", f"/v2beta/results/{generation_id}")
            if polled.status_code != 202:
                return self._image_of(polled)
            await asyncio.sleep(0.01)
        raise RuntimeError(f"{generation_id} not done after {self.max_polls} polls")

    async def _send(
        self, method: str, path: str, image: bytes | None = None, fields: dict[str, Any] | None = None
    ) -> httpx.Response:
        LOOPS.add(id(asyncio.get_running_loop()))
        data = {name: str(value) for name, value in (fields or {}).items()}
        for attempt in range(3):
            files = {"image": ("image", image, "application/octet-stream")} if image is not None else None
            response = await self.http.request(method, path, files=files, data=data or None)
            if response.status_code not in RETRIED or attempt == 2:
                break
            retry_after = response.headers.get("retry-after", "")
            await asyncio.sleep(max(0.1 * 2**attempt, float(retry_after) if retry_after.isdigit() else 0.0))
        response.raise_for_status()
        return response

    def _image_of(self, response: httpx.Response) -> bytes:
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("image/"):
            raise RuntimeError(f"unexpected answer {response.status_code}")
        if response.headers.get("finish-reason") == "CONTENT_FILTERED":
            raise RuntimeError("content filtered")
        return response.content
