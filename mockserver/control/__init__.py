"""Staging and inspection: one implementation behind every door.

``local`` (:class:`MockControl`, in-process, and :class:`Controls`, the
protocol every door speaks), ``remote`` (:class:`MockAdmin`, the same methods
over the admin HTTP API) and ``scenario`` (a YAML file applied through
:class:`MockControl` at start). The admin routes, the pytest fixture and the
scenario file all call :class:`MockControl`, so every door does the same thing.

Imports: ``services`` and every layer below it. The public names load on first
use, so importing this package does not load Flask.
"""

import typing

from mockserver.util import lazy_exports

if typing.TYPE_CHECKING:
    from mockserver.control.local import Controls, Credits, JobView, MockControl
    from mockserver.control.remote import MockAdmin

__all__ = ["Controls", "Credits", "JobView", "MockAdmin", "MockControl"]

__getattr__, __dir__ = lazy_exports.exports(
    __name__,
    {
        "Controls": "mockserver.control.local",
        "Credits": "mockserver.control.local",
        "JobView": "mockserver.control.local",
        "MockAdmin": "mockserver.control.remote",
        "MockControl": "mockserver.control.local",
    },
)
