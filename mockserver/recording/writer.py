"""Writing a cassette: each file whole or not at all, blobs before the exchange that names them.

A file is written to a temporary name in its own folder, flushed to disk and
renamed over its final name (``os.replace`` is atomic on POSIX and Windows), so
a reader, or a replay started after a crash, never sees half an exchange, and
an exchange file never names a blob that is not there yet.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mockserver.errors import CassetteError
from mockserver.recording.cassette import BLOBS, EXCHANGES, FORMAT, FORMAT_VERSION, MANIFEST, manifest_problems
from mockserver.util.atomic_file import write_atomically

_SEQUENCE = re.compile(r"(\d+)-")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class CassetteWriter:
    """Appends exchanges to a cassette folder (created with its manifest when new)."""

    def __init__(self, folder: Path, *, upstream: str, profile: str, recorder: str) -> None:
        """Open ``folder`` for recording; a cassette already there is appended to, a newer or foreign one refused.

        ``upstream`` (shown without credentials), ``profile`` and ``recorder`` go in a new manifest.
        """
        self.folder = Path(folder)
        self._lock = threading.Lock()
        try:
            (self.folder / EXCHANGES).mkdir(parents=True, exist_ok=True)
            (self.folder / BLOBS).mkdir(exist_ok=True)
        except OSError as exc:
            raise CassetteError(f"cassette {self.folder}: cannot be created: {exc.strerror or exc}") from exc
        manifest_path = self.folder / MANIFEST
        if manifest_path.exists():
            self._check_manifest(manifest_path)
        else:
            manifest = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "created": _now(),
                "upstream": upstream,
                "profile": profile,
                "recorder": recorder,
            }
            self._write(manifest_path, _json_bytes(manifest))
        numbered = (_SEQUENCE.match(path.name) for path in (self.folder / EXCHANGES).glob("*.json"))
        self._sequence = max((int(found.group(1)) for found in numbered if found), default=0)

    def _check_manifest(self, path: Path) -> None:
        try:
            manifest = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise CassetteError(f"cassette {self.folder}: its manifest cannot be read ({exc})") from exc
        problems = manifest_problems(manifest)
        if problems:
            raise CassetteError(f"cassette {self.folder}: {problems[0]}")

    def write(self, document: Mapping[str, Any], blobs: Mapping[str, bytes]) -> str:
        """Write one exchange and the blobs it names; the exchange file's name (numbered in recorded order).

        ``document`` gets its ``sequence`` and ``recorded_at`` here.
        """
        for name, data in blobs.items():
            path = self.folder / BLOBS / name
            if not path.exists():
                self._write(path, data)
        with self._lock:
            self._sequence += 1
            sequence = self._sequence
        request, response = document["request"], document["response"]
        operation = _UNSAFE.sub("_", request.get("operation") or request["method"].lower())
        name = f"{sequence:05d}-{operation}-{response['status']}.json"
        written = {"sequence": sequence, "recorded_at": _now(), **document}
        self._write(self.folder / EXCHANGES / name, _json_bytes(written))
        return name

    def _write(self, path: Path, data: bytes) -> None:
        try:
            write_atomically(path, data, durable=True)
        except OSError as exc:
            raise CassetteError(f"cassette {self.folder}: cannot write {path.name}: {exc.strerror or exc}") from exc


def _json_bytes(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


__all__ = ["CassetteWriter"]
