"""Thumbnails of each journaled call's input and delivered image, made after the answer.

The dashboard shows them when a journal row is opened. They are made off the
response path: once the call is journaled, its upload (decoded already, if the
upscaler still has it) and the bytes it delivered are handed to one background
thread per process, which keeps a small WebP of each in the shared store (so
every worker and replica serves them). When that thread is busy the call gets
no thumbnail: a missing preview is fine, a slower call is not. Nothing here can
fail a call or delay its journal record, which is written before.

Bound: the store keeps the newest ``KEPT`` thumbnails (fewer when the journal
is smaller: two per record at most), each at most
:data:`mockserver.imaging.thumbnail.MAX_BYTES`, so at most 8 MiB whatever the
traffic. They are not counted in ``--max-store-bytes``, which bounds job
uploads and results; ``POST /_mock/reset`` and ``DELETE /_mock/requests``
forget them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockserver.background import BoundedPool
from mockserver.errors import BadRequest, StoreError
from mockserver.imaging import RULES_BY_OPERATION, decode
from mockserver.imaging.thumbnail import MAX_BYTES, thumbnail_of, thumbnail_of_encoded
from mockserver.lru import ByteBoundedLRU

if TYPE_CHECKING:
    from mockserver.exchange import Exchange
    from mockserver.generation import Upscaler
    from mockserver.store import Store

log = logging.getLogger("stability_mock")

INPUT = "input"
OUTPUT = "output"
KINDS = (INPUT, OUTPUT)
#: Thumbnails kept in the store, all workers together (512 x 16 KiB at most: 8 MiB).
KEPT = 512
#: Calls waiting for the thumbnail thread, beyond which new ones get none.
QUEUE = 4
#: Thumbnails remembered per process by image sha256: a repeated image is not decoded again.
MEMO_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Originals:
    """What one call's thumbnails are made from: bytes it already held in memory, and their digests."""

    request_id: str
    operation_id: str | None
    upload: bytes | None
    upload_sha256: str | None
    delivered: bytes | None
    delivered_sha256: str | None

    @classmethod
    def of(cls, exchange: Exchange, record: dict[str, Any]) -> Originals | None:
        """The images of a journaled call, or ``None`` when it had none (polls that answered 202, most errors)."""
        form = exchange.form
        upload = form.files.get("image") if form is not None else None
        image, delivered = record.get("image"), record.get("delivered")
        if not (upload and image) and not (exchange.delivered_bytes and delivered):
            return None
        return cls(
            request_id=exchange.request_id,
            operation_id=exchange.operation_id,
            upload=upload if image else None,
            upload_sha256=image["sha256"] if upload and image else None,
            delivered=exchange.delivered_bytes if delivered else None,
            delivered_sha256=delivered["sha256"] if exchange.delivered_bytes and delivered else None,
        )


class Thumbnailer:
    """One process's thumbnail thread and the thumbnails it made lately."""

    def __init__(self, upscaler: Upscaler, *, threads: int = 1) -> None:
        self.upscaler = upscaler
        self.pool = BoundedPool(threads, QUEUE, "stability-mock-thumbnail")
        self.memo: ByteBoundedLRU[bytes] = ByteBoundedLRU(MEMO_BYTES)

    def submit(self, store: Store, exchange: Exchange, record: dict[str, Any], journal_size: int) -> bool:
        """Hand a journaled call's images to the background; ``False`` when it has none or the thread is busy."""
        try:
            originals = Originals.of(exchange, record)
            if originals is None:
                return False
            return self.pool.submit(self._make_and_keep, store, originals, min(KEPT, 2 * journal_size))
        except Exception:  # A preview is never worth failing the call it would show (or a shutdown).
            log.warning("could not hand request %s to the thumbnail thread", exchange.request_id, exc_info=True)
            return False

    def _make_and_keep(self, store: Store, originals: Originals, keep: int) -> None:
        try:
            if originals.upload is not None and originals.upload_sha256 is not None:
                made = self._made(originals.upload_sha256, lambda: self._of_upload(originals))
                if made is not None:
                    store.save_thumbnail(originals.request_id, INPUT, made, keep)
            if originals.delivered is not None and originals.delivered_sha256 is not None:
                delivered = originals.delivered
                made = self._made(originals.delivered_sha256, lambda: thumbnail_of_encoded(delivered))
                if made is not None:
                    store.save_thumbnail(originals.request_id, OUTPUT, made, keep)
        except StoreError as exc:
            log.warning("could not keep the thumbnails of request %s: %s", originals.request_id, exc)
        except Exception:
            log.warning("could not make the thumbnails of request %s", originals.request_id, exc_info=True)

    def _made(self, sha256: str, make: Callable[[], bytes | None]) -> bytes | None:
        found = self.memo.peek(sha256)
        if found is None:
            found = make()
            if found is not None:
                self.memo.put(sha256, found, len(found))
        return found

    def _of_upload(self, originals: Originals) -> bytes | None:
        """From the upscaler's decoded upload when it has it; else decoded here under the operation's
        rules (a refused call's upload too, if it is a picture those rules accept), else none."""
        upload, operation_id = originals.upload, originals.operation_id
        if upload is None or operation_id not in RULES_BY_OPERATION:
            return None
        source = self.upscaler.cached_source(operation_id, upload)
        if source is None:
            try:
                source = decode(upload, RULES_BY_OPERATION[operation_id])
            except BadRequest:
                return None
        return thumbnail_of(source.image)


__all__ = ["INPUT", "KEPT", "KINDS", "MAX_BYTES", "OUTPUT", "Originals", "Thumbnailer"]
