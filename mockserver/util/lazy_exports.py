"""PEP 562 lazy exports: a package's public names load their module on first use.

The pytest plugin (``contract_tests.plugin``) is imported by every pytest run of a
project that installs this package, and importing it imports the ``contract_tests``
and ``mockserver`` packages. Eager re-exports there would load Flask, openapi-core,
Pillow and hypothesis into test runs that never use the mock.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def exports(package: str, sources: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, whose public ``name`` is defined in module
    ``sources[name]``; a name is imported once, then kept in the package like an eager import."""

    def __getattr__(name: str) -> Any:
        try:
            source = sources[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(source), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *sources})

    return __getattr__, __dir__
