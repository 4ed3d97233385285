"""stability-upscale-mock: a local stand-in for Stability AI's Stable Image Upscale API.

The public names load on first use (see :mod:`mockserver.util.lazy_exports`), so importing a
light module such as ``mockserver.settings.config`` does not pull in Flask and openapi-core.
"""

import typing

from mockserver.util import lazy_exports

if typing.TYPE_CHECKING:
    from mockserver.errors import ApiError, ConfigError, MockError, StoreError
    from mockserver.openapi import Spec
    from mockserver.settings.config import Config
    from mockserver.store import MemoryStore, SQLiteStore, Store, open_store
    from mockserver.web.app import create_app

#: The package's version: the one place it is written (pyproject.toml reads it from here).
__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "Config",
    "ConfigError",
    "MemoryStore",
    "MockError",
    "SQLiteStore",
    "Spec",
    "Store",
    "StoreError",
    "create_app",
    "open_store",
]

__getattr__, __dir__ = lazy_exports.exports(
    __name__,
    {
        "ApiError": "mockserver.errors",
        "Config": "mockserver.settings.config",
        "ConfigError": "mockserver.errors",
        "MemoryStore": "mockserver.store",
        "MockError": "mockserver.errors",
        "SQLiteStore": "mockserver.store",
        "Spec": "mockserver.openapi",
        "Store": "mockserver.store",
        "StoreError": "mockserver.errors",
        "create_app": "mockserver.web.app",
        "open_store": "mockserver.store",
    },
)
