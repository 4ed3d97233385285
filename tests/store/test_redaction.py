"""A store's password never leaves: not in 503 bodies, /_mock/health, errors or the start-up banner."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from mockserver import Config, ConfigError, create_app
from mockserver.cli import main
from mockserver.serving.server import GunicornServer
from mockserver.util.redaction import redacted_url

SECRET = "hunter2-secret"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:hunter2@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis://mock:hunter2@cache/0", "redis://mock:***@cache/0"),
        ("redis://cache:6379/0?password=hunter2&prefix=a:", "redis://cache:6379/0?password=***&prefix=a%3A"),
        ("rediss://cache/0?Password=hunter2", "rediss://cache/0?Password=***"),
        ("redis://[::1]:6379/0?password=x", "redis://[::1]:6379/0?password=***"),
        ("redis://:pw@[::1]:6379/0", "redis://:***@[::1]:6379/0"),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
        ("sqlite:///tmp/mock.sqlite3", "sqlite:///tmp/mock.sqlite3"),
        ("redis://:pw@cache:notaport/0", "redis://***"),
        ("//[no-colon-anywhere", "***"),
        ("redis://:pw@/0", "redis://:***@/0"),
        ("redis://cache/0?token=secret&empty=", "redis://cache/0?token=***&empty="),
    ],
)
def test_passwords_are_masked_in_either_place(url: str, shown: str) -> None:
    assert redacted_url(url) == shown


@pytest.mark.parametrize("store", [f"redis://127.0.0.1:1/0?password={SECRET}", f"redis://:{SECRET}@127.0.0.1:1/0"])
def test_an_unreachable_redis_is_named_without_its_password(store: str) -> None:
    client = create_app(Config(store=store)).test_client()
    health = client.get("/_mock/health")
    assert health.status_code == 503
    assert "127.0.0.1:1" in health.get_data(as_text=True)
    api = client.get("/v2beta/results/abc", headers={"Authorization": "Bearer sk"})
    assert api.status_code == 503
    for answer in (health, api):
        assert SECRET not in answer.get_data(as_text=True)


def test_a_bad_store_url_is_refused_without_its_password() -> None:
    with pytest.raises(ConfigError) as caught:
        Config(store=f"mysql://root:{SECRET}@db/x")
    assert SECRET not in str(caught.value)
    assert "mysql://root:***@db/x" in str(caught.value)


def test_the_banner_shows_the_store_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Any] = []
    monkeypatch.setattr(GunicornServer, "run", lambda self: started.append(self))
    store = f"redis://127.0.0.1:1/0?password={SECRET}"
    result = CliRunner().invoke(main, ["serve", "--store", store, "--port", "0"])
    assert result.exit_code == 0, result.output
    assert started, "serve did not reach the server"
    assert "store=redis://127.0.0.1:1/0?password=***" in result.output
    assert SECRET not in result.output
