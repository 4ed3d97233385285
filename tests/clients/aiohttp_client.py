"""A client written for the live API with aiohttp: the base URL is hard-coded, ``trust_env=True``.

Run as a program (``python aiohttp_client.py IMAGE``) because aiohttp builds its
default TLS context when it is imported, reading ``SSL_CERT_FILE`` then: the
variables must be set before the process starts, as the README's recipe does.
Prints what each operation got, as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import aiohttp

BASE = "https://api.stability.ai"
HEADERS = {"Authorization": "Bearer sk-aiohttp-client"}
OPERATIONS = {
    "fast": {"output_format": "png"},
    "conservative": {"prompt": "a sunny landscape"},
    "creative": {"prompt": "a sunny landscape", "output_format": "jpeg"},
}


async def upscale(session: aiohttp.ClientSession, image: bytes, operation: str) -> dict[str, Any]:
    form = aiohttp.FormData(OPERATIONS[operation])
    form.add_field("image", image, filename="sample.png", content_type="image/png")
    async with session.post(f"{BASE}/v2beta/stable-image/upscale/{operation}", headers=HEADERS, data=form) as answer:
        status, content_type, body = answer.status, answer.headers["content-type"], await answer.read()
    polls = 0
    if status == 200 and content_type.startswith("application/json"):
        generation_id = json.loads(body)["id"]
        status = 202
        while status == 202 and polls < 10:
            polls += 1
            async with session.get(f"{BASE}/v2beta/results/{generation_id}", headers=HEADERS) as answer:
                status, content_type, body = answer.status, answer.headers["content-type"], await answer.read()
    return {"status": status, "type": content_type, "bytes": len(body), "polls": polls}


async def main(image_path: str) -> None:
    image = Path(image_path).read_bytes()
    async with aiohttp.ClientSession(trust_env=True, timeout=aiohttp.ClientTimeout(total=60)) as session:
        results = {operation: await upscale(session, image, operation) for operation in OPERATIONS}
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
