"""The builds are made once per run, whichever pytest-xdist worker asks first."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.packaging.conftest import once_per_run


def test_workers_asking_at_once_get_one_build(tmp_path: Path) -> None:
    made: list[str] = []

    def make(folder: Path) -> dict[str, Path]:
        made.append(threading.current_thread().name)
        time.sleep(0.2)  # long enough for the other askers to arrive and wait
        return {"wheel": folder / "a.whl"}

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: once_per_run(tmp_path, "dist", make), range(3)))
    assert len(made) == 1
    assert results == [{"wheel": tmp_path / "dist" / "a.whl"}] * 3
    assert once_per_run(tmp_path, "dist", make) == results[0] and len(made) == 1
