"""What a route reads of the request being handled: the app's services, the call admitted, and its record.

The edge (:mod:`mockserver.web.app`) keeps one :class:`Exchange` per API request on
Flask's ``g``; routes read it here rather than from admission, so a request goes
down the stages and never back up to one it has left.
"""

from __future__ import annotations

from flask import current_app, g

from mockserver.pipeline.exchange import ApiCall, Exchange
from mockserver.services import Services, services_of


def current_services() -> Services:
    """The services of the app handling the current request."""
    return services_of(current_app)


def current_exchange() -> Exchange:
    """The record of the API call being handled (the HTTP edge keeps it, one per request)."""
    exchange: Exchange = g.exchange
    return exchange


def current_call() -> ApiCall:
    """The call admitted for the current request."""
    call = current_exchange().call
    if call is None:
        raise RuntimeError("no API call was admitted for this request")
    return call


__all__ = ["current_call", "current_exchange", "current_services"]
