"""stability-upscale-mock: a local stand-in for Stability AI's Stable Image Upscale API."""

from mockserver.app import create_app
from mockserver.config import Config
from mockserver.errors import ApiError, ConfigError, MockError, StoreError
from mockserver.spec import Spec
from mockserver.store import MemoryStore, SQLiteStore, Store, open_store

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
