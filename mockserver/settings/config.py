"""Typed configuration: the one place that reads ``STABILITY_MOCK_*`` variables.

Every field can be set as ``STABILITY_MOCK_<FIELD NAME IN CAPITALS>``, and every
field declared with a command-line form is a ``stability-mock serve`` option
(generated from the declaration); command-line options win over the
environment, which wins over the defaults.
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockserver.errors import BadRequest, ConfigError
from mockserver.settings.knobs import knobs, problems, setting, value_problems
from mockserver.settings.profiles import PROFILES
from mockserver.settings.runtime import RateLimit, RuntimeSettings
from mockserver.util.redaction import redacted_url

ENV_PREFIX = "STABILITY_MOCK_"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Config(RuntimeSettings):
    """How the mock starts and behaves; frozen so a running app never sees it change under it.

    It extends :class:`RuntimeSettings`: the settings a test may change at run
    time are declared there once, with their defaults, bounds and help.
    """

    profile: str = setting(
        "seed", "seed: the user's spec; live: as api.stability.ai answers (conservative at once).", choices=PROFILES
    )
    host: str = setting("127.0.0.1", "Address to listen on.")
    allowed_hosts: tuple[str, ...] = setting(
        (),
        "A host name the mock answers for, besides IP addresses, localhost and api.stability.ai (repeatable);"
        " *.domain: its subdomains; *: any name.",
        option="--allowed-host",
        repeatable=True,
    )
    #: 0 picks a free port (tests).
    port: int = setting(8080, "Port to listen on.", minimum=0, maximum=65_535)
    workers: int = setting(1, "Worker processes (they share the store).", minimum=1, maximum=64)
    threads: int = setting(4, "Threads per worker.", minimum=1, maximum=256)
    read_timeout: float = setting(
        30.0,
        "Seconds a client has to send a whole request (head and body) before a 408; idle connections close then.",
        minimum=1,
        maximum=3600,
    )
    store: str = setting(
        "sqlite://",
        "memory://, sqlite:// (a file in the data dir), sqlite:///path/file.sqlite3, or redis://host:6379/0.",
    )
    data_dir: Path = setting(Path(".stability-mock"), "Folder of the default SQLite file and of the mock's CA.")
    api_keys: tuple[str, ...] = setting(
        (), "An accepted key (repeatable); none: any key.", option="--api-key", repeatable=True, default_text="any key"
    )
    retention_seconds: float = setting(
        24 * 3600.0, "How long jobs and results are kept, in seconds.", minimum=1, maximum=30 * 86_400
    )
    max_store_bytes: int = setting(
        512 * MIB,
        "Most bytes of job uploads and results the store keeps (all workers); past it, new jobs answer 503.",
        minimum=MIB,
        maximum=1024 * 1024 * MIB,
    )
    sweep_seconds: float = setting(
        60.0,
        "Seconds between sweeps of expired jobs in each worker (the SQLite file is checkpointed and shrunk then).",
        minimum=0.05,
        maximum=86_400,
        cli=False,
    )
    max_body_bytes: int = setting(10 * MIB, "Largest request body.", minimum=1, maximum=1024 * MIB, cli=False)
    target_pixels: int | None = setting(
        None,
        "Conservative/creative output size in pixels (aspect kept).",
        minimum=1,
        maximum=64 * MIB,
        default_text="the profile's",
    )
    png_compress_level: int = setting(1, "PNG output level (1 encodes about 4x faster than 6).", minimum=0, maximum=9)
    jpeg_quality: int = setting(90, "JPEG output quality.", minimum=1, maximum=100, cli=False)
    render_ahead_threads: int = setting(
        1,
        "Threads per process that render async jobs as they are created (0: at the poll that finds one ready).",
        minimum=0,
        maximum=16,
        cli=False,
    )
    webp_quality: int = setting(90, "WEBP output quality.", minimum=1, maximum=100, cli=False)
    render_cache_bytes: int = setting(
        64 * MIB,
        "Rendered results kept in memory per process (LRU, bytes), plus a quarter of it for spec verdicts; 0: off.",
        minimum=0,
        maximum=64 * 1024 * MIB,
        cli=False,
    )
    log_level: str = setting("info", "gunicorn and app logging.", choices=("debug", "info", "warning", "error"))
    scenario: Path | None = setting(None, "YAML scenario applied at start-up.", existing_file=True)
    admin_token: str | None = setting(None, "Token for /_mock/ calls; without it they answer only on loopback.")
    proxy_port: int | None = setting(
        None,
        "Also run a proxy intercepting https://api.stability.ai on this port.",
        minimum=1,
        maximum=65_535,
        default_text="off",
    )
    tls: bool = setting(False, "Serve HTTPS with a certificate from the mock's CA.", default_text="off")
    replay: Path | None = setting(
        None,
        "A cassette folder (stability-mock record) whose recorded answers answer matching requests, offline.",
        default_text="off",
    )
    replay_miss: str = setting(
        "mock",
        "A request no recording matches: mock answers it as the mock would; error answers 404 replay_miss.",
        choices=("mock", "error"),
    )

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
        declared = {item.name: (knob, python_type) for item, knob, python_type in knobs(cls)}
        for item in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + item.name.upper())
            if raw is not None:
                values[item.name] = _coerce(item.name, raw, hints[item.name])
                knob, python_type = declared[item.name]
                bad = value_problems(values[item.name], python_type, knob)
                if bad:
                    raise ConfigError(f"{ENV_PREFIX}{item.name.upper()}: {raw!r}: {bad[0]}")
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


_HEADER_SAFE = (
    "must be printable ASCII without spaces: HTTP clients send other characters in "
    "different encodings, so such a value could never match"
)


#: An ``--allowed-host``: a name (Docker's service names may hold ``_``), ``*.domain``, or ``*``.
_HOST_PATTERN = re.compile(r"\*|(?:\*\.)?[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?", re.ASCII)


def _header_safe(value: str) -> bool:
    return bool(value) and all("!" <= char <= "~" for char in value)


def _problems(config: Config) -> typing.Iterator[str]:
    """What the declared bounds cannot say, after what they can."""
    yield from problems(config)
    if config.store.startswith("memory:") and config.workers > 1:
        # Each worker process would keep its own jobs: half the polls of a job would answer 404.
        yield "store: memory:// lives in one process; with more than one worker use sqlite:// or redis://"
    for pattern in config.allowed_hosts:
        if _HOST_PATTERN.fullmatch(pattern.lower()) is None:
            yield f"allowed_hosts: {pattern!r} must be a host name without a port, *.domain or *"
    if config.admin_token is not None and not _header_safe(config.admin_token):
        yield f"admin_token: {_HEADER_SAFE}"
    for number, key in enumerate(config.api_keys, start=1):
        if not _header_safe(key):
            yield f"api_keys: key {number}: {_HEADER_SAFE}"
    if config.proxy_port is not None and config.proxy_port == config.port:
        yield "proxy_port: must be another port than port"
    if not config.store.startswith(("memory:", "sqlite:", "redis:", "rediss:")):
        yield f"store: {redacted_url(config.store)!r} must start with memory://, sqlite:// or redis://"
    if config.rate_limit is not None:
        try:
            RateLimit.parse(config.rate_limit, config.rate_limit_block_seconds)
        except BadRequest as exc:
            yield from exc.errors


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


#: Where the pytest fixture finds a mock to share instead of starting one (``--stability-mock-url`` wins).
SHARED_URL_ENV = ENV_PREFIX + "URL"


@dataclass(frozen=True)
class SharedMock:
    """A running mock that tests share instead of each run starting its own (the pytest fixture's
    ``--stability-mock-url``): its address, and the admin token it was started with, if any."""

    url: str
    admin_token: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, url: str | None = None) -> SharedMock | None:
        """``url`` (the command line's), else ``STABILITY_MOCK_URL``; ``None`` when neither names one.

        The admin token is ``STABILITY_MOCK_ADMIN_TOKEN``, the variable the mock itself reads,
        so one environment serves both the ``serve`` and the test run.
        """
        environ = os.environ if environ is None else environ
        where = (url or environ.get(SHARED_URL_ENV) or "").strip()
        if not where:
            return None
        if not re.fullmatch(r"https?://[^/?#\s]+/?", where):
            source = "--stability-mock-url" if url else SHARED_URL_ENV
            raise ConfigError(f"{source}: {where!r} must be the mock's base URL, like http://127.0.0.1:8080")
        return cls(url=where.rstrip("/"), admin_token=environ.get(ENV_PREFIX + "ADMIN_TOKEN") or None)
