"""The API's OpenAPI document, and validation against it.

``router`` (which operation a request names: the first stage of every call),
``document`` (the :class:`Spec`: queries and validation), ``verdict`` (what
validation answers), ``engine`` (openapi-core on the document, imported on first
use), ``repairs`` (openapi-core, repaired for these documents),
``shortcuts`` and ``uploads`` (verdicts without openapi-core, proven equal),
``form_fields`` (one form property: accepted values, openapi-core's refusals),
``multipart`` (multipart bodies: strict numbers, the form as sent) and
``plain_form`` (the plain layout clients send, by the multipart library),
``json_bounds`` (a JSON body's depth and list lengths, held before a
schema sees them), ``field_errors`` (short ``field: message`` lines from validation errors) and
``rule_messages`` (the words for one broken schema rule),
``files`` (reading ``spec/`` from a checkout or a wheel) and ``parsed`` (the
bundled YAML's parsed copies, named by the YAML's hash; ``python -m
mockserver.openapi`` writes them).

Imports: ``settings``, ``util``, ``errors``. Flask only for the type of the
request it validates (openapi-core's Flask adapter reads it).
"""

from mockserver.openapi.document import Spec, error_body_problems
from mockserver.openapi.files import bundled_text, resolve_local_ref
from mockserver.openapi.router import Route, Router
from mockserver.openapi.shortcuts import BodylessShortcut, VerdictMemo
from mockserver.openapi.uploads import UploadShortcut
from mockserver.openapi.verdict import RequestInvalid, ValidRequest

__all__ = [
    "BodylessShortcut",
    "RequestInvalid",
    "Route",
    "Router",
    "Spec",
    "UploadShortcut",
    "ValidRequest",
    "VerdictMemo",
    "bundled_text",
    "error_body_problems",
    "resolve_local_ref",
]
