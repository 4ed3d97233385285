"""Who may call ``/_mock/``: loopback clients, or anyone with the admin token; never a page of another site."""

from __future__ import annotations

import hmac
import ipaddress

from flask import Request, g

from mockserver.errors import BadRequest, CrossSiteRequest, Forbidden
from mockserver.openapi import RequestInvalid
from mockserver.services import Services
from mockserver.web.admission import read_body
from mockserver.web.browser_guard import cross_site

#: Methods that only read: a page elsewhere cannot read their answers (no CORS headers), so they are not refused.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
    read_body(request, services.config.max_body_bytes)
    try:
        valid = services.admin_spec.validate_request(request)
    except RequestInvalid as exc:
        raise BadRequest(exc.errors) from exc
    g.admin_body = dict(valid.body)
    g.admin_query = dict(valid.query)


def _bearer(header: str | None) -> str | None:
    scheme, _, value = (header or "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False
