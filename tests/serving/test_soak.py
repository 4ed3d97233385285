"""A short soak in CI: ``python -m bench.soak`` for ~15 s with 8 clients, 2 workers sharing SQLite.

The full run (``make soak``, 3 minutes, 16 clients) is the same script.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_a_short_soak_has_no_5xx_and_loses_no_job(tmp_path: Path) -> None:
    report_file = tmp_path / "soak.json"
    command = [sys.executable, "-m", "bench.soak", "--duration", "15", "--clients", "8"]
    finished = subprocess.run(
        [*command, "--json", str(report_file)], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    report = json.loads(report_file.read_text())
    assert report["5xx"] == 0
    assert report["lost_jobs"] == 0
    assert report["transport_errors"] == {}
    assert report["jobs_created"] > 0
    assert report["jobs_done"] == report["jobs_created"]
    assert report["unexpected_answers"] == []
    assert report["workers_unchanged"]
    # Every kind of call was made and answered.
    calls = {call.rsplit(" ", 1)[0] for call in report["by_call"]}
    assert calls == {"fast", "conservative", "creative", "poll", "fast (invalid)", "poll (unknown id)"}
