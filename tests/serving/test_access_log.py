"""gunicorn's access log prints no key: redaction of each field, and a real server's log."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from gunicorn.config import Config as GunicornConfig

from bench.harness.server import running_server
from mockserver.serving import access_log
from mockserver.serving.access_log import redacted_query, redacted_uri


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
def test_keys_in_uris_are_masked(uri: str, shown: str) -> None:
    assert redacted_uri(uri) == shown


def test_a_query_without_secrets_is_left_as_sent() -> None:
    assert redacted_query("limit=5&operation=a%20b") == "limit=5&operation=a%20b"


@pytest.mark.slow
def test_the_access_log_prints_no_key(tmp_path: Path) -> None:
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


#: Every one-letter atom but the clock's, so two lines of one request compare equal.
EVERY_PLAIN_ATOM = " ".join(f"%({name})s" for name in "hlurdsmUqHbBfaTDMLp") + ' "%(r)s"'


@pytest.mark.parametrize("log_format", [EVERY_PLAIN_ATOM, '%(h)s %(l)s %(u)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'])
def test_a_format_of_plain_atoms_prints_the_line_every_atom_would(
    monkeypatch: pytest.MonkeyPatch, log_format: str
) -> None:
    lines = {built: _access_line(monkeypatch, log_format, plain=built) for built in (True, False)}
    assert lines[True] == lines[False]
    assert "sk-secret" not in lines[True] and "/_mock/credits/***" in lines[True]


def test_header_and_environ_atoms_are_still_built_and_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    line = _access_line(monkeypatch, "%(u)s %({user-agent}i)s %({authorization}i)s %({raw_uri}e)s %({x-request-id}o)s")
    assert line == '- agent \\"7\\" *** /_mock/credits/***?key=*** abc'


def _access_line(monkeypatch: pytest.MonkeyPatch, log_format: str, *, plain: bool = True) -> str:
    if not plain:  # as before: every header and environ entry made an atom
        monkeypatch.setattr(access_log, "plain_atoms_only", lambda _format: False)
    config = GunicornConfig()
    config.set("accesslog", "-")
    config.set("access_log_format", log_format)
    logger = access_log.RedactingLogger(config)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger.access_log.handlers = [handler]
    headers = [("Authorization", "Basic c2stc2VjcmV0OnB3"), ("User-Agent", 'agent "7"')]
    environ = {
        "REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET", "RAW_URI": "/_mock/credits/sk-secret?key=sk-secret",
        "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": "/_mock/credits/sk-secret", "QUERY_STRING": "key=sk-secret",
        "HTTP_AUTHORIZATION": "Basic c2stc2VjcmV0OnB3", "HTTP_USER_AGENT": 'agent "7"', "wsgi.version": (1, 0),
    }  # fmt: skip
    response = SimpleNamespace(status="200 OK", sent=42, headers=[("X-Request-Id", "abc")])
    logger.access(response, SimpleNamespace(headers=headers), environ, timedelta(seconds=1, microseconds=2345))
    return out.getvalue().strip()


@pytest.mark.parametrize("log_format", [EVERY_PLAIN_ATOM, GunicornConfig().access_log_format])
def test_gunicorns_own_handler_gets_the_line_logging_would_write(log_format: str) -> None:
    """The line written straight to ``--access-logfile``'s handler is the one ``logging`` writes through it."""
    lines: list[str] = []
    for direct in (True, False):
        logger, out = _gunicorn_logger(log_format)
        handler = logger.access_log.handlers[0]
        assert (logger._plain_handler() is handler) is True
        if not direct:
            handler.addFilter(lambda record: True)  # any filter: the line goes through logging
            assert logger._plain_handler() is None
        _log_one(logger)
        lines.append(out.getvalue())
    assert lines[0] == lines[1]
    assert lines[0].endswith("\n") and lines[0].count("\n") == 1
    assert "sk-secret" not in lines[0]


def test_an_access_log_set_up_otherwise_goes_through_logging() -> None:
    """A second handler, a logger filter, a formatter of its own or a level above INFO: logging decides, as before."""
    changes: list[Callable[[access_log.RedactingLogger], None]] = [
        lambda logger: logger.access_log.addHandler(logging.NullHandler()),
        lambda logger: logger.access_log.addFilter(lambda record: True),
        lambda logger: logger.access_log.handlers[0].setFormatter(logging.Formatter("access: %(message)s")),
        lambda logger: logger.access_log.setLevel(logging.WARNING),
    ]
    for change in changes:
        logger, out = _gunicorn_logger(EVERY_PLAIN_ATOM)
        change(logger)
        assert logger._plain_handler() is None
        _log_one(logger)
        assert "sk-secret" not in out.getvalue()


def _gunicorn_logger(log_format: str) -> tuple[access_log.RedactingLogger, io.StringIO]:
    """The logger as ``--access-logfile -`` sets it up, its stream swapped for a buffer."""
    # The access logger is process-wide: drop what earlier tests (or pytest's capture) left on it.
    logging.getLogger("gunicorn.access").handlers.clear()
    config = GunicornConfig()
    config.set("accesslog", "-")
    config.set("access_log_format", log_format)
    logger = access_log.RedactingLogger(config)
    out = io.StringIO()
    logger.access_log.handlers[0].setStream(out)
    return logger, out


def _log_one(logger: access_log.RedactingLogger) -> None:
    environ = {
        "REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET", "RAW_URI": "/_mock/credits/sk-secret",
        "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": "/_mock/credits/sk-secret", "QUERY_STRING": "",
    }  # fmt: skip
    response = SimpleNamespace(status="200 OK", sent=42, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(seconds=1))
