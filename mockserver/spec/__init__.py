"""The API's OpenAPI document, and validation against it.

``router`` (which operation a request names: the first stage of every call),
``document`` (the :class:`Spec`: queries and validation), ``verdict`` (what
validation answers), ``engine`` (openapi-core on the document, imported on first
use), ``repairs`` (openapi-core, repaired for these documents),
``shortcuts`` and ``uploads`` (verdicts without openapi-core, proven equal),
``files`` (reading ``spec/`` from a checkout or a wheel).
"""

from mockserver.spec.document import Spec, error_body_problems
from mockserver.spec.files import bundled_text, resolve_local_ref
from mockserver.spec.router import Route, Router
from mockserver.spec.shortcuts import BodylessShortcut, VerdictMemo
from mockserver.spec.uploads import UploadShortcut
from mockserver.spec.verdict import RequestInvalid, ValidRequest

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
