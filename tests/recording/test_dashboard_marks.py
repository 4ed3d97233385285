"""The Requests tab marks recorded and replayed calls, in a real browser (as tests/web/test_ui_browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from contract_tests.server import LiveServer
from mockserver.recording import Recorder
from mockserver.settings.config import Config
from mockserver.web.app import create_app
from tests.conftest import FIXTURES

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, expect

from tests.web.test_ui_browser import launched, open_page


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched()


def test_a_recorded_call_is_marked_and_its_disagreement_shown(browser: Browser, tmp_path: Path) -> None:
    with LiveServer.for_config(Config(store="memory://", profile="live")) as live:
        recorder = Recorder.open(live.url, tmp_path / "cassette", profile="seed", timeout=30)
        with LiveServer(create_app(Config(store="memory://"), recorder=recorder)) as server:
            answer = requests.post(
                server.url_for("/v2beta/stable-image/upscale/conservative"),
                headers={"Authorization": "Bearer sk-dashboard", "Accept": "image/*"},
                files={"image": ("sample.png", (FIXTURES / "sample.png").read_bytes(), "image/png")},
                data={"prompt": "a red kite"},
                timeout=60,
            )
            assert answer.status_code == 200
            for page in open_page(browser, server.url + "/"):
                page.click("[data-tab=requests]")
                row = page.locator("#requests-table tbody tr")
                expect(row).to_have_count(1)
                expect(row.locator(".source")).to_have_text("recorded")
                row.click()
                detail = page.locator("#request-detail")
                expect(detail).to_contain_text("Recorded: passed to the upstream and written to the cassette")
                expect(detail).to_contain_text("00001-upscaleImageConservative-200.json")
                expect(detail).to_contain_text("the answer disagrees with the document")
                # The upstream's image, as the mock's own answers show theirs.
                expect(detail.locator("figure").last).to_contain_text("PNG")
                page.screenshot(path=str(tmp_path / "recorded.png"), full_page=True)
