"""The keys of the render cache (a :class:`ByteBoundedLRU`): everything that decides a render's bytes.

Rendering is deterministic: the same operation, upload, render order and render
settings give byte-identical output. So a repeated request (a retrying client, a
test suite run twice, two polls racing to finish one job) can be answered from
memory instead of spending ~60 ms (256² → 1024² PNG) to ~1 s (1024² → 4096²) again.

The cache lives in each process: gunicorn workers do not
share memory, and the store already shares finished job results between them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

from mockserver.imaging import RenderOrder, RenderSettings


def upload_digest(image: bytes) -> bytes:
    """sha256 of an upload: computed once per request, then part of every key about it."""
    return hashlib.sha256(image).digest()


def request_digest(operation_id: str, image_digest: bytes, order: RenderOrder, settings: RenderSettings) -> bytes:
    """sha256 of the operation, the upload's digest and every field of ``order`` and ``settings``.

    The fields are serialized as sorted JSON, so a field added to
    :class:`RenderOrder` or :class:`RenderSettings` later is part of the key
    without touching this function.
    """
    fields = json.dumps(
        {
            "operation": operation_id,
            "image_sha256": image_digest.hex(),
            "order": dataclasses.asdict(order),
            "settings": dataclasses.asdict(settings),
        },
        sort_keys=True,
    )
    return hashlib.sha256(fields.encode("utf-8")).digest()


__all__ = ["request_digest", "upload_digest"]
