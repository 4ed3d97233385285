"""Contract testing for clients of the Stable Image Upscale API: a live mock for pytest."""

from contract_tests.handle import StabilityMock
from contract_tests.server import LiveServer

__all__ = ["LiveServer", "StabilityMock"]
