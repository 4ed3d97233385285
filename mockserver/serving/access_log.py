"""gunicorn's access log without secrets: no Basic-auth user, no raw keys in admin URLs or headers.

A key can reach a request line three ways: as the Basic-auth user (gunicorn's
``%(u)s``), in the path of ``/_mock/credits/<key>``, and in a query such as
``/_mock/requests?key=…``. Every field of the log line that could carry one is
rewritten here, so whatever ``access_log_format`` says, none is printed.
"""

from __future__ import annotations

import logging
import re
import traceback
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

from gunicorn.glogging import Logger

from mockserver.util.redaction import MASK, SECRET_PARAMETERS

#: Query parameters that carry an API key or a token.
SECRET_QUERY = SECRET_PARAMETERS | {"key", "api_key", "apikey", "admin_token"}
#: Headers whose value is a secret, as gunicorn names its ``{header}i`` atoms.
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-admin-token", "cookie", "x-api-key", "stability-client-key"}
)
#: The log atoms holding those headers: ``{authorization}i`` and ``{http_authorization}e``.
_SECRET_ATOMS = frozenset(
    [f"{{{name}}}i" for name in SECRET_HEADERS] + [f"{{http_{name.replace('-', '_')}}}e" for name in SECRET_HEADERS]
)
_URI_ATOMS = frozenset({"{raw_uri}e", "{path_info}e", "{request_uri}e"})
_KEY_IN_PATH = re.compile(r"^(/_mock/credits/)[^/?#]+")
#: The environ entries gunicorn's plain (one-letter) atoms are made from.
_PLAIN_ATOM_ENVIRON = (
    "REMOTE_ADDR", "HTTP_AUTHORIZATION", "REQUEST_METHOD", "RAW_URI", "SERVER_PROTOCOL",
    "PATH_INFO", "QUERY_STRING", "HTTP_REFERER", "HTTP_USER_AGENT",
)  # fmt: skip
_ATOM_NAME = re.compile(r"%\(([^)]*)\)")


def redacted_path(path: str) -> str:
    """``path`` with a key in it (``/_mock/credits/<key>``) replaced by ``***``."""
    return _KEY_IN_PATH.sub(lambda match: match[1] + MASK, path)


def redacted_query(query: str) -> str:
    """``query`` with the values of key and token parameters replaced by ``***``."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(name.lower() in SECRET_QUERY for name, _ in pairs):
        return query
    return urlencode([(name, MASK if name.lower() in SECRET_QUERY else value) for name, value in pairs], safe="*")


def redacted_uri(uri: str) -> str:
    path, mark, query = uri.partition("?")
    return redacted_path(path) + mark + redacted_query(query)


@lru_cache(maxsize=8)
def plain_atoms_only(log_format: str) -> bool:
    """Whether ``log_format`` names only one-letter atoms (gunicorn's default does), no header or environ atom."""
    return not any(name.startswith("{") for name in _ATOM_NAME.findall(log_format))


@dataclass(frozen=True)
class _Sent:
    """What of gunicorn's response the plain atoms read, without its headers."""

    status: Any
    sent: Any
    headers: tuple[()] = ()


class RedactingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, with every access-log atom that could hold a key redacted."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """gunicorn's ``access``, building only the plain atoms when the format names no other.

        gunicorn makes an atom of every request header, response header and environ
        entry for each line (then escapes and redacts them all), which cost about a
        tenth of a poll's CPU; a format of plain atoms prints the same line without them.
        """
        if not self.access_log_enabled:
            return
        log_format = self.cfg.access_log_format
        if plain_atoms_only(log_format):
            plain = {name: environ[name] for name in _PLAIN_ATOM_ENVIRON if name in environ}
            atoms = self.atoms(_Sent(resp.status, getattr(resp, "sent", None)), (), plain, request_time)
        else:
            atoms = self.atoms(resp, req, environ, request_time)
        try:
            handler = self._plain_handler()
            if handler is None:
                self.access_log.info(log_format, self.atoms_wrapper_class(atoms))
            else:
                _write_line(handler, log_format % self.atoms_wrapper_class(atoms))
        except Exception:
            self.error(traceback.format_exc())

    def _plain_handler(self) -> logging.StreamHandler[Any] | None:
        """The access log's handler when a line is only written through it: gunicorn's own, unfiltered.

        ``logging`` builds a ``LogRecord`` per line (the time, thread and process
        names, the caller's frame) and passes it through filters and a formatter
        that here only print the message: about a tenth of the worker's own CPU
        per request. When ``--access-logfile`` set up the one handler, with the
        plain message format and no filter, the line it would write is written
        directly; any other set-up (``logconfig``, syslog, filters) goes through
        ``logging`` as before.
        """
        logger = self.access_log
        if len(logger.handlers) != 1 or logger.filters or logger.disabled or not logger.isEnabledFor(logging.INFO):
            return None
        (handler,) = logger.handlers
        plain = (
            type(handler) in (logging.StreamHandler, logging.FileHandler)
            and getattr(handler, "_gunicorn", False)
            and not handler.filters
            and handler.level <= logging.INFO
            and type(handler.formatter) is logging.Formatter
            and handler.formatter._fmt == "%(message)s"
            and getattr(handler, "stream", None) is not None
        )
        return handler if plain else None

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["u"] = "-"
        method, protocol = environ.get("REQUEST_METHOD", "-"), environ.get("SERVER_PROTOCOL", "-")
        atoms["r"] = f"{method} {redacted_uri(environ.get('RAW_URI', ''))} {protocol}"
        atoms["U"] = redacted_path(atoms.get("U") or "")
        atoms["q"] = redacted_query(atoms.get("q") or "")
        atoms["f"] = redacted_uri(atoms.get("f") or "-")
        for name in list(atoms):
            if name in _SECRET_ATOMS:
                atoms[name] = MASK
            elif name in _URI_ATOMS:
                atoms[name] = redacted_uri(str(atoms[name]))
            elif name == "{query_string}e":
                atoms[name] = redacted_query(str(atoms[name]))
        return atoms


def _write_line(handler: logging.StreamHandler[Any], line: str) -> None:
    """What ``handler.emit`` does with a record whose formatted text is ``line``: write, end the line, flush."""
    handler.acquire()
    try:
        handler.stream.write(line + handler.terminator)
        handler.flush()
    finally:
        handler.release()
