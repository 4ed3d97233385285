"""GET /v1/user/account and /v1/user/balance: what clients call to check a key.

Served only where the profile's document has them (the ``live`` profile); the
seed document does not, and paths outside the document in force answer 404.
"""

from __future__ import annotations

from flask import Blueprint, Response

from mockserver.pipeline import credits
from mockserver.web.current import current_call, current_services
from mockserver.web.responses import json_response

bp = Blueprint("account", __name__, url_prefix="/v1/user")

#: What ``/v1/user/balance`` reports while the mock counts no credits: plenty, and never less.
UNCOUNTED_BALANCE = 1_000_000.0


@bp.get("/account")
def account() -> Response:
    """A fixed, plausible account; its ids come from the key's fingerprint, so each key has its own."""
    key = current_call().key_fingerprint.removeprefix("key_")
    return json_response(
        {
            "id": f"user-{key}",
            "email": f"{key}@example.com",
            "profile_picture": "https://example.com/avatar.png",
            "organizations": [{"id": f"org-{key}", "name": "Mock organization", "role": "OWNER", "is_default": True}],
        }
    )


@bp.get("/balance")
def balance() -> Response:
    """The key's credits when the mock counts them (``--credits``), else :data:`UNCOUNTED_BALANCE`."""
    call, shared = current_call(), current_services()
    counted = call.settings.credits is not None
    found = credits.balance(shared.store, call.settings, call.key_fingerprint) if counted else None
    return json_response({"credits": float(UNCOUNTED_BALANCE if found is None else found)})
