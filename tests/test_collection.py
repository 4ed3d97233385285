"""Each test has a node id of its own, and a parallel run checks that every collected test ran (tests/collection.py)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.collection import EveryTestRan
from tests.conftest import ROOT

pytest_plugins = ["pytester"]


def test_every_test_of_this_run_has_an_id_of_its_own(request: pytest.FixtureRequest) -> None:
    """pytest-xdist tells tests apart by id alone: two tests sharing one are one test to it."""
    ids = Counter(item.nodeid for item in request.session.items)
    assert [nodeid for nodeid, count in ids.items() if count > 1] == []


def test_the_check_names_shared_ids_and_tests_that_did_not_run() -> None:
    check = EveryTestRan()
    check.pytest_xdist_node_collection_finished(None, ["t.py::a", "t.py::b", "t.py::b", "t.py::c"])
    for nodeid in ("t.py::a", "t.py::b", "t.py::b"):
        check.ran.add(nodeid)
    assert check.problems() == [
        "1 node ids shared by several tests: ['t.py::b']",
        "4 tests collected, 2 ran; not run: ['t.py::c']",
    ]
    check.collected = ["t.py::a", "t.py::b"]
    assert check.problems() == []


def test_a_parallel_run_says_that_every_collected_test_ran(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    # Only xdist and the check: the dev environment's other plugins would double the time of each worker's start.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.parametrize('n', range(5))\n"
        "def test_number(n): pass\n"
        "def test_skipped(): pytest.skip('why')\n"
    )
    result = pytester.runpytest_subprocess("-p", "xdist", "-p", "tests.collection", "-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=5, skipped=1)
    result.stdout.fnmatch_lines(["tests/collection.py: all 6 collected tests ran, each id once"])
