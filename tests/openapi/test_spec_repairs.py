"""The repair of pathable's ``Subscriptable`` check answers as the protocol does."""

from __future__ import annotations

import sys
import typing
from collections import OrderedDict, UserDict
from pathlib import Path
from typing import Any

import pytest
from pathable import accessors
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


def test_pathable_uses_it_on_python_3_11() -> None:
    expected = QuickSubscriptable if sys.version_info < (3, 12) else Subscriptable
    assert accessors.Subscriptable is expected  # type: ignore[attr-defined]
