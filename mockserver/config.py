"""Typed configuration: the one place that reads ``STABILITY_MOCK_*`` variables.

Every option of ``stability-mock serve`` is a field here, and every field can
also be set as ``STABILITY_MOCK_<FIELD NAME IN CAPITALS>``; command-line options
win over the environment, which wins over the defaults.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockserver.errors import ConfigError
from mockserver.profiles import PROFILES

ENV_PREFIX = "STABILITY_MOCK_"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Config:
    """How the mock behaves; frozen so a running app never sees it change under it."""

    #: Which API the mock plays: ``seed`` (the user's document) or ``live`` (api.stability.ai today).
    profile: str = "seed"
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    threads: int = 4
    #: ``memory://``, ``sqlite://`` (a file in ``data_dir``), ``sqlite:///path/to/file``, or
    #: ``redis://host:port/db`` (``rediss://`` with TLS) for state shared by several hosts.
    store: str = "sqlite://"
    data_dir: Path = Path(".stability-mock")
    #: Accepted API keys; empty means any non-empty key is accepted.
    api_keys: tuple[str, ...] = ()
    #: Polls answered 202 before a job's result is served.
    pending_polls: int = 1
    #: Minimum age in seconds before a job's result is served.
    job_seconds: float = 0.0
    #: How long a job and its result are kept.
    retention_seconds: float = 24 * 3600.0
    max_body_bytes: int = 10 * MIB
    #: Output pixel count that conservative and creative aim for (aspect kept).
    target_pixels: int = 4 * MIB
    png_compress_level: int = 1
    jpeg_quality: int = 90
    webp_quality: int = 90
    #: Rendered results kept in memory per process (LRU, in bytes), plus a quarter of it for the
    #: spec's verdicts on repeated uploads; 0 turns both off.
    render_cache_bytes: int = 256 * MIB
    log_level: str = "info"
    #: Added to every API answer (milliseconds), plus up to ``jitter_ms`` of seeded jitter.
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    #: ``150/10s`` turns per-key rate limiting on; blocked keys wait ``rate_limit_block_seconds``.
    rate_limit: str | None = None
    rate_limit_block_seconds: float = 60.0
    #: Starting balance of every key; ``None`` turns credits off.
    credits: int | None = None
    moderation_words: tuple[str, ...] = ()
    filter_words: tuple[str, ...] = ()
    language_words: tuple[str, ...] = ()
    journal_size: int = 1000
    #: A YAML scenario applied at start-up.
    scenario: Path | None = None
    #: Required on /_mock/ calls when set; without it they answer only on loopback.
    admin_token: str | None = None
    #: Port of the proxy that intercepts https://api.stability.ai (``serve --proxy-port``); off when unset.
    proxy_port: int | None = None
    #: Serve HTTPS with a certificate from the mock's CA in ``data_dir`` (``serve --tls``).
    tls: bool = False

    def __post_init__(self) -> None:
        problems = list(_problems(self))
        if problems:
            raise ConfigError("; ".join(problems))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        """Build a config from ``STABILITY_MOCK_*`` variables, then apply ``overrides``.

        ``overrides`` whose value is ``None`` are ignored, so command-line options
        that were not given fall through to the environment.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        hints = typing.get_type_hints(cls)
        for item in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + item.name.upper())
            if raw is not None:
                values[item.name] = _coerce(item.name, raw, hints[item.name])
        for name, value in overrides.items():
            if value is None:
                continue
            if name not in hints:
                raise ConfigError(f"unknown option {name!r}")
            values[name] = _coerce(name, value, hints[name]) if isinstance(value, str) else value
        return cls(**values)

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)

    @property
    def store_url(self) -> str:
        """The store URL with the data directory filled in for ``sqlite://``."""
        if self.store.rstrip("/") == "sqlite:":
            return f"sqlite:///{(self.data_dir / 'mock.sqlite3').resolve()}"
        return self.store


def _problems(config: Config) -> typing.Iterator[str]:
    positive = ("port", "workers", "threads", "max_body_bytes", "target_pixels")
    for name in positive:
        if getattr(config, name) <= 0 and not (name == "port" and config.port == 0):
            yield f"{name} must be positive"
    for name in ("pending_polls", "job_seconds", "render_cache_bytes"):
        if getattr(config, name) < 0:
            yield f"{name} must be ≥ 0"
    if config.retention_seconds <= 0:
        yield "retention_seconds must be positive"
    if not 0 <= config.png_compress_level <= 9:
        yield "png_compress_level must be between 0 and 9"
    for name in ("jpeg_quality", "webp_quality"):
        if not 1 <= getattr(config, name) <= 100:
            yield f"{name} must be between 1 and 100"
    if config.profile not in PROFILES:
        yield f"profile {config.profile!r} must be one of: {', '.join(PROFILES)}"
    if config.proxy_port is not None and not (0 < config.proxy_port < 65536 and config.proxy_port != config.port):
        yield "proxy_port must be a port number other than port"
    if not config.store.startswith(("memory:", "sqlite:", "redis:", "rediss:")):
        yield f"store {config.store!r} must start with memory://, sqlite:// or redis://"


def _coerce(name: str, raw: str, hint: Any) -> Any:
    """Turn one environment or command-line string into the field's type."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    origin = typing.get_origin(hint)
    try:
        if origin is tuple:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if hint is bool:
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if hint in (int, float, str, Path):
            return hint(raw.strip()) if hint is not str else raw
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}: {raw!r} is not a valid {hint.__name__}") from exc
    raise ConfigError(f"option {name} cannot be set from text")
