"""Real gunicorn processes sharing one SQLite file: jobs cross workers, servers and restarts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.harness.server import running_server
from tests import conftest
from tests.conftest import FIXTURES
from tests.images import decoded

pytestmark = pytest.mark.slow

AUTH = {"Authorization": "Bearer sk-serving"}


def start_job(url: str) -> str:
    return conftest.start_job(url, AUTH)


def poll(url: str, generation_id: str) -> requests.Response:
    return conftest.poll(url, generation_id, AUTH)


def test_a_job_created_on_one_server_is_finished_by_another(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    options = ("--store", store, "--target-pixels", "262144")
    with (
        running_server(*options, log=tmp_path / "a.log") as first,
        running_server(*options, log=tmp_path / "b.log") as second,
    ):
        generation_id = start_job(first)
        assert poll(second, generation_id).status_code == 202
        ready = poll(first, generation_id)
        assert ready.status_code == 200
        assert ready.headers["content-type"] == "image/jpeg"
        assert decoded(ready.content).size == (512, 512)
        assert poll(second, generation_id).content == ready.content


def test_two_workers_share_jobs_and_poll_counts(tmp_path: Path) -> None:
    options = ("--workers", "2", "--threads", "2", "--pending-polls", "5", "--data-dir", str(tmp_path / "data"))
    with running_server(*options, "--target-pixels", "262144", log=tmp_path / "w.log") as url:
        generation_id = start_job(url)
        with requests.Session() as one, requests.Session() as two:
            statuses: list[int] = []
            for index in range(7):
                session = one if index % 2 else two
                statuses.append(
                    session.get(f"{url}/v2beta/results/{generation_id}", headers=AUTH, timeout=60).status_code
                )
        assert statuses == [202, 202, 202, 202, 202, 200, 200]
    assert (tmp_path / "data" / "mock.sqlite3").exists()


def test_jobs_survive_a_restart(tmp_path: Path) -> None:
    options = ("--store", f"sqlite:///{tmp_path / 'kept.sqlite3'}", "--target-pixels", "262144")
    with running_server(*options, log=tmp_path / "before.log") as url:
        generation_id = start_job(url)
        assert poll(url, generation_id).status_code == 202
    with running_server(*options, log=tmp_path / "after.log") as url:
        assert poll(url, generation_id).status_code == 200


def test_bad_configuration_stops_start_up_with_a_message(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="Invalid value for '--pending-polls': -2: must be ≥ 0"),
        running_server("--pending-polls", "-2", log=tmp_path / "bad.log", startup_seconds=20),
    ):
        pass


def _fast(url: str, key: str = "sk-serving") -> int:
    with (FIXTURES / "sample.png").open("rb") as image:
        return requests.post(
            f"{url}/v2beta/stable-image/upscale/fast",
            files={"image": ("sample.png", image, "image/png")},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ).status_code


def test_staged_state_is_exact_across_workers_under_parallel_calls(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from mockserver.control.remote import MockAdmin

    options = ("--workers", "2", "--threads", "4", "--store", f"sqlite:///{tmp_path / 'staged.sqlite3'}")
    with running_server(*options, log=tmp_path / "staged.log") as url, MockAdmin(url) as admin:
        admin.add_fault(operation="upscaleImageFast", status=429, times=5)
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: _fast(url), range(20)))
        assert sorted(statuses).count(429) == 5 and statuses.count(200) == 15
        admin.update_settings(credits=30)
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: _fast(url, "sk-credits"), range(24)))
        assert statuses.count(200) == 15 and statuses.count(402) == 9
        assert admin.credits("sk-credits").balance == 0
        assert len(admin.requests(operation="upscaleImageFast")) == 44


def test_scenario_file_from_the_command_line(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yml"
    scenario.write_text("faults:\n  - {operation: upscaleImageFast, status: 503, times: 1}\n")
    with running_server("--scenario", str(scenario), "--data-dir", str(tmp_path), log=tmp_path / "s.log") as url:
        assert _fast(url) == 503
        assert _fast(url) == 200


@pytest.mark.parametrize(
    ("transport", "error"),
    [("reset", requests.ConnectionError), ("truncate", requests.exceptions.ChunkedEncodingError)],
)
def test_transport_faults_on_gunicorn(tmp_path: Path, transport: str, error: type[requests.RequestException]) -> None:
    from mockserver.control.remote import MockAdmin

    with running_server("--data-dir", str(tmp_path), log=tmp_path / "t.log") as url, MockAdmin(url) as admin:
        admin.add_fault(operation="upscaleImageFast", transport=transport)
        with pytest.raises(error):
            _fast(url)
        assert _fast(url) == 200
        assert admin.requests()[-2]["fault"] is not None
    assert "Traceback" not in (tmp_path / "t.log").read_text()


def test_a_chunked_upload_past_the_limit_is_413_not_a_cut_body(tmp_path: Path) -> None:
    boundary = "chunky"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()

    def body(total: int) -> Iterator[bytes]:
        yield head
        for _ in range(total // 65536):
            yield bytes(65536)
        yield f"\r\n--{boundary}--\r\n".encode()

    with running_server("--data-dir", str(tmp_path), log=tmp_path / "c.log") as url:
        headers = {**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        target = f"{url}/v2beta/stable-image/upscale/fast"
        too_big = requests.post(target, data=body(11 * 1024 * 1024), headers=headers, timeout=60)
        assert too_big.status_code == 413
        assert too_big.json()["name"] == "payload_too_large"
        small = requests.post(target, data=body(65536), headers=headers, timeout=60)
        assert small.status_code == 400
        assert small.json()["errors"] == ["image: is not a decodable JPEG, PNG or WEBP image"]
