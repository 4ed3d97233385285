"""``/_mock/ui/``: the dashboard's static files, and ``/`` sending a browser there.

The page itself is public static content: HTML, CSS and JavaScript that hold no
data, so a browser can load it before the admin token is typed in. Everything
the page shows or changes goes through the admin API (guarded by
:func:`mockserver.web.admin_guard.admit_admin`: loopback, or ``--admin-token``) and
the public API, exactly as tests and scripts reach them; the page asks for the
token when the admin API answers 403, and sends it as ``X-Admin-Token``. So the
dashboard has no second way in and no second guard to keep in step.

Nothing here is API traffic: it is neither authenticated with an API key nor
journaled (see ``app._is_api_traffic``).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Request, Response, redirect, send_from_directory, url_for
from werkzeug.wrappers import Response as BaseResponse

from mockserver.web.negotiation import JSON, parse_accept, quality

bp = Blueprint("ui", __name__, url_prefix="/_mock/ui")

#: The page's files, shipped as package data next to the routes.
UI_DIR = Path(__file__).resolve().parent.parent / "ui"

#: The page loads nothing from elsewhere (no CDN) and talks only to this mock.
#: Swagger UI sets inline styles, hence ``'unsafe-inline'`` for styles only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'"
)


@bp.get("/")
def index() -> Response:
    return _static("index.html")


@bp.get("/<path:filename>")
def asset(filename: str) -> Response:
    """A file of the page; an unknown name is the API's usual JSON 404 (``send_from_directory`` raises it)."""
    return _static(filename)


def _static(filename: str) -> Response:
    # max_age=0: a browser revalidates (ETag) so an upgraded mock never runs an old page.
    response = send_from_directory(UI_DIR, filename, max_age=0)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def prefers_html(accept: str | None) -> bool:
    """True when ``Accept`` ranks a web page above JSON, as browsers' navigation requests do.

    ``*/*``, no header, or a tie goes to JSON: curl and API clients keep the
    API's JSON 404 at ``/``.
    """
    ranges = parse_accept(accept)
    return quality(ranges, "text/html") > quality(ranges, JSON)


def redirect_browser(request: Request) -> BaseResponse | None:
    """``GET /`` from a browser: a redirect to the dashboard; anything else: ``None`` (served as before)."""
    if request.path != "/" or request.method not in ("GET", "HEAD") or not prefers_html(request.headers.get("Accept")):
        return None
    return redirect(url_for("ui.index"), code=302)
