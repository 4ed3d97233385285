"""Every collected test has an id of its own, and under pytest-xdist every one of them runs.

pytest-xdist tells tests apart by node id only: two items with one id are one test to it,
and the run ends green with fewer tests than were collected. That happened here (pytest
9.2 with Schemathesis, see :func:`pytest_collection_modifyitems`), so the suite checks it
on every parallel run (:class:`EveryTestRan`) instead of trusting the count by eye.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

try:
    from _pytest.nodeid import NodeId
except ImportError:  # pytest before 9.2 built each id from the item's full name itself
    NodeId = None  # type: ignore[assignment, misc]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give each item the id its name says, where the two disagree.

    pytest 9.2 builds a function's id from its ``originalname`` and its parameters, and
    Schemathesis names each operation's item ``test[POST /path]`` but passes the bare
    function name as ``originalname``: all operations of one test shared one id, and
    xdist ran one of them per id (31 of the 34 Schemathesis items were lost).
    """
    if NodeId is None:
        return
    for item in items:
        if item.parent is not None and item.nodeid.rpartition("::")[2] != item.name:
            item._id = NodeId.parse(f"{item.parent.nodeid}::{item.name}")


class EveryTestRan:
    """On the xdist controller: fail the run when the tests that ran are not the tests collected."""

    def __init__(self) -> None:
        self.collected: list[str] | None = None
        self.ran: set[str] = set()

    @pytest.hookimpl
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        # xdist itself refuses workers whose collections differ, so the first one stands for all.
        if self.collected is None:
            self.collected = list(ids)

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            self.ran.add(report.nodeid)

    def problems(self) -> list[str]:
        collected = self.collected or []
        shared = sorted(test for test, count in Counter(collected).items() if count > 1)
        found = [f"{len(shared)} node ids shared by several tests: {shared[:5]}"] if shared else []
        if len(self.ran) != len(collected):
            missing = sorted(set(collected) - self.ran)
            found.append(f"{len(collected)} tests collected, {len(self.ran)} ran; not run: {missing[:5]}")
        return found

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus != pytest.ExitCode.OK or self.collected is None:
            return
        problems = self.problems()
        if problems:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        reporter.line("")  # after the progress line, which xdist leaves open
        for problem in problems:
            reporter.write_line(f"tests/collection.py: {problem}", red=True, bold=True)
        if not problems:
            reporter.write_line(f"tests/collection.py: all {len(self.ran)} collected tests ran, each id once")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """After every plugin's ``pytest_configure``: only then is xdist's controller (``dsession``) known."""
    if session.config.pluginmanager.hasplugin("dsession"):
        session.config.pluginmanager.register(EveryTestRan(), "every-test-ran")
