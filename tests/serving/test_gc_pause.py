"""The collector held off during start-up (mockserver.serving.gc_pause) is on afterwards, start-up's objects frozen."""

from __future__ import annotations

import gc
import json
import subprocess
import sys

import pytest

from mockserver.serving.gc_pause import collector_paused
from tests.conftest import ROOT


def test_the_pause_turns_the_collector_back_on_even_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("start-up failed")
    assert gc.isenabled()


def test_a_pause_inside_another_or_with_the_collector_off_leaves_it_off() -> None:
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


IMPORT_THE_COMMAND = """
import gc, json
import mockserver.cli
print(json.dumps([gc.isenabled(), gc.get_freeze_count() > 10000]))
"""


def test_importing_the_command_leaves_the_collector_on_and_its_imports_frozen() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_THE_COMMAND], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout) == [True, True]
