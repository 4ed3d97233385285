"""``--stability-mock-coverage``: the behaviours a pytest session's calls to the mock met, in one report.

Each test's ``stability_mock`` is measured as it ends (its journal is reset when
the next test starts). Under pytest-xdist every worker measures its own tests and
hands its part to the controller through ``workeroutput``; the controller sums
the parts (:meth:`mockserver.coverage.Coverage.merged`), so ``-n 2`` reports what
one process would have.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from contract_tests.handle import StabilityMock
    from mockserver.coverage import Coverage

#: Where the report goes when the option is given without a file.
DEFAULT_FILE = "stability-mock-coverage.json"
#: The ``workeroutput`` entry a pytest-xdist worker leaves its part in.
WORKER_OUTPUT = "stability_mock_coverage"


class SessionCoverage:
    """The session's coverage so far (a pytest plugin object: its hooks write and print it)."""

    def __init__(self, config: pytest.Config, path: Path) -> None:
        self.config = config
        self.path = path
        #: Per profile, in the order first measured: a session may run seed and live servers side by side.
        self.parts: dict[str, Coverage] = {}
        self.written: list[Path] = []

    def add(self, mock: StabilityMock) -> None:
        """Measure what ``mock``'s journal shows now (call it before the journal is reset).

        A mock shared through ``--stability-mock-url`` measures itself, over its admin API, for
        this test's key alone: the journal there holds every test's calls.
        """
        from mockserver.control.local import MockControl
        from mockserver.control.remote import MockAdmin
        from mockserver.coverage import Coverage

        if isinstance(mock.control, MockAdmin):
            # Measured for the test's key; the session's report is every test's, so of no one key.
            part = Coverage.from_json(mock.control.coverage(key=mock.api_key))
            self._merge(dataclasses.replace(part, key=None))
            return
        assert isinstance(mock.control, MockControl)
        self._merge(Coverage.of_server(mock.control))

    def _merge(self, part: Coverage) -> None:
        before = self.parts.get(part.profile)
        self.parts[part.profile] = part if before is None else before.merged(part)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-xdist, on the controller: a worker finished; add its part."""
        from mockserver.coverage import Coverage

        for data in json.loads(node.workeroutput.get(WORKER_OUTPUT, "[]")):
            self._merge(Coverage.from_json(data))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(self.config, "workeroutput"):
            self.config.workeroutput[WORKER_OUTPUT] = json.dumps([part.as_json() for part in self.parts.values()])
            return
        for index, part in enumerate(self.parts.values()):
            # The first profile measured gets the file asked for; another, if any, a file named after it.
            path = self.path if index == 0 else self.path.with_suffix(f".{part.profile}{self.path.suffix}")
            part.save(path)
            self.written.append(path)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        from mockserver.coverage import summary

        if hasattr(self.config, "workerinput"):
            return
        terminalreporter.section("stability-mock coverage")
        if not self.parts:
            terminalreporter.write_line("no test used the stability_mock fixtures: nothing measured, no file written")
        for part, path in zip(self.parts.values(), self.written, strict=True):
            terminalreporter.write_line(summary(part))
            gaps_hint = f"stability-mock coverage {path}"
            terminalreporter.write_line(f"written to {path}; its gaps, and how to reach each: {gaps_hint}")


__all__ = ["DEFAULT_FILE", "SessionCoverage"]
