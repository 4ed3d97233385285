"""Thumbnails of each journaled call's input and delivered image, made after the answer.

The dashboard shows them when a journal row is opened. They are made off the
response path: once the call is journaled, its upload (decoded already, if the
upscaler still has it) and the bytes it delivered are handed to one background
thread per process, which keeps a small WebP of each in the shared store (so
every worker and replica serves them). When that thread is busy, or has used
its tenth of a core, the call gets no thumbnail: a missing preview is fine, a
slower call is not. Nothing here can fail a call or delay its journal record,
which is written before.

Thumbnails are kept by the image's sha256, which the record already names
(``image.sha256``, ``delivered.sha256``): a result polled again or an upload sent
again costs one store read and no write. A write per call measurably slowed the
calls themselves on SQLite, whose single write lock they share (see
``bench/notes/THUMBNAILS.md``).

Bound: the store keeps the newest ``KEPT`` thumbnails (fewer when the journal
is smaller: two per record at most), each at most
:data:`mockserver.imaging.thumbnail.MAX_BYTES`, so at most 8 MiB whatever the
traffic. They are not counted in ``--max-store-bytes``, which bounds job
uploads and results; ``POST /_mock/reset`` and ``DELETE /_mock/requests``
forget them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockserver.errors import BadRequest, StoreError
from mockserver.imaging import RULES_BY_OPERATION, decode
from mockserver.imaging.thumbnail import MAX_BYTES, thumbnail_of, thumbnail_of_encoded
from mockserver.util.lru import ByteBoundedLRU
from mockserver.util.pool import BoundedPool

if TYPE_CHECKING:
    from mockserver.imaging.upscaler import Upscaler
    from mockserver.pipeline.exchange import Exchange
    from mockserver.store import Store

log = logging.getLogger("stability_mock")

#: Thumbnails kept in the store, all workers together (512 x 16 KiB at most: 8 MiB).
KEPT = 512
#: Calls waiting for the thumbnail thread, beyond which new ones get none.
QUEUE = 4
#: The thread's CPU, as a share of one core on average: under heavy traffic (a fuzz run,
#: a contract suite) most calls get no thumbnail rather than lose a core to previews
#: nobody opens; after a quiet spell it has ``CPU_BURST_SECONDS`` in hand (a few hundred).
CPU_SHARE = 0.1
CPU_BURST_SECONDS = 1.0
#: Thumbnails remembered per process by image sha256: an image seen again is not decoded again.
MEMO_BYTES = 1024 * 1024
#: For this long after the store was seen to hold an image's thumbnail, calls showing that
#: image again are not handed to the thread at all (a reset by another worker meanwhile
#: leaves them without one: a missing thumbnail, never a wrong one).
CONFIRMED_SECONDS = 2.0
#: Images whose thumbnails this process remembers seeing in the store.
CONFIRMED_KEPT = 256


@dataclass(frozen=True)
class Originals:
    """What one call's thumbnails are made from: bytes it already held in memory, named as its record names them."""

    request_id: str
    operation_id: str | None
    #: (sha256, bytes) of the upload, and of the image delivered.
    upload: tuple[str, bytes] | None
    delivered: tuple[str, bytes] | None

    @classmethod
    def of(cls, exchange: Exchange, record: dict[str, Any]) -> Originals | None:
        """The images of a journaled call, or ``None`` when it had none (polls that answered 202, most errors)."""
        form = exchange.form
        data = form.files.get("image") if form is not None else None
        image, delivered = record.get("image"), record.get("delivered")
        upload = (image["sha256"], data) if image and data else None
        result = (delivered["sha256"], exchange.delivered_bytes) if delivered and exchange.delivered_bytes else None
        if upload is None and result is None:
            return None
        return cls(exchange.request_id, exchange.operation_id, upload, result)

    @property
    def shas(self) -> list[str]:
        return [pair[0] for pair in (self.upload, self.delivered) if pair is not None]


class Confirmations:
    """Recent sightings of thumbnails in the store, each trusted for ``seconds``; at most ``kept`` of them."""

    def __init__(self, seconds: float, kept: int) -> None:
        self.seconds = seconds
        self.kept = kept
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, float] = OrderedDict()

    def add(self, sha256: str) -> None:
        with self._lock:
            self._seen.pop(sha256, None)
            self._seen[sha256] = time.monotonic()
            while len(self._seen) > self.kept:
                self._seen.popitem(last=False)

    def all(self, shas: list[str]) -> bool:
        """Whether every one of ``shas`` was seen in the store within the last ``seconds``."""
        since = time.monotonic() - self.seconds
        with self._lock:
            return all(self._seen.get(sha256, since) > since for sha256 in shas)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


class Thumbnailer:
    """One process's thumbnail thread and the thumbnails it made lately."""

    def __init__(self, upscaler: Upscaler, *, threads: int = 1) -> None:
        self.upscaler = upscaler
        self.pool = BoundedPool(
            threads, QUEUE, "stability-mock-thumbnail", share=CPU_SHARE, burst_seconds=CPU_BURST_SECONDS
        )
        self.memo: ByteBoundedLRU[bytes] = ByteBoundedLRU(MEMO_BYTES)
        self.confirmed = Confirmations(CONFIRMED_SECONDS, CONFIRMED_KEPT)

    def submit(self, store: Store, exchange: Exchange, record: dict[str, Any], journal_size: int) -> bool:
        """Hand a journaled call's images to the background; ``False`` when it has none or the thread is busy."""
        try:
            originals = Originals.of(exchange, record)
            if originals is None or self.confirmed.all(originals.shas):
                return False
            return self.pool.submit(self._make_and_keep, store, originals, min(KEPT, 2 * journal_size)) is not None
        except Exception:  # A preview is never worth failing the call it would show (or a shutdown).
            log.warning("could not hand request %s to the thumbnail thread", exchange.request_id, exc_info=True)
            return False

    def _make_and_keep(self, store: Store, originals: Originals, keep: int) -> None:
        try:
            if originals.upload is not None:
                sha256, upload = originals.upload
                self._keep(store, sha256, lambda: self._of_upload(originals.operation_id, upload, sha256), keep)
            if originals.delivered is not None:
                sha256, delivered = originals.delivered
                self._keep(store, sha256, lambda: thumbnail_of_encoded(delivered), keep)
        except StoreError as exc:
            log.warning("could not keep the thumbnails of request %s: %s", originals.request_id, exc)
        except Exception:
            log.warning("could not make the thumbnails of request %s", originals.request_id, exc_info=True)

    def _keep(self, store: Store, sha256: str, make: Callable[[], bytes | None], keep: int) -> None:
        """Make (or recall) and save the thumbnail of one image, unless the store has it already."""
        if store.thumbnail(sha256) is None:
            made = self.memo.peek(sha256)
            if made is None:
                made = make()
                if made is None:
                    return
                self.memo.put(sha256, made, len(made))
            store.save_thumbnail(sha256, made, keep)
        self.confirmed.add(sha256)

    def close(self) -> None:
        """Stop the thumbnail thread (see :meth:`BoundedPool.close`); calls waiting for it get no thumbnail."""
        self.pool.close()

    def forget(self) -> None:
        """What this process believes the store holds: after a reset or a cleared journal here, nothing."""
        self.confirmed.clear()

    def _of_upload(self, operation_id: str | None, upload: bytes, sha256: str) -> bytes | None:
        """From the upscaler's decoded upload when it has it; else decoded here under the operation's
        rules (a refused call's upload too, if it is a picture those rules accept), else none."""
        if operation_id not in RULES_BY_OPERATION:
            return None
        source = self.upscaler.cached_source(operation_id, upload, bytes.fromhex(sha256))
        if source is None:
            try:
                source = decode(upload, RULES_BY_OPERATION[operation_id])
            except BadRequest:
                return None
        return thumbnail_of(source.image)


__all__ = ["KEPT", "MAX_BYTES", "Originals", "Thumbnailer"]
