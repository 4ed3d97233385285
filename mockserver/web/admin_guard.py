"""Who may call ``/_mock/`` (loopback or the admin token, never a page of another site), and what they may send."""

from __future__ import annotations

import hmac
import ipaddress

from flask import Request, g

from mockserver.errors import BadRequest, CrossSiteRequest, Forbidden
from mockserver.openapi import RequestInvalid
from mockserver.openapi.json_bounds import json_bound_problem
from mockserver.services import Services
from mockserver.web.admission import read_body, refuse_announced_past
from mockserver.web.browser_guard import cross_site

#: Methods that only read: a page elsewhere cannot read their answers (no CORS headers), so they are not refused.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The admin API's bodies are settings and faults: a few kilobytes, even with 3,000 words.
ADMIN_MAX_BODY_BYTES = 1024 * 1024
ADMIN_TOO_LARGE = "body: admin payloads cannot be larger than 1MiB in size"
#: A 400 names this many problems, then how many more there are: one bad list is not a 100 MB answer.
MAX_ERROR_LINES = 20


def admit_admin(request: Request, services: Services) -> None:
    """Check the caller and validate the call against spec/admin.yml.

    A call that changes state is refused when a browser sent it for a page of another site,
    bodiless POSTs (reset, complete, fail) included: a form posts those without a preflight.
    """
    if request.method not in SAFE_METHODS:
        foreign = cross_site(request, services.config)
        if foreign is not None:
            raise CrossSiteRequest([foreign])
    token = services.config.admin_token
    if token:
        sent = request.headers.get("X-Admin-Token") or _bearer(request.headers.get("Authorization"))
        if not sent or not hmac.compare_digest(sent.encode(), token.encode()):
            raise Forbidden(["authorization: the admin token is missing or wrong"])
    elif not _is_loopback(request.remote_addr):
        raise Forbidden(["client: the admin API answers only on loopback unless --admin-token is set"])
    refuse_announced_past(request, ADMIN_MAX_BODY_BYTES, ADMIN_TOO_LARGE)
    request.max_content_length = ADMIN_MAX_BODY_BYTES
    read_body(request, ADMIN_MAX_BODY_BYTES, ADMIN_TOO_LARGE)
    problem = json_bound_problem(request.get_data()) if request.mimetype == "application/json" else None
    if problem is not None:
        raise BadRequest([problem])
    try:
        valid = services.admin_spec.validate_request(request)
    except RequestInvalid as exc:
        raise BadRequest(capped(exc.errors)) from exc
    g.admin_body = dict(valid.body)
    g.admin_query = dict(valid.query)


def capped(lines: list[str], most: int = MAX_ERROR_LINES) -> list[str]:
    """The first ``most`` lines, and one that counts the rest."""
    if len(lines) <= most:
        return lines
    return [*lines[:most], f"… and {len(lines) - most:,} more"]


def _bearer(header: str | None) -> str | None:
    scheme, _, value = (header or "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False
