"""One exception hierarchy, and the single table that turns it into HTTP.

Everything the mock can answer with an error is an :class:`ApiError` subclass;
the edge (:mod:`mockserver.web.app`) maps them to the API's error body in one place,
so no handler ever builds an error response itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

#: A missing or unusable API key: the 401's line, and the one openapi-core or the upload shortcut gives it.
SECURITY_LINE = "authorization: invalid or missing header value"
#: Production's words for a moderated request (observed 2026-09-22; see spec/CHANGES.md).
CONTENT_MODERATION_LINE = (
    "Your request was flagged by our content moderation system, as a result your request was denied"
    " and you were not charged."
)
#: Production's words for an image showing a public figure (Stability's document, 422 ``public_figure``).
PUBLIC_FIGURE_LINE = (
    "Our system detected the likeness of a public figure in your image. To comply with our guidelines,"
    " this request cannot be processed. Please upload a different image."
)


def rate_limit_line(requests: int, window_seconds: float, block_seconds: float) -> str:
    """Production's 429 line, with the limit in force (150 requests, 10 s, 60 s in production)."""
    return (
        f"You have exceeded the rate limit of {requests} requests within a {_seconds(window_seconds)} second"
        f" period, and have been timed out for {_seconds(block_seconds)} seconds."
    )


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class MockError(Exception):
    """Base class of every error raised by the mock."""


class ConfigError(MockError, ValueError):
    """The configuration given to the mock is not usable."""


class CoverageFileError(MockError, ValueError):
    """A coverage report that cannot be read, or two that cannot be merged."""


class StoreError(MockError):
    """The state store failed; answered as 503 at the edge."""


class DriftError(MockError):
    """A drift check could not run: the upstream is unreachable, or an option or the known-differences file is bad."""


class StoreFull(StoreError):
    """A new job's upload would take the kept job bytes past ``max_store_bytes`` (expired jobs already dropped)."""

    def __init__(self, used: int, needed: int, maximum: int) -> None:
        super().__init__(
            f"full: kept job images and results take {used:,} bytes and this upload needs {needed:,} more,"
            f" past max_store_bytes ({maximum:,}); new jobs are refused until older ones expire"
            " (retention_seconds) or the store is reset"
        )


@dataclass(frozen=True)
class ErrorKind:
    """One row of the error table: what the live API sends for one failure."""

    status: int
    name: str
    message: str


#: The live API's errors (the published v2beta document and real calls): status, ``name`` and default message.
ERROR_TABLE: Mapping[str, ErrorKind] = {
    kind.name: kind
    for kind in (
        ErrorKind(400, "bad_request", "The request is invalid; see errors for details."),
        ErrorKind(401, "unauthorized", SECURITY_LINE),
        ErrorKind(402, "payment_required", "You lack sufficient credits to make this request."),
        ErrorKind(403, "content_moderation", CONTENT_MODERATION_LINE),
        ErrorKind(403, "forbidden", "The admin API answers only on loopback, or with the admin token."),
        # The mock's own guards against web pages (mockserver.web.browser_guard).
        ErrorKind(403, "host_not_allowed", "The mock does not answer for this host name; see --allowed-host."),
        ErrorKind(403, "cross_site_request", "The admin API refuses what a page on another site sends."),
        ErrorKind(404, "generation_not_found", "id: the generation either does not exist or has expired."),
        ErrorKind(404, "not_found", "No such endpoint."),
        ErrorKind(405, "method_not_allowed", "This endpoint does not accept that method."),
        # The serving engine's own refusals, before the app sees the request (mockserver.serving.server).
        ErrorKind(408, "request_timeout", "The request was not received in time; send it again."),
        ErrorKind(413, "payload_too_large", "body: payloads cannot be larger than 10MiB in size"),
        ErrorKind(414, "uri_too_long", "request: the request line is too long."),
        ErrorKind(417, "expectation_failed", "expect: only 100-continue is supported."),
        ErrorKind(422, "invalid_language", "English is the only supported language for this service."),
        ErrorKind(422, "public_figure", PUBLIC_FIGURE_LINE),
        ErrorKind(429, "rate_limit_exceeded", rate_limit_line(150, 10, 60)),
        ErrorKind(431, "request_header_fields_too_large", "headers: too many, or one too large."),
        ErrorKind(500, "internal_error", "An unexpected server error has occurred, please try again later."),
        ErrorKind(503, "service_unavailable", "The mock's state store is unavailable; try again shortly."),
        # The recorder's and the replayer's own answers (mockserver.recording), never the live API's.
        ErrorKind(404, "replay_miss", "No recorded exchange of the cassette matches this request."),
        ErrorKind(502, "upstream_unreachable", "The recorder could not reach the upstream service."),
        ErrorKind(504, "upstream_timeout", "The upstream service did not answer in time."),
    )
}


class ApiError(MockError):
    """An error the API answers in its own error shape."""

    kind_name: ClassVar[str] = "internal_error"

    def __init__(
        self,
        errors: Iterable[str] = (),
        *,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
        staged: bool = False,
    ) -> None:
        #: Answered because a test staged it (a fault, ``Prefer: code=``), not because of the request.
        self.staged = staged
        self.kind = ERROR_TABLE[self.kind_name]
        self.errors = list(errors) or [message or self.kind.message]
        self.message = message or (self.errors[0] if len(self.errors) == 1 else self.kind.message)
        self.headers = dict(headers or {})
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return self.kind.status

    def body(self, error_id: str | None = None, *, with_message: bool = True) -> dict[str, Any]:
        """The JSON body: ``id`` (32 hex), ``name``, ``message`` and ``errors``.

        ``with_message=False`` leaves out ``message``, as production does (the seed document's field).
        """
        body = {"id": error_id or uuid.uuid4().hex, "name": self.kind.name, "message": self.message}
        if not with_message:
            del body["message"]
        return {**body, "errors": self.errors}


class BadRequest(ApiError):
    """A field, header or image breaks the API's rules."""

    kind_name = "bad_request"


class Unauthorized(ApiError):
    """No usable API key was sent."""

    kind_name = "unauthorized"


class PaymentRequired(ApiError):
    """The key's credit balance is too low for the operation."""

    kind_name = "payment_required"


class ContentModeration(ApiError):
    """The request was flagged by (staged) content moderation."""

    kind_name = "content_moderation"


class Forbidden(ApiError):
    """An admin call from elsewhere than loopback without the admin token."""

    kind_name = "forbidden"


class HostNotAllowed(ApiError):
    """A ``Host`` the mock does not answer for: DNS rebinding, or a name not given with ``--allowed-host``."""

    kind_name = "host_not_allowed"


class CrossSiteRequest(ApiError):
    """An admin call that changes state, sent by a browser for a page on another site."""

    kind_name = "cross_site_request"


class GenerationNotFound(ApiError):
    """The generation id is unknown, expired, or belongs to another key."""

    kind_name = "generation_not_found"


class RouteNotFound(ApiError):
    """No endpoint lives at that path."""

    kind_name = "not_found"


class MethodNotAllowed(ApiError):
    """The endpoint exists but not for that method."""

    kind_name = "method_not_allowed"


class PayloadTooLarge(ApiError):
    """The request body is larger than the API accepts."""

    kind_name = "payload_too_large"


class RequestTimeout(ApiError):
    """The client stopped sending before its request was complete."""

    kind_name = "request_timeout"


class UriTooLong(ApiError):
    """The request line is longer than the server reads."""

    kind_name = "uri_too_long"


class ExpectationFailed(ApiError):
    """An ``Expect`` header other than ``100-continue``."""

    kind_name = "expectation_failed"


class HeadersTooLarge(ApiError):
    """Too many header fields, or one too large."""

    kind_name = "request_header_fields_too_large"


class InvalidLanguage(ApiError):
    """The prompt is not English (staged)."""

    kind_name = "invalid_language"


class PublicFigure(ApiError):
    """The image shows a public figure (staged): production's other 422."""

    kind_name = "public_figure"


class RateLimited(ApiError):
    """Too many requests for this key."""

    kind_name = "rate_limit_exceeded"


class InternalError(ApiError):
    """Something failed inside the mock, or a staged 500."""

    kind_name = "internal_error"


class ServiceUnavailable(ApiError):
    """The state store cannot be reached."""

    kind_name = "service_unavailable"


class ReplayMiss(ApiError):
    """Replaying with ``--replay-miss error``: no recorded exchange matches the request."""

    kind_name = "replay_miss"


class UpstreamUnreachable(ApiError):
    """Recording: the upstream refused the connection, failed TLS, or broke off its answer."""

    kind_name = "upstream_unreachable"


class UpstreamTimeout(ApiError):
    """Recording: the upstream did not answer within the recorder's timeout."""

    kind_name = "upstream_timeout"


class CassetteError(ConfigError):
    """A cassette folder cannot be read or written: missing, broken, or of a newer format."""


#: HTTP status → the API error a staged fault (or ``Prefer: code=``) of that status answers.
ERROR_FOR_STATUS: Mapping[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    402: PaymentRequired,
    403: ContentModeration,
    404: GenerationNotFound,
    413: PayloadTooLarge,
    422: InvalidLanguage,
    429: RateLimited,
    500: InternalError,
    503: ServiceUnavailable,
}

#: Every error a fault may stage, by its ``name``: a fault's ``error`` picks one when its status has
#: several (422 is ``invalid_language`` or ``public_figure`` in production).
_STAGEABLE: tuple[type[ApiError], ...] = (*ERROR_FOR_STATUS.values(), PublicFigure)
STAGEABLE_ERRORS: Mapping[str, type[ApiError]] = {error.kind_name: error for error in _STAGEABLE}
