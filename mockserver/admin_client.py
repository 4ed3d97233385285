"""Deprecated home of :class:`MockAdmin`: it lives in :mod:`mockserver.control` since the layout move.

0.1.0 documented ``mockserver.admin_client.MockAdmin``; this module keeps that
import working, with a :class:`DeprecationWarning`, until 0.3.0.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.control.remote import MockAdmin

__all__ = ["MockAdmin"]


def __getattr__(name: str) -> Any:
    if name != "MockAdmin":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        "mockserver.admin_client is deprecated: import MockAdmin from mockserver.control",
        DeprecationWarning,
        stacklevel=2,
    )
    from mockserver.control.remote import MockAdmin

    return MockAdmin
