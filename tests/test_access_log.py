"""gunicorn's access log prints no key: redaction of each field, and a real server's log."""

from __future__ import annotations

import pytest
import requests

from mockserver.access_log import redacted_query, redacted_uri
from tests.servers import running_server


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("/_mock/credits/sk-secret", "/_mock/credits/***"),
        ("/_mock/credits/sk-secret?x=1", "/_mock/credits/***?x=1"),
        ("/_mock/requests?key=sk-secret&limit=5", "/_mock/requests?key=***&limit=5"),
        ("/v2beta/results/abc?token=t", "/v2beta/results/abc?token=***"),
        ("/_mock/health", "/_mock/health"),
    ],
)
def test_keys_in_uris_are_masked(uri, shown):
    assert redacted_uri(uri) == shown


def test_a_query_without_secrets_is_left_as_sent():
    assert redacted_query("limit=5&operation=a%20b") == "limit=5&operation=a%20b"


@pytest.mark.slow
def test_the_access_log_prints_no_key(tmp_path):
    log = tmp_path / "a.log"
    with running_server("--data-dir", str(tmp_path), log=log) as url:
        requests.get(f"{url}/_mock/credits/sk-live-secret-key", timeout=10)
        requests.get(f"{url}/_mock/requests", params={"key": "sk-query-secret"}, timeout=10)
        requests.get(f"{url}/_mock/health", auth=("sk-basic-user", "pw"), timeout=10)
        requests.get(f"{url}/_mock/health", headers={"X-Admin-Token": "tok-secret"}, timeout=10)
    text = log.read_text()
    assert "/_mock/credits/***" in text
    for secret in ("sk-live-secret-key", "sk-query-secret", "sk-basic-user", "tok-secret"):
        assert secret not in text
