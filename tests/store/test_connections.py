"""Every SQLite connection the mock opens is closed: by its thread's end, or by closing or dropping its store or app.

Python 3.13 reports a connection collected unclosed (``ResourceWarning: unclosed
database``) in whatever test the collector happens to run; older versions say
nothing. These tests see a leak on every version: they keep each connection
opened and ask it afterwards whether it was closed.
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from contract_tests.server import LiveServer
from mockserver import Config, SQLiteStore, create_app
from mockserver.services import services_of
from tests.conftest import AUTH, CREATIVE_PATH, SMALL_TARGET
from tests.images import png


@dataclass(frozen=True)
class Opened:
    """A connection the code under test opened, and the thread that opened it."""

    thread: str
    connection: sqlite3.Connection

    @property
    def closed(self) -> bool:
        try:
            _ = self.connection.total_changes
        except sqlite3.ProgrammingError:
            return True
        return False


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Opened]:
    """Every connection ``sqlite3.connect`` makes during the test, held here so the collector cannot close it."""
    connections: list[Opened] = []
    connect = sqlite3.connect

    def recording(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection: sqlite3.Connection = connect(*args, **kwargs)
        connections.append(Opened(threading.current_thread().name, connection))
        return connection

    monkeypatch.setattr(sqlite3, "connect", recording)
    return connections


def still_open(connections: list[Opened]) -> list[str]:
    return [each.thread for each in connections if not each.closed]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "jobs.sqlite3")
    yield store
    store.close()


class Parked:
    """A thread that uses ``use`` once, then waits (alive, its connection in hand) until released."""

    def __init__(self, use: Callable[[], object]) -> None:
        self._used = threading.Event()
        self._release = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(use,), name="parked")
        self.thread.start()
        assert self._used.wait(30)

    def _run(self, use: Callable[[], object]) -> None:
        use()
        self._used.set()
        self._release.wait(30)

    def end(self) -> None:
        self._release.set()
        self.thread.join(30)


def test_closing_a_store_closes_the_connections_of_running_threads(store: SQLiteStore, opened: list[Opened]) -> None:
    store.stored_bytes()
    parked = [Parked(store.stored_bytes) for _ in range(3)]
    assert len(still_open(opened)) == 4
    store.close()
    try:
        assert still_open(opened) == []
    finally:
        for each in parked:
            each.end()


def test_a_store_closed_is_opened_again_by_its_next_call(store: SQLiteStore, opened: list[Opened]) -> None:
    store.set_counter("calls", 1, None)
    store.close()
    assert store.counter("calls", 0) == 1
    assert len(opened) == 2 and len(still_open(opened)) == 1


def test_a_threads_connection_is_closed_when_the_thread_ends(store: SQLiteStore, opened: list[Opened]) -> None:
    thread = threading.Thread(target=store.stored_bytes, name="short-lived")
    thread.start()
    thread.join(30)
    assert [each.thread for each in opened] == ["short-lived"]
    assert still_open(opened) == []


def test_a_collected_store_closes_every_threads_connection(tmp_path: Path, opened: list[Opened]) -> None:
    store = SQLiteStore(tmp_path / "jobs.sqlite3")
    store.stored_bytes()
    held = weakref.ref(store)
    parked = Parked(lambda: found(held).stored_bytes())
    del store
    gc.collect()
    try:
        assert len(opened) == 3  # creating the file, this thread's, the parked thread's
        assert still_open(opened) == []
    finally:
        parked.end()


def found(held: weakref.ref[SQLiteStore]) -> SQLiteStore:
    store = held()
    assert store is not None
    return store


def _use_in_a_child(store: SQLiteStore, inherited: sqlite3.Connection) -> None:
    """In a forked child: use the store, close it and exit; the parent's connection must come out untouched."""
    store.set_counter("child", 1, None)
    store.close()
    _ = inherited.total_changes  # raises (and the child exits 1) once closed here


def test_a_forked_child_never_closes_its_parents_connection(store: SQLiteStore, opened: list[Opened]) -> None:
    store.set_counter("parent", 1, None)
    [parent] = opened
    child = multiprocessing.get_context("fork").Process(target=_use_in_a_child, args=(store, parent.connection))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert store.counter("child", 0) == 1
    assert still_open(opened) == ["MainThread"]


# The app: its render-ahead, thumbnail and sweep threads ------------------------------------


def _app_at_work(folder: Path, opened: list[Opened]) -> tuple[Any, list[threading.Thread]]:
    """An app on its own SQLite file, whose request, render, thumbnail and sweep threads have each used it."""
    before = set(threading.enumerate())
    config = Config(
        store=f"sqlite:///{folder / 'mock.sqlite3'}", target_pixels=SMALL_TARGET, pending_polls=1, sweep_seconds=0.05
    )
    app = create_app(config)
    client = app.test_client()
    image = (io.BytesIO(png(64, 64)), "a.png", "image/png")
    answer = client.post(CREATIVE_PATH, data={"image": image, "prompt": "a lighthouse"}, headers=AUTH)
    assert answer.status_code == 200, answer.get_json()
    services = services_of(app)
    services.render_ahead.pool.settle()
    services.thumbnails.pool.settle()
    deadline = time.monotonic() + 30
    threads = {each.thread.rsplit("_", 1)[0] for each in opened}
    while "stability-mock-sweeper" not in threads:
        assert time.monotonic() < deadline, f"the sweeper never used the store: {threads}"
        time.sleep(0.01)
        threads = {each.thread.rsplit("_", 1)[0] for each in opened}
    assert {"stability-mock-render", "stability-mock-thumbnail"} <= threads
    return app, [thread for thread in threading.enumerate() if thread not in before]


def _ended(threads: list[threading.Thread]) -> list[str]:
    for thread in threads:
        thread.join(30)
    return [thread.name for thread in threads if thread.is_alive()]


def test_closing_an_app_ends_its_threads_and_closes_its_store(tmp_path: Path, opened: list[Opened]) -> None:
    app, threads = _app_at_work(tmp_path, opened)
    services_of(app).close()
    # A sweep under way when the store closed may open a connection again: its thread's end closes it.
    assert _ended(threads) == []
    assert still_open(opened) == []


def test_a_collected_app_ends_its_threads_and_closes_its_store(tmp_path: Path, opened: list[Opened]) -> None:
    app, threads = _app_at_work(tmp_path, opened)
    del app
    gc.collect()
    # A sweep under way when the store closed may open a connection again: its thread's end closes it.
    assert _ended(threads) == []
    assert still_open(opened) == []


def test_a_store_handed_to_the_app_stays_open_when_the_app_closes(store: SQLiteStore, opened: list[Opened]) -> None:
    app = create_app(Config(store="memory://", target_pixels=SMALL_TARGET), store=store)
    store.set_counter("calls", 1, None)
    services_of(app).close()
    assert still_open(opened) == ["MainThread"]
    assert store.counter("calls", 0) == 1


def test_a_live_server_closes_the_app_it_built_when_it_stops(tmp_path: Path, opened: list[Opened]) -> None:
    """The pytest fixture's server: a dedicated one stops at the end of its test, leaving no thread or connection."""
    before = set(threading.enumerate())
    config = Config(store=f"sqlite:///{tmp_path / 'mock.sqlite3'}", target_pixels=SMALL_TARGET, pending_polls=1)
    with LiveServer.for_config(config) as server:
        image = ("a.png", png(64, 64), "image/png")
        answer = requests.post(
            server.url_for(CREATIVE_PATH), files={"image": image}, data={"prompt": "a"}, headers=AUTH, timeout=60
        )
        assert answer.status_code == 200, answer.text
        services_of(server.app).render_ahead.pool.settle()
        assert "stability-mock-render_0" in [each.thread for each in opened]
    assert _ended([thread for thread in threading.enumerate() if thread not in before]) == []
    assert still_open(opened) == []
