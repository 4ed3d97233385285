"""The repair of pathable's ``Subscriptable`` check answers as the protocol does."""

from __future__ import annotations

import subprocess
import sys
import typing
from collections import OrderedDict, UserDict
from pathlib import Path
from typing import Any

import pytest
from pathable.protocols import Subscriptable

from mockserver.openapi.repairs import SUBSCRIPTABLE_METHODS, QuickSubscriptable


class _NoLength:
    def __getitem__(self, key: Any) -> Any:
        return key

    def __contains__(self, key: Any) -> bool:
        return True


class _Blocked(dict[str, Any]):
    __len__ = None  # type: ignore[assignment]


class _Dynamic:
    def __getattr__(self, name: str) -> Any:
        return lambda *args: 0


NODES = [
    {}, {"a": 1}, [], [1], (), "text", b"bytes", 1, 1.5, None, True, object(), OrderedDict(), UserDict(),
    range(3), Path("/"), _NoLength(), _Blocked(), _Dynamic(), {1, 2}, frozenset(),
]  # fmt: skip


def test_the_methods_are_the_protocols() -> None:
    assert set(SUBSCRIPTABLE_METHODS) == typing._get_protocol_attrs(Subscriptable)  # type: ignore[attr-defined]


@pytest.mark.parametrize("node", NODES, ids=lambda node: type(node).__name__)
def test_the_quick_check_answers_as_the_protocol_does(node: Any) -> None:
    if sys.version_info >= (3, 12):
        pytest.skip("the repair applies on Python 3.11 only")
    assert isinstance(node, QuickSubscriptable) == isinstance(node, Subscriptable)


#: Run in a fresh interpreter: which class pathable's accessors ask after ``setup`` and a validated call.
PROBE = """
from pathable import accessors
from mockserver import Config, MemoryStore, create_app
{setup}
client = app.test_client()
assert client.post("/v2beta/stable-image/upscale/fast", headers={{"Authorization": "Bearer k"}}).status_code == 400
print(accessors.Subscriptable.__module__, accessors.Subscriptable.__qualname__)
"""


def _asked_after(setup: str) -> str:
    code = PROBE.format(setup=setup)
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def test_a_process_that_builds_the_app_or_runs_the_plugin_keeps_pathable_as_shipped() -> None:
    """The repair replaces a name in pathable's module: in a user's pytest process it would change pathable there."""
    setup = "import contract_tests.plugin\napp = create_app(Config(store='memory://'), store=MemoryStore())"
    assert _asked_after(setup) == "pathable.protocols Subscriptable"


def test_the_servers_own_process_uses_the_quick_check_on_python_3_11() -> None:
    setup = (
        "from mockserver.serving.server import GunicornServer\n"
        "config = Config(store='memory://')\n"
        "app = create_app(config, store=MemoryStore())\n"
        "GunicornServer(app, config)"
    )
    expected = (
        "mockserver.openapi.repairs QuickSubscriptable"
        if sys.version_info < (3, 12)
        else "pathable.protocols Subscriptable"
    )
    assert _asked_after(setup) == expected
