"""The dashboard in a real browser: Playwright driving Debian's chromium against a live mock.

One browser and one server for the module (a fresh browser context and a reset mock per
test) keep the whole file to a few seconds a tab. Each test does what a person would: pick
an image from ``fixtures/``, press the buttons, and read what the page shows. A screenshot of
each tab lands in the session's temporary folder (``dashboard-shots``); with
``STABILITY_MOCK_UPDATE_DOCS_SHOTS=1`` they are copied over the README's, in ``docs/``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from contract_tests.server import LiveServer
from mockserver import Config, MemoryStore, create_app
from mockserver.pipeline.auth import fingerprint
from tests.conftest import ROOT, SMALL_TARGET, poll, start_job

# Playwright is a dev extra: without it this file is skipped, so it is imported only after the check.
pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect, sync_playwright

FIXTURES = ROOT / "fixtures"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
KEY = "sk-browser-test"
#: The key the page fills in (mockserver/web/ui/js/api.js).
DEMO_KEY = "sk-dashboard-demo"
TOKEN = "dash-s3cret"
#: Generous for a loaded 2-core machine; the page itself refreshes every 0.7 s.
WAIT_MS = 10_000
expect.set_options(timeout=WAIT_MS)
#: How the page writes sizes: width, multiplication sign, height.
BY = "\N{MULTIPLICATION SIGN}"


def launched(*args: str) -> Iterator[Browser]:
    """Debian's chromium under Playwright, with ``args`` besides the usual; skipped where it is missing (not in CI)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing, and CI must run the browser tests (see .ci/run)", pytrace=False)
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); browser tests skipped")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *args])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched()


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    app = create_app(Config(store="memory://", target_pixels=SMALL_TARGET), store=MemoryStore())
    with LiveServer(app) as live:
        yield live


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dashboard-shots")


def open_page(browser: Browser, url: str) -> Iterator[Page]:
    """A fresh context (its own sessionStorage) on ``url``; the test fails on any script error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    yield page
    context.close()
    assert not errors, f"script errors in the page: {errors}"


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    server.control.reset()
    yield from open_page(browser, server.url + "/")


def shoot(page: Page, shots: Path, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(shots / f"dashboard-{name}.png"), full_page=full_page)
    if os.environ.get("STABILITY_MOCK_UPDATE_DOCS_SHOTS") == "1":
        shutil.copy(shots / f"dashboard-{name}.png", ROOT / "docs" / f"dashboard-{name}.png")


def choose(page: Page, operation: str, image: Path | None = None, **fields: str) -> None:
    page.locator(f'#play-operations input[value="{operation}"]').check()
    page.fill("#play-key", KEY)
    if image is not None:
        page.set_input_files("#play-image", str(image))
    for name, value in fields.items():
        control = page.locator(f"#play-field-{name}")
        if control.evaluate("node => node.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)


def send(page: Page) -> None:
    page.click("#play-send")
    expect(page.locator("#play-send")).to_be_enabled()


def ticks(page: Page) -> list[str]:
    return page.locator("#play-ticks li").all_inner_texts()


# Playground -------------------------------------------------------------------


def test_a_browser_lands_on_the_dashboard_and_fast_upscales_a_fixture(page: Page, shots: Path) -> None:
    assert page.url.endswith("/_mock/ui/")
    choose(page, "fast", FIXTURES / "sample.png", output_format="webp")
    send(page)
    expect(page.locator("#play-result")).to_be_visible()
    # sample.png is 256x256; fast is 4x each side.
    expect(page.locator("#before-info")).to_have_text(f"256{BY}256 · PNG · 2.0 KiB")
    after = page.inner_text("#after-info")
    assert re.fullmatch(rf"1024{BY}1024 · WEBP · [\d.]+ KiB · seed \d+ · finish-reason SUCCESS", after), after
    assert page.get_attribute("#download-link", "download") == "upscaled.webp"
    href = page.get_attribute("#download-link", "href")
    assert href is not None and href.startswith("blob:")
    curl = page.inner_text("#play-curl")
    assert f"Authorization: Bearer {KEY}" in curl and "-F image=@sample.png" in curl and "-F output_format=webp" in curl
    assert ticks(page) == ["POST /v2beta/stable-image/upscale/fast → 200"]
    page.click("#slider-view summary")
    page.fill("#slider-cut", "25")
    assert page.eval_on_selector("#slider-before", "img => img.style.clipPath") == "inset(0px 75% 0px 0px)"
    assert page.eval_on_selector("#slider-after", "img => img.naturalWidth") == 1024


DROP = """([name, type, bytes]) => {
    const files = new DataTransfer();
    files.items.add(new File([new Uint8Array(bytes)], name, { type }));
    const zone = document.getElementById("drop-zone");
    zone.dispatchEvent(new DragEvent("drop", { dataTransfer: files, bubbles: true, cancelable: true }));
}"""


def test_an_image_dropped_on_the_page_is_the_one_sent(page: Page) -> None:
    choose(page, "fast")
    page.evaluate(DROP, ["sample.webp", "image/webp", list((FIXTURES / "sample.webp").read_bytes())])
    expect(page.locator("#drop-zone")).to_have_attribute("data-file", re.compile(r"^sample\.webp \("))
    send(page)
    expect(page.locator("#before-info")).to_contain_text(f"256{BY}256 · WEBP")
    expect(page.locator("#after-info")).to_contain_text(f"1024{BY}1024 · PNG")


def test_a_creative_job_ticks_its_202s_until_the_200(page: Page, server: LiveServer, shots: Path) -> None:
    server.control.update_settings(pending_polls=2)
    choose(page, "creative", FIXTURES / "sample.jpg", prompt="a yellow sun", seed="42", output_format="jpeg")
    send(page)
    expect(page.locator("#play-result")).to_be_visible()
    shown = ticks(page)
    assert shown[0] == "POST /v2beta/stable-image/upscale/creative → 200"
    assert shown[1].startswith("generation ")
    assert [re.sub(r"/results/\w+…", "/results/…", line) for line in shown[2:]] == [
        "GET /v2beta/results/… → 202",
        "GET /v2beta/results/… → 202",
        "GET /v2beta/results/… → 200",
    ]
    assert "seed 42 · finish-reason SUCCESS" in page.inner_text("#after-info")
    assert "JPEG" in page.inner_text("#after-info")
    shoot(page, shots, "playground")


def test_bad_input_shows_the_apis_own_error_next_to_the_field(page: Page, tmp_path: Path) -> None:
    choose(page, "creative", FIXTURES / "sample.png", prompt="a cat", creativity="0.9")
    send(page)
    expect(page.locator('[data-error-for="creativity"]')).to_have_text("creativity: must be ≤ 0.5")
    expect(page.locator("#play-errors")).to_contain_text("400 bad_request")

    choose(page, "fast", FIXTURES / "not-supported.gif")
    send(page)
    image_error = page.locator('[data-error-for="image"]')
    expect(image_error).to_contain_text("image: ")
    expect(page.locator('[data-error-for="creativity"]')).to_have_count(0)  # fast has no such field

    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(10 * 1024 * 1024 + 1))
    choose(page, "fast", big)
    send(page)
    expect(image_error).to_have_text("body: payloads cannot be larger than 10MiB in size")
    expect(page.locator("#play-errors")).to_contain_text("413 payload_too_large")

    # Nothing broke: a good image goes through, and the old errors are gone.
    choose(page, "fast", FIXTURES / "sample.webp")
    send(page)
    expect(page.locator("#play-result")).to_be_visible()
    expect(image_error).to_have_text("")
    expect(page.locator("#play-errors")).to_be_hidden()


# Requests ----------------------------------------------------------------------


def test_a_call_appears_in_the_journal_within_a_second(page: Page, server: LiveServer, shots: Path) -> None:
    page.click("[data-tab=requests]")
    expect(page.locator("#requests-count")).to_have_text("0 shown, newest first")
    image = (FIXTURES / "sample.png").read_bytes()
    fast = requests.post(
        server.url_for("/v2beta/stable-image/upscale/fast"),
        headers={"Authorization": f"Bearer {KEY}"},
        files={"image": ("sample.png", image, "image/png")},
        timeout=30,
    )
    answer = requests.post(
        server.url_for("/v2beta/stable-image/upscale/creative"),
        headers={"Authorization": f"Bearer {KEY}"},
        files={"image": ("sample.png", image, "image/png")},
        data={"prompt": "", "seed": "7"},
        timeout=30,
    )
    assert (fast.status_code, answer.status_code) == (200, 400)
    rows = page.locator("#requests-table tbody tr")
    # The page refreshes every 0.7 s: a second, plus slack for a busy 2-core CI machine.
    expect(rows).to_have_count(2, timeout=2000)
    row = page.locator("#requests-table tbody tr.invalid")
    expect(row).to_contain_text("upscaleImageCreative")
    expect(row).to_contain_text("400")
    expect(row).to_contain_text("invalid")
    row.click()
    detail = page.locator("#request-detail")
    expect(detail).to_contain_text("prompt: must not be empty")
    expect(detail).to_contain_text(f"256{BY}256 · PNG")
    headers = detail.locator("table.kv").last.inner_text()
    assert KEY not in headers and "Bearer key_" in headers  # the key is redacted to its fingerprint
    # The refused call's upload is a picture: its thumbnail; nothing was delivered.
    thumbnails_rendered(page, "input")
    expect(detail).to_contain_text("nothing delivered")
    rows.filter(has_text="upscaleImageFast").click()
    thumbnails_rendered(page, "input", "output")
    expect(detail).to_contain_text(f"1024{BY}1024 · PNG")
    shoot(page, shots, "requests")

    page.select_option("#requests-filters select[name=valid]", "true")
    expect(row).to_have_count(0)
    expect(rows).to_have_count(1)
    page.select_option("#requests-filters select[name=valid]", "false")
    page.fill("#requests-filters input[name=status]", "400")
    expect(row).to_have_count(1)
    page.fill("#requests-filters input[name=status]", "200")
    expect(row).to_have_count(0)
    page.fill("#requests-filters input[name=status]", "")
    page.fill("#requests-filters input[name=key]", fingerprint(KEY))
    expect(row).to_have_count(1)
    page.fill("#requests-filters input[name=key]", "sk-someone-else")
    expect(row).to_have_count(0)


def thumbnails_rendered(page: Page, *kinds: str) -> None:
    """Wait until the open row's thumbnails of ``kinds`` are decoded images (made after the call, fetched)."""
    for kind in kinds:
        page.wait_for_function(
            "kind => { const img = document.querySelector(`#request-detail img[data-thumbnail=${kind}]`);"
            " return img !== null && !img.hidden && img.complete && img.naturalWidth > 0; }",
            arg=kind,
        )


# Stage --------------------------------------------------------------------------


def test_a_429_staged_in_stage_is_what_the_next_playground_call_gets(page: Page, shots: Path) -> None:
    page.click("[data-tab=stage]")
    form = page.locator("#fault-form")
    form.locator("select[name=operation]").select_option("upscaleImageFast")
    form.locator("select[name=status]").select_option("429")
    expect(form.locator("[data-curl]")).to_contain_text(
        """-d '{"operation":"upscaleImageFast","status":429}' http://127.0.0.1:"""
    )
    expect(form.locator("[data-pytest]")).to_have_text(
        'stability_mock.add_fault(operation="upscaleImageFast", status=429)'
    )
    form.locator("button[type=submit]").click()
    expect(page.locator("#faults-list")).to_contain_text("upscaleImageFast · status 429 · fired 0/1")
    shoot(page, shots, "stage")

    page.click("[data-tab=playground]")
    choose(page, "fast", FIXTURES / "sample.png")
    send(page)
    assert ticks(page) == ["POST /v2beta/stable-image/upscale/fast → 429"]
    expect(page.locator("#play-errors")).to_contain_text("429")
    send(page)  # the fault fired once: the next call is served
    expect(page.locator("#play-result")).to_be_visible()


def test_a_public_figure_422_is_staged_from_stage(page: Page) -> None:
    page.click("[data-tab=stage]")
    form = page.locator("#fault-form")
    form.locator("select[name=operation]").select_option("upscaleImageFast")
    form.locator("select[name=status]").select_option("422")
    form.locator("select[name=error]").select_option("public_figure")
    expect(form.locator("[data-pytest]")).to_have_text(
        'stability_mock.add_fault(operation="upscaleImageFast", status=422, error="public_figure")'
    )
    form.locator("button[type=submit]").click()
    expect(page.locator("#faults-list")).to_contain_text("upscaleImageFast · status 422")
    page.click("[data-tab=playground]")
    choose(page, "fast", FIXTURES / "sample.png")
    send(page)
    expect(page.locator("#play-errors")).to_contain_text("422 public_figure")
    expect(page.locator("#play-errors")).to_contain_text("likeness of a public figure")


def test_stage_sets_the_timing_preset_from_its_menu(page: Page, server: LiveServer) -> None:
    page.click("[data-tab=stage]")
    form = page.locator("#settings-form")
    timing = form.locator("select[name=timing]")
    expect(timing).to_have_value("instant")
    assert timing.locator("option").all_inner_texts() == ["instant", "live"]
    timing.select_option("live")
    form.locator("input[name=timing_scale]").fill("0.1")
    expect(form.locator("[data-pytest]")).to_have_text(
        'stability_mock.update_settings(timing="live", timing_scale=0.1)'
    )
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-curl]")).to_contain_text("-d '{}'")  # applied: nothing left to change
    settings = server.control.settings()
    assert (settings.timing, settings.timing_scale) == ("live", 0.1)


def test_stage_refuses_bad_values_with_the_admin_apis_error(page: Page, server: LiveServer) -> None:
    page.click("[data-tab=stage]")
    form = page.locator("#settings-form")
    form.locator("input[name=pending_polls]").fill("3")
    expect(form.locator("[data-pytest]")).to_have_text("stability_mock.update_settings(pending_polls=3)")
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-curl]")).to_contain_text("-d '{}'")  # applied: nothing left to change
    assert server.control.settings().pending_polls == 3
    form.locator("input[name=rate_limit]").fill("lots")
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-errors]")).to_contain_text("rate_limit")
    assert server.control.settings().rate_limit is None

    faults = page.locator("#fault-form")
    faults.locator("input[name=job_seconds]").fill("100000")
    expect(faults.locator("[data-pytest]")).to_have_text(
        'stability_mock.add_fault(operation="*", job={"job_seconds": 100000})'
    )
    faults.locator("button[type=submit]").click()
    expect(faults.locator("[data-errors]")).to_contain_text("400 bad_request")
    expect(faults.locator("[data-errors] li")).to_contain_text("job_seconds")
    expect(page.locator("#faults-list")).to_have_text("none queued")


def test_credits_and_reset_from_stage(page: Page, server: LiveServer) -> None:
    page.click("[data-tab=stage]")
    credits = page.locator("#credits-form")
    expect(credits.locator("input[name=key]")).to_have_value(DEMO_KEY)
    credits.locator("input[name=balance]").fill("3")
    expect(credits.locator("[data-pytest]")).to_have_text(f'stability_mock.set_credits("{DEMO_KEY}", 3)')
    credits.get_by_role("button", name="Set balance").click()
    expect(credits.locator("[data-result]")).to_have_text(f"{fingerprint(DEMO_KEY)}: 3")
    assert server.control.credits(DEMO_KEY).balance == 3

    reset = page.locator("#reset-form")
    reset.get_by_role("button", name="Reset the mock").click()
    expect(reset.locator("[data-result]")).to_contain_text("done at")
    assert server.control.credits(DEMO_KEY).balance is None
    credits.get_by_role("button", name="Read balance").click()
    expect(credits.locator("[data-result]")).to_have_text(f"{fingerprint(DEMO_KEY)}: credits off")


# Staging for one key ---------------------------------------------------------------


OTHER_KEY = "sk-browser-other"


def test_a_fault_staged_for_one_key_and_every_list_filtered_by_key(page: Page, server: LiveServer, shots: Path) -> None:
    page.click("[data-tab=stage]")
    form = page.locator("#fault-form")
    form.locator("select[name=operation]").select_option("upscaleImageFast")
    form.locator("select[name=status]").select_option("429")
    form.locator("input[name=key]").fill(KEY)
    expect(form.locator("[data-pytest]")).to_have_text(
        f'stability_mock.add_fault(operation="upscaleImageFast", status=429, key="{KEY}")'
    )
    expect(form.locator("[data-curl]")).to_contain_text(f'"key":"{KEY}"')
    form.locator("button[type=submit]").click()
    queued = page.locator("#faults-list")
    expect(queued).to_contain_text(f"upscaleImageFast · status 429 · fired 0/1 · for {fingerprint(KEY)}")
    server.control.add_fault(operation="upscaleImageFast", status=503, key=OTHER_KEY)
    page.fill("#faults-key", KEY)
    expect(queued.locator("li")).to_have_count(1)
    expect(queued).not_to_contain_text("503")
    expect(page.locator("#faults-clear")).to_have_text("Delete this key's")
    shoot(page, shots, "sessions")
    page.fill("#faults-key", "sk-nobody")
    expect(queued).to_have_text("none queued for this key")
    page.fill("#faults-key", "")
    expect(queued.locator("li")).to_have_count(2)

    # Another key's call is served; the key's own gets its 429.
    page.click("[data-tab=playground]")
    choose(page, "fast", FIXTURES / "sample.png")
    page.fill("#play-key", OTHER_KEY + "-3")
    send(page)
    expect(page.locator("#play-result")).to_be_visible()
    page.fill("#play-key", KEY)
    send(page)
    expect(page.locator("#play-errors")).to_contain_text("429")

    page.click("[data-tab=requests]")
    rows = page.locator("#requests-table tbody tr")
    expect(rows).to_have_count(2)
    page.locator("#requests-filters input[name=key]").fill(KEY)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("429")

    server.control.add_fault(operation="upscaleImageCreative", job={"pending_polls": None}, key=KEY)
    mine = start_job(server.url, {"Authorization": f"Bearer {KEY}"})
    theirs = start_job(server.url, {"Authorization": f"Bearer {OTHER_KEY}"})
    page.click("[data-tab=jobs]")
    jobs = page.locator("#jobs-table tbody tr")
    expect(jobs).to_have_count(2)
    page.locator("#jobs-filters input[name=key]").fill(fingerprint(OTHER_KEY))
    expect(jobs).to_have_count(1)
    expect(page.locator(f'#jobs-table tr[data-job-id="{theirs}"]')).to_be_visible()
    page.locator("#jobs-filters input[name=key]").fill(KEY)
    expect(page.locator(f'#jobs-table tr[data-job-id="{mine}"]')).to_contain_text("never-finishing")
    expect(page.locator("#jobs-count")).to_have_text("1 of this key")


# Jobs ----------------------------------------------------------------------------


def test_a_never_ending_job_is_completed_from_jobs(page: Page, shots: Path) -> None:
    page.click("[data-tab=stage]")
    form = page.locator("#fault-form")
    form.locator("select[name=operation]").select_option("upscaleImageCreative")
    form.locator("input[name=job_never]").check()
    expect(form.locator("[data-pytest]")).to_have_text(
        'stability_mock.add_fault(operation="upscaleImageCreative", job={"pending_polls": None})'
    )
    form.locator("button[type=submit]").click()
    expect(page.locator("#faults-list")).to_contain_text("never finishes")

    page.click("[data-tab=playground]")
    choose(page, "creative", FIXTURES / "sample.png", prompt="a yellow sun")
    page.click("#play-send")
    expect(page.locator("#play-ticks li.wait").nth(2)).to_be_visible()  # still 202 after three polls

    page.click("[data-tab=jobs]")
    row = page.locator("#jobs-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("never-finishing")
    expect(row).to_contain_text("never finishes, then success")
    shoot(page, shots, "jobs")
    row.get_by_role("button", name="Complete").click()
    expect(row).to_contain_text("ready")

    page.click("[data-tab=playground]")
    expect(page.locator("#play-result")).to_be_visible()
    assert ticks(page)[-1].endswith("→ 200")


def test_fail_from_jobs_makes_the_next_poll_a_500(page: Page, server: LiveServer) -> None:
    server.control.add_fault(operation="upscaleImageCreative", job={"pending_polls": None})
    headers = {"Authorization": f"Bearer {KEY}"}
    generation = start_job(server.url, headers)
    page.click("[data-tab=jobs]")
    row = page.locator(f'#jobs-table tr[data-job-id="{generation}"]')
    expect(row).to_contain_text("never-finishing")
    row.get_by_role("button", name="Fail").click()
    expect(row).to_contain_text("failing")
    expect(row.get_by_role("button", name="Fail")).to_be_disabled()
    assert poll(server.url, generation, headers).status_code == 500


# API reference ----------------------------------------------------------------------


def test_the_reference_renders_the_spec_and_try_it_calls_this_mock(page: Page, shots: Path) -> None:
    page.click("[data-tab=reference]")
    frame = page.frame_locator("#reference-frame")
    expect(frame.locator(".info .title")).to_contain_text("Stability AI Stable Image Upscale API")
    expect(frame.locator(".servers select")).to_contain_text("This mock server")
    shoot(page, shots, "reference")
    operation = frame.locator("#operations-Results-getUpscaleResult")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator("input[placeholder=id]").fill("no-such-generation")
    operation.get_by_role("button", name="Execute").click()
    live = operation.locator(".live-responses-table tbody .response-col_status")
    expect(live).to_have_text("404", use_inner_text=True)
    expect(operation.locator(".live-responses-table")).to_contain_text("generation_not_found")


# The token-guarded mock ----------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded() -> Iterator[LiveServer]:
    app = create_app(Config(store="memory://", target_pixels=SMALL_TARGET, admin_token=TOKEN), store=MemoryStore())
    with LiveServer(app) as live:
        yield live


def test_a_guarded_mock_asks_for_the_token_once(browser: Browser, guarded: LiveServer) -> None:
    for page in open_page(browser, guarded.url + "/_mock/ui/#requests"):
        banner = page.locator("#token-form")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("authorization: the admin token is missing or wrong")
        page.fill("#token-input", "wrong")
        page.click("#token-form button")
        expect(banner).to_be_visible()  # the next refresh is refused again
        page.fill("#token-input", TOKEN)
        page.click("#token-form button")
        expect(banner).to_be_hidden()
        requests.get(guarded.url_for("/nowhere"), timeout=10)
        expect(page.locator("#requests-table tbody tr")).to_contain_text("/nowhere")
        # Thumbnails are admin data too: fetched with the token the page keeps.
        requests.post(
            guarded.url_for("/v2beta/stable-image/upscale/fast"),
            headers={"Authorization": f"Bearer {KEY}"},
            files={"image": ("sample.png", (FIXTURES / "sample.png").read_bytes(), "image/png")},
            timeout=30,
        )
        page.locator("#requests-table tbody tr", has_text="upscaleImageFast").click()
        thumbnails_rendered(page, "input", "output")
        # Kept for the tab: other tabs and a reload need no second entry.
        page.click("[data-tab=stage]")
        expect(page.locator("#settings-fields input[name=pending_polls]")).to_have_value("1")
        expect(page.locator("#fault-form [data-curl]")).to_contain_text("X-Admin-Token: $STABILITY_MOCK_ADMIN_TOKEN")
        assert TOKEN not in page.inner_text("#fault-form")
        page.reload()
        page.click("[data-tab=jobs]")
        expect(page.locator("#jobs-empty")).to_be_visible()
        expect(banner).to_be_hidden()


# The live profile ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_profile() -> Iterator[LiveServer]:
    app = create_app(Config(store="memory://", target_pixels=SMALL_TARGET, profile="live"), store=MemoryStore())
    with LiveServer(app) as live:
        yield live


def test_the_playground_follows_the_profile_in_force(browser: Browser, live_profile: LiveServer) -> None:
    """Under ``--profile live`` conservative answers the image at once: the form says so, and no poll is made."""
    for page in open_page(browser, live_profile.url + "/_mock/ui/"):
        conservative = page.locator("#play-operations label", has=page.locator("input[value=conservative]"))
        expect(conservative).to_contain_text("sync")
        choose(page, "conservative", FIXTURES / "wide-320x128.png", prompt="a lighthouse at dusk", creativity="0.2")
        send(page)
        expect(page.locator("#play-result")).to_be_visible()
        assert ticks(page) == ["POST /v2beta/stable-image/upscale/conservative → 200"]
        expect(page.locator("#before-info")).to_contain_text(f"320{BY}128 · PNG")
        assert "-F creativity=0.2" in page.inner_text("#play-curl")


def test_the_v2alpha_upscale_is_polled_where_its_answer_links(
    browser: Browser, live_profile: LiveServer, shots: Path
) -> None:
    """The live document links the v2alpha upscale's id to its own result path: the playground polls there."""
    for page in open_page(browser, live_profile.url + "/_mock/ui/"):
        legacy = page.locator("#play-operations label", has=page.locator("input[value=v2alpha]"))
        expect(legacy).to_contain_text("async")
        choose(page, "v2alpha", FIXTURES / "sample.png", prompt="a lighthouse at dusk")
        expect(page.locator("#play-curl")).to_contain_text("/v2alpha/generation/stable-image/upscale/result/$ID")
        send(page)
        expect(page.locator("#play-result")).to_be_visible()
        shown = [re.sub(r"/result/\w+…", "/result/…", line) for line in ticks(page)]
        assert shown[0] == "POST /v2alpha/generation/stable-image/upscale → 200"
        assert shown[2:] == [
            "GET /v2alpha/generation/stable-image/upscale/result/… → 202",
            "GET /v2alpha/generation/stable-image/upscale/result/… → 200",
        ]
        shoot(page, shots, "live-v2alpha")


# Coverage ---------------------------------------------------------------------


def test_coverage_counts_what_was_met_and_narrows_to_one_key(page: Page, server: LiveServer, shots: Path) -> None:
    image = (FIXTURES / "sample.png").read_bytes()
    server.control.add_fault(operation="upscaleImageFast", status=429)
    for key in ("sk-another-client", KEY, KEY):
        requests.post(
            server.url_for("/v2beta/stable-image/upscale/fast"),
            headers={"Authorization": f"Bearer {key}"},
            files={"image": ("sample.png", image, "image/png")},
            timeout=30,
        )
    page.click("[data-tab=coverage]")
    headline = page.locator("#coverage-headline")
    expect(headline).to_have_text("3 of 82 behaviours met (3.7%), profile seed, every key")
    fast = page.locator('#coverage-matrix tr[data-operation="upscaleImageFast"]')
    expect(fast.locator('[data-group="error"]')).to_have_text("1/9")
    expect(fast.locator('[data-group="retry-after"]')).to_have_class(re.compile("cov-part"))
    expect(page.locator('#coverage-table tr[data-behaviour="upscaleImageFast:image"] td.num')).to_have_text("2")
    gap = page.locator('#coverage-table tr[data-behaviour="getUpscaleResult:content-filtered"]')
    expect(gap).to_contain_text('{"job": {"outcome": "content_filtered"}}')
    # The matrix and the first rows are what a person reads at a glance; the rest is the same table.
    shoot(page, shots, "coverage", full_page=False)
    page.fill("#coverage-filters input[name=key]", KEY)
    expect(headline).to_have_text(f"1 of 82 behaviours met (1.2%), profile seed, key {fingerprint(KEY)}")
    page.check("#coverage-filters input[name=gaps]")
    expect(page.locator("#coverage-table tbody tr")).to_have_count(81)
    expect(page.locator('#coverage-table tr[data-behaviour="upscaleImageFast:image"]')).to_have_count(0)


def test_the_html_report_reads_at_a_glance(browser: Browser, server: LiveServer, shots: Path) -> None:
    """The page ``stability-mock coverage --html`` writes, in a browser: docs/coverage.png is this shot."""
    from mockserver.coverage import Coverage, html_page

    server.control.reset()
    server.control.update_settings(pending_polls=1)
    generation_id = start_job(server.url, {"Authorization": f"Bearer {KEY}"})
    for _ in range(2):
        poll(server.url, generation_id, {"Authorization": f"Bearer {KEY}"})
    report = Coverage.from_json(requests.get(server.url_for("/_mock/coverage"), timeout=30).json())
    (shots / "coverage.html").write_text(html_page(report))
    for page in open_page(browser, (shots / "coverage.html").as_uri()):
        expect(page.locator("h1")).to_have_text("Behaviour coverage, profile seed (every key): 3 of 82 met, 3.7%")
        expect(page.locator('tr[data-behaviour="getUpscaleResult:pending"] td.state')).to_have_text("✓")
        expect(page.locator("tr.gap")).to_have_count(79)
        page.screenshot(path=str(shots / "coverage.png"))
        if os.environ.get("STABILITY_MOCK_UPDATE_DOCS_SHOTS") == "1":
            shutil.copy(shots / "coverage.png", ROOT / "docs" / "coverage.png")
