"""The HTML report in a real browser: the verdict, the differences and each probe's answers read at a glance."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mockserver.drift.budget import plan
from mockserver.drift.compare import compare
from mockserver.drift.known import Known, apply_known
from mockserver.drift.page import render_html
from mockserver.drift.probes import catalogue, paid_probes
from mockserver.drift.report import table
from mockserver.drift.runner import SENT, DriftOptions, ProbeRun, Report
from tests.conftest import ROOT
from tests.drift.test_comparison import image_answer, job_answer

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect

from tests.web.test_ui_browser import launched


def sample_report() -> Report:
    """Conservative sync upstream, async mock; one known difference, one stale entry; the rest agree."""
    probes = {probe.name: probe for probe in catalogue()}
    runs = []
    for name in ("fast", "conservative", "creative"):
        upstream = image_answer(3112, 3112) if name == "conservative" else job_answer(3152)
        mock = job_answer(2048) if name != "fast" else job_answer(3152)
        if name == "fast":
            upstream = mock = image_answer(256, 256)
        runs.append(ProbeRun(probes[name], upstream, mock, tuple(compare(name, upstream, mock))))
    known = [Known("creative", "result.size", "accepted"), Known("fast", "status", "fast once answered 500")]
    marked, stale, _ = apply_known([d for run in runs for d in run.differences], known, set(probes), set(probes))
    runs = [
        ProbeRun(run.probe, run.upstream, run.mock, tuple(d for d in marked if d.probe == run.probe.name))
        for run in runs
    ]
    options = DriftOptions("https://upstream.example", "sk-never-shown", budget=102)
    return Report(options, plan(paid_probes(), 102), SENT, runs, stale, seconds=1.5)


def test_the_report_names_the_verdict_and_each_difference_in_a_browser(tmp_path: Path) -> None:
    report = sample_report()
    page_file = tmp_path / "drift.html"
    page_file.write_text(render_html(report), "utf-8")
    assert "sk-never-shown" not in page_file.read_text("utf-8")
    assert "conservative  mode" in table(report)
    for browser in launched():
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(page_file.as_uri())
        expect(page.locator(".banner h1")).to_have_text("2 unexplained differences")
        expect(page.locator(".banner")).to_contain_text("1 high, 1 low")
        row = page.locator("tbody tr", has_text="sync: 200 image/png")
        expect(row).to_contain_text("conservative")
        expect(row.locator(".sev")).to_have_text("high")
        expect(row.locator(".tag")).to_have_text("differs")
        expect(page.locator("tr.known", has_text="creative")).to_contain_text("accepted")
        expect(page.locator("ul.stale")).to_contain_text("fast / status: fast once answered 500")
        page.locator("summary", has_text="conservative").click()
        expect(page.locator("details[open] .sides")).to_contain_text('"size": "3112x3112"')
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(tmp_path / "drift-report.png"), full_page=True)
        if os.environ.get("STABILITY_MOCK_UPDATE_DOCS_SHOTS") == "1":
            shutil.copy(tmp_path / "drift-report.png", ROOT / "docs" / "drift-report.png")
