"""Schemathesis hooks for fuzzing the mock with ``st run``: real images, and forms read as sent.

Usage, against a mock that accepts one key only (so Schemathesis' ``ignored_auth``
check can tell a wrong key from a right one)::

    stability-mock serve --port 8080 --api-key sk-fuzz        # or add --profile live
    SCHEMATHESIS_HOOKS=contract_tests.schemathesis_hooks \\
        st run http://127.0.0.1:8080/openapi.yml --checks all -H "authorization: Bearer sk-fuzz"

Write the header name in lower case, as the documents' API-key scheme names it:
Schemathesis compares the ``-H`` name with the scheme's case-sensitively, and
taking ``Authorization`` for a key it generated itself, flags every accepted call.

What the hooks change, and why a run needs it:

* ``format: binary`` draws a small real image. The documents state their image
  rules (format, sides, pixel count, aspect ratio) in prose only, so Schemathesis'
  own binary values (a 1x1 sample, arbitrary bytes) are all refused with a 400,
  and ``positive_data_acceptance`` would flag every upload. A PNG, JPEG or WebP
  of 64 to 128 pixels a side meets every upload operation's rules (fast,
  conservative, creative and, under the live profile, the v2alpha upscale), so
  valid uploads are upscaled and the stateful phase follows the job ids they
  start (the documents' ``links``) to the result paths.
* ``negative_data_rejection`` failures are dropped for a case negated in its body
  alone whose multipart form, as sent, satisfies the document (see
  :mod:`contract_tests.sent_forms`): a ``negative_prompt`` generated as ``True``
  arrives as the valid text ``true``. Every other failure stands.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis import Case, HookContext, Response
from schemathesis.core.failures import AcceptedNegativeData, Failure

from contract_tests.sent_forms import negated_in_body_only, sent_form_is_valid
from contract_tests.strategies import images

schemathesis.openapi.format("binary", images(min_side=64, max_side=128))


@schemathesis.hook
def filter_failure(context: HookContext, failure: Failure, case: Case[Any], response: Response) -> bool:
    """Keep every failure but an accepted "negative" form that, as sent, is valid."""
    return not (
        isinstance(failure, AcceptedNegativeData) and negated_in_body_only(case) and sent_form_is_valid(case, response)
    )
