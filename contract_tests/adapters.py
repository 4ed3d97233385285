"""How the contract suite drives a client: a Python factory, or a command in any language.

Both adapters turn one request into a :class:`ClientOutcome`: did the client
report success, and what image (if any) did it hand back or write.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import os
import shlex
import subprocess
import tempfile
import traceback
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from contract_tests.strategies import OPERATIONS, UpscaleRequest

#: The exit status of a command asked for an operation its client does not have (sysexits'
#: EX_USAGE): the suite then leaves that operation out, as it does for a Python client's missing method.
UNSUPPORTED_EXIT = 64
#: Optional properties a client may claim (Python: a ``contract_claims`` attribute).
CLAIMS = ("retries", "retries:submit", "retries:poll", "content_filtered")


@dataclass(frozen=True)
class ClientOutcome:
    """What the client did with one request."""

    ok: bool
    output: bytes | None
    error: str | None = None
    #: The client said it has no such operation (a command's exit status :data:`UNSUPPORTED_EXIT`).
    unsupported: bool = False

    @property
    def wrote_output(self) -> bool:
        return bool(self.output)


class Adapter(Protocol):
    """A way to run a client once per request."""

    name: str
    claims: frozenset[str]
    #: Polls after which the client gives up, if it declares a limit.
    max_polls: int | None

    def operations(self) -> frozenset[str]: ...

    def run(self, request: UpscaleRequest, base_url: str, api_key: str) -> ClientOutcome: ...


class PythonAdapter:
    """``module:factory`` where ``factory(base_url, api_key)`` returns an object with any of
    ``fast``, ``conservative``, ``creative`` (``(image: bytes, **fields) -> bytes``).

    The methods may be coroutines (an ``httpx.AsyncClient`` or ``aiohttp`` client): they
    run on one event loop per suite run, as does ``aclose()`` or an async ``close()``.
    The object may declare ``contract_claims`` (optional properties it keeps) and
    ``max_polls`` (the polls after which it gives up on a job)."""

    def __init__(self, target: str, *, claims: Collection[str] = ()) -> None:
        module_name, _, attribute = target.partition(":")
        if not module_name or not attribute:
            raise ValueError(f"--client must look like module:factory, not {target!r}")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ValueError(f"cannot import {module_name!r}: {exc}") from exc
        factory = getattr(module, attribute, None)
        if not callable(factory):
            raise ValueError(f"{target!r} is not a callable factory")
        self.name = target
        self.factory: Callable[[str, str], Any] = factory
        #: The one event loop of a run, made for the first coroutine an async client returns.
        self._runner: asyncio.Runner | None = None
        probe = factory("http://127.0.0.1:9", "sk-probe")
        self._operations = frozenset(op for op in OPERATIONS if callable(getattr(probe, op, None)))
        self.claims = frozenset(claims) | frozenset(getattr(probe, "contract_claims", ()))
        declared = getattr(probe, "max_polls", None)
        self.max_polls = declared if isinstance(declared, int) and not isinstance(declared, bool) else None

    def operations(self) -> frozenset[str]:
        return self._operations

    def _settled(self, value: Any) -> Any:
        """``value``, or what it resolves to when an async client returned an awaitable."""
        if not inspect.isawaitable(value):
            return value
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner.run(_awaited(value))

    def _close(self, client: Any) -> None:
        """Close the client the way it offers: ``aclose()`` (httpx, aiohttp) or ``close()``, awaited if async."""
        for name in ("aclose", "close"):
            close = getattr(client, name, None)
            if callable(close):
                self._settled(close())
                return

    def close(self) -> None:
        """End the run's event loop, if an async client needed one."""
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def run(self, request: UpscaleRequest, base_url: str, api_key: str) -> ClientOutcome:
        client = self.factory(base_url, api_key)
        try:
            output = self._settled(getattr(client, request.operation)(bytes(request.image), **request.fields))
        except Exception as exc:  # Any exception is the client reporting a failure.
            return ClientOutcome(False, None, "".join(traceback.format_exception_only(exc)).strip())
        finally:
            self._close(client)
        if not isinstance(output, bytes | bytearray):
            return ClientOutcome(True, None, f"returned {type(output).__name__}, not bytes")
        return ClientOutcome(True, bytes(output))


class CommandAdapter:
    """A command template run once per request, e.g.
    ``node client.js {operation} {image} {output} {fields}``.

    ``{image}`` is an input file, ``{output}`` where the client must write the
    result, ``{fields}`` a JSON file of form fields; ``STABILITY_API_BASE`` and
    ``STABILITY_API_KEY`` are in its environment (with the proxy and CA variables of a
    ``--tls`` or ``--proxy`` run, which the suite sets in its own). Exit 0 means success;
    exit 64 (:data:`UNSUPPORTED_EXIT`) means the client has no such operation.
    """

    PLACEHOLDERS = ("operation", "image", "output", "fields")

    def __init__(
        self,
        template: str,
        *,
        operations: Collection[str] = OPERATIONS,
        claims: Collection[str] = (),
        timeout: float = 120.0,
        max_polls: int | None = None,
    ) -> None:
        self.template = shlex.split(template)
        if not self.template:
            raise ValueError("--client-cmd is empty")
        missing = [name for name in ("image", "output") if not any(f"{{{name}}}" in part for part in self.template)]
        if missing:
            raise ValueError(f"--client-cmd must contain {', '.join('{' + name + '}' for name in missing)}")
        self.name = template
        self._operations = frozenset(operations)
        self.claims = frozenset(claims)
        self.timeout = timeout
        self.max_polls = max_polls

    def operations(self) -> frozenset[str]:
        return self._operations

    def run(self, request: UpscaleRequest, base_url: str, api_key: str) -> ClientOutcome:
        with tempfile.TemporaryDirectory(prefix="stability-contract-") as folder:
            root = Path(folder)
            image, output, fields = root / "input.img", root / "output.img", root / "fields.json"
            image.write_bytes(request.image)
            fields.write_text(json.dumps(request.fields))
            values = {"operation": request.operation, "image": str(image), "output": str(output), "fields": str(fields)}
            command = [part.format(**values) for part in self.template]
            env = {**os.environ, "STABILITY_API_BASE": base_url, "STABILITY_API_KEY": api_key}
            try:
                finished = subprocess.run(command, env=env, capture_output=True, timeout=self.timeout, check=False)
            except subprocess.TimeoutExpired:
                return ClientOutcome(False, _read(output), f"timed out after {self.timeout:g} s")
            except OSError as exc:
                return ClientOutcome(False, None, f"could not run {command[0]!r}: {exc}")
            stderr = finished.stderr.decode("utf-8", "replace").strip()
            if finished.returncode != 0:
                unsupported = finished.returncode == UNSUPPORTED_EXIT
                return ClientOutcome(False, _read(output), f"exit {finished.returncode}: {stderr[-500:]}", unsupported)
            return ClientOutcome(True, _read(output), stderr[-500:] or None)


async def _awaited(value: Awaitable[Any]) -> Any:
    return await value


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None
