"""Configuration: defaults, the environment, command-line overrides and bad values."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mockserver import Config, ConfigError
from mockserver.cli import main
from mockserver.serving.server import GunicornServer
from mockserver.settings.config import SharedMock


def test_defaults_follow_the_published_api() -> None:
    config = Config()
    assert (config.host, config.port) == ("127.0.0.1", 8080)
    assert config.pending_polls == 1
    assert config.job_seconds == 0
    assert config.retention_seconds == 24 * 3600
    assert config.max_body_bytes == 10 * 1024 * 1024
    assert config.target_pixels is None  # the profile decides: 2048² under seed (tests/imaging)
    assert config.png_compress_level == 1


def test_environment_is_read_and_typed() -> None:
    config = Config.from_env(
        {
            "STABILITY_MOCK_PORT": "9000",
            "STABILITY_MOCK_JOB_SECONDS": "2.5",
            "STABILITY_MOCK_API_KEYS": "sk-a, sk-b,",
            "STABILITY_MOCK_DATA_DIR": "/tmp/mock-data",
            "UNRELATED": "x",
        }
    )
    assert config.port == 9000
    assert config.job_seconds == 2.5
    assert config.api_keys == ("sk-a", "sk-b")
    assert config.data_dir == Path("/tmp/mock-data")


def test_overrides_beat_the_environment_and_none_falls_through() -> None:
    env = {"STABILITY_MOCK_PORT": "9000", "STABILITY_MOCK_PENDING_POLLS": "4"}
    config = Config.from_env(env, port=7000, pending_polls=None)
    assert config.port == 7000
    assert config.pending_polls == 4


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STABILITY_MOCK_PORT": "eighty"}, "STABILITY_MOCK_PORT: 'eighty' is not a valid int"),
        ({"STABILITY_MOCK_PENDING_POLLS": "-1"}, "STABILITY_MOCK_PENDING_POLLS: '-1': must be ≥ 0"),
        ({"STABILITY_MOCK_PNG_COMPRESS_LEVEL": "12"}, "STABILITY_MOCK_PNG_COMPRESS_LEVEL: '12': must be ≤ 9"),
        ({"STABILITY_MOCK_STORE": "mysql://x"}, "store: 'mysql://x' must start with memory://, sqlite:// or redis://"),
        ({"STABILITY_MOCK_LATENCY_MS": "nan"}, "STABILITY_MOCK_LATENCY_MS: 'nan': must be a finite number, got nan"),
        ({"STABILITY_MOCK_WORKERS": "100000"}, "STABILITY_MOCK_WORKERS: '100000': must be ≤ 64"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        Config.from_env(env)


def test_unknown_override_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown option 'colour'"):
        Config.from_env({}, colour="blue")


def test_sqlite_store_lives_in_the_data_dir(tmp_path: Path) -> None:
    config = Config(store="sqlite://", data_dir=tmp_path)
    assert config.store_url == f"sqlite:///{tmp_path.resolve() / 'mock.sqlite3'}"
    assert Config(store="memory://").store_url == "memory://"


def test_memory_store_refuses_several_workers() -> None:
    with pytest.raises(ConfigError, match=r"^store: memory:// lives in one process"):
        Config(store="memory://", workers=2)
    assert Config(store="memory://", workers=1).workers == 1
    assert Config(store="sqlite://", workers=2).workers == 2


def test_the_timing_preset_is_instant_unless_told() -> None:
    config = Config()
    assert (config.timing, config.timing_scale) == ("instant", 1.0)


def test_the_timing_preset_from_the_environment_and_the_serve_options(monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config.from_env({"STABILITY_MOCK_TIMING": "live", "STABILITY_MOCK_TIMING_SCALE": "0.1"})
    assert (config.timing, config.timing_scale) == ("live", 0.1)
    started: list[GunicornServer] = []
    monkeypatch.setattr(GunicornServer, "run", lambda self: started.append(self))
    result = CliRunner().invoke(main, ["serve", "--store", "memory://", "--timing", "live", "--timing-scale", "0.1"])
    assert result.exit_code == 0, result.output
    [server] = started
    assert (server.mock_config.timing, server.mock_config.timing_scale) == ("live", 0.1)
    assert "timing=live x0.1" in result.output


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"STABILITY_MOCK_TIMING": "slow"},
            "STABILITY_MOCK_TIMING: 'slow': must be one of: instant, live (got 'slow')",
        ),
        ({"STABILITY_MOCK_TIMING_SCALE": "11"}, "STABILITY_MOCK_TIMING_SCALE: '11': must be ≤ 10"),
        ({"STABILITY_MOCK_TIMING_SCALE": "-0.5"}, "STABILITY_MOCK_TIMING_SCALE: '-0.5': must be ≥ 0"),
    ],
)
def test_a_bad_timing_preset_is_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_env(env)
    assert str(caught.value) == message
    option = "--timing" if "STABILITY_MOCK_TIMING" in env else "--timing-scale"
    result = CliRunner().invoke(main, ["serve", option, next(iter(env.values()))])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output


def test_a_shared_mock_is_named_on_the_command_line_or_in_the_environment() -> None:
    environ = {"STABILITY_MOCK_URL": "http://ci-mock:8080/", "STABILITY_MOCK_ADMIN_TOKEN": "s3cret"}
    assert SharedMock.from_env({}) is None
    assert SharedMock.from_env(environ) == SharedMock("http://ci-mock:8080", "s3cret")
    assert SharedMock.from_env(environ, url="http://127.0.0.1:9000") == SharedMock("http://127.0.0.1:9000", "s3cret")
    with pytest.raises(ConfigError, match="STABILITY_MOCK_URL: 'ci-mock:8080' must be the mock's base URL"):
        SharedMock.from_env({"STABILITY_MOCK_URL": "ci-mock:8080"})
    with pytest.raises(ConfigError, match="--stability-mock-url: 'http://x/a/b'"):
        SharedMock.from_env({}, url="http://x/a/b")
