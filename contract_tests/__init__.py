"""Contract testing for clients of the Stable Image Upscale API.

A live mock for pytest (the ``stability_mock`` fixture), hypothesis strategies
for images and requests, and the named properties every correct client keeps,
runnable from ``stability-mock contract`` or from Python.
"""

from contract_tests.adapters import ClientOutcome, CommandAdapter, PythonAdapter
from contract_tests.handle import StabilityMock
from contract_tests.properties import PROPERTIES, ContractProperty, Run, Violation, contract_property
from contract_tests.runner import ContractRunner, PropertyResult, SuiteOptions
from contract_tests.server import LiveServer
from contract_tests.strategies import (
    AsyncPlan,
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
