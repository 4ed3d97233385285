"""stability-upscale-mock: a local stand-in for Stability AI's Stable Image Upscale API.

The public names load on first use (see :mod:`mockserver.lazy`), so importing a
light module such as ``mockserver.config`` does not pull in Flask and openapi-core.
"""

import typing

from mockserver import lazy

if typing.TYPE_CHECKING:
    from mockserver.app import create_app
    from mockserver.config import Config
    from mockserver.errors import ApiError, ConfigError, MockError, StoreError
    from mockserver.spec import Spec
    from mockserver.store import MemoryStore, SQLiteStore, Store, open_store

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

__getattr__, __dir__ = lazy.exports(
    __name__,
    {
        "ApiError": "mockserver.errors",
        "Config": "mockserver.config",
        "ConfigError": "mockserver.errors",
        "MemoryStore": "mockserver.store",
        "MockError": "mockserver.errors",
        "SQLiteStore": "mockserver.store",
        "Spec": "mockserver.spec",
        "Store": "mockserver.store",
        "StoreError": "mockserver.errors",
        "create_app": "mockserver.app",
        "open_store": "mockserver.store",
    },
)
