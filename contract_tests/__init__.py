"""Contract testing for clients of the Stable Image Upscale API.

A live mock for pytest (the ``stability_mock`` fixture), hypothesis strategies
for images and requests, and the named properties every correct client keeps,
runnable from ``stability-mock contract`` or from Python.

From the bottom up: ``strategies`` (hypothesis strategies: images, valid and
invalid requests, async plans), ``adapters`` (Python ``module:factory`` and
command-template clients), ``image_diff`` (how a returned image differs), ``properties`` (the named
client properties: the contract), ``trials`` (what the server is made to do per property; one
example's run), ``reach`` (plain, ``--tls`` or ``--proxy``: how the client
reaches the suite's mock), ``runner`` (runs every property, shrinks failures), ``report``
(the ``--html`` and ``--json`` reports) and ``junit`` (JUnit XML), ``cli``
(``stability-mock contract``, added through an entry point) and
``reference_client`` (a small, correct requests-based client). The pytest half:
``server`` (a live mock in a thread), ``handle`` (:class:`StabilityMock`, what a
test holds), ``interception`` (the proxy of ``stability_mock_proxy`` and ``--proxy``) and
``plugin`` (the pytest11 entry: the ``stability_mock`` fixture and marker), with
``coverage_session`` (its ``--stability-mock-coverage`` report, merged across xdist workers).
For Schemathesis' own ``st run``: ``schemathesis_hooks`` (load it with
``SCHEMATHESIS_HOOKS``) and ``sent_forms`` (whether a multipart form, as sent,
satisfies the document), which need schemathesis installed.

The public names load on first use (see :mod:`mockserver.util.lazy_exports`): the pytest plugin
lives in this package, and a pytest run that never uses the fixture must not pay
for hypothesis, Flask or Pillow.
"""

import typing

from mockserver.util import lazy_exports

if typing.TYPE_CHECKING:
    from contract_tests.adapters import ClientOutcome, CommandAdapter, PythonAdapter
    from contract_tests.handle import StabilityMock
    from contract_tests.properties import PROPERTIES, ContractProperty, Run, Violation, contract_property
    from contract_tests.runner import ContractRunner, PropertyResult, SuiteOptions
    from contract_tests.server import LiveServer
    from contract_tests.strategies import (
        AsyncPlan,
        JobPlan,
        UpscaleRequest,
        async_plans,
        conservative_requests,
        creative_requests,
        fast_requests,
        images,
        invalid_requests,
        upscale_requests,
    )

__all__ = [
    "PROPERTIES",
    "AsyncPlan",
    "ClientOutcome",
    "CommandAdapter",
    "ContractProperty",
    "ContractRunner",
    "JobPlan",
    "LiveServer",
    "PropertyResult",
    "PythonAdapter",
    "Run",
    "StabilityMock",
    "SuiteOptions",
    "UpscaleRequest",
    "Violation",
    "async_plans",
    "conservative_requests",
    "contract_property",
    "creative_requests",
    "fast_requests",
    "images",
    "invalid_requests",
    "upscale_requests",
]

__getattr__, __dir__ = lazy_exports.exports(
    __name__,
    {
        "PROPERTIES": "contract_tests.properties",
        "AsyncPlan": "contract_tests.strategies",
        "JobPlan": "contract_tests.strategies",
        "ClientOutcome": "contract_tests.adapters",
        "CommandAdapter": "contract_tests.adapters",
        "ContractProperty": "contract_tests.properties",
        "ContractRunner": "contract_tests.runner",
        "LiveServer": "contract_tests.server",
        "PropertyResult": "contract_tests.runner",
        "PythonAdapter": "contract_tests.adapters",
        "Run": "contract_tests.properties",
        "StabilityMock": "contract_tests.handle",
        "SuiteOptions": "contract_tests.runner",
        "UpscaleRequest": "contract_tests.strategies",
        "Violation": "contract_tests.properties",
        "async_plans": "contract_tests.strategies",
        "conservative_requests": "contract_tests.strategies",
        "contract_property": "contract_tests.properties",
        "creative_requests": "contract_tests.strategies",
        "fast_requests": "contract_tests.strategies",
        "images": "contract_tests.strategies",
        "invalid_requests": "contract_tests.strategies",
        "upscale_requests": "contract_tests.strategies",
    },
)
