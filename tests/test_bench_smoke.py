"""``make bench`` is not part of ``make test``; this runs its smallest pieces so it does not rot.

Tiny counts and no timing assertions: only that each piece runs and reports.
"""

from __future__ import annotations

import io
import socket
import sys
from pathlib import Path

import pytest
from PIL import Image

from bench import figures, hot_paths, machine, mutation, report, rounds
from bench.compare import plugin_startup, thumbnail_cost
from bench.harness import load, server
from bench.harness.images import photo_png, variant


def test_variants_change_the_bytes_but_not_the_pixels() -> None:
    base = photo_png(32)
    copy = variant(base, 7)
    assert copy != base
    assert Image.open(io.BytesIO(copy)).tobytes() == Image.open(io.BytesIO(base)).tobytes()
    assert figures.bare_pillow(copy) == figures.bare_pillow(base)


def test_hot_paths_measure_every_path_in_process() -> None:
    rows = hot_paths.measure(polls=3, fasts=1)
    assert [row.name for row in rows][-2:] == ["fast 256² PNG, render-cache miss", "fast 256² PNG, render-cache hit"]
    assert len(rows) == 6
    assert all(row.cpu_ms >= 0 and row.count > 0 for row in rows)


def test_thumbnail_cost_measures_every_path_with_and_without() -> None:
    rows = list(thumbnail_cost.measure(rounds=2, scale=0.01))
    assert len(rows) == 6
    assert all(on.caller_cpu_ms >= 0 and off.process_cpu_ms >= 0 for _, on, off in rows)


@pytest.mark.slow
def test_the_cache_figure_and_a_python_load_run_against_a_real_server() -> None:
    [figure] = figures.cache_hit(64, count=1, repeats=1)
    assert figure.section == "cache" and figure.value.endswith("faster")
    with server.running("--workers", "1") as mock:
        target = load.Target(mock.port, "/_mock/health")
        result = load.run(target, seconds=0.5, tool="python")
    assert result.requests > 0 and result.tool.startswith("python")


@pytest.mark.slow
def test_the_async_overhead_figure_compares_the_server_with_the_same_render_in_process() -> None:
    [figure] = figures.async_overhead("creative", 64, count=1, target_pixels=128 * 128)
    assert figure.goal == "≤ 1.15x" and "byte-identical output: yes" in figure.detail


def test_ratios_are_the_median_of_each_rounds_ratio() -> None:
    def series(name: str, *rates: float) -> rounds.Series:
        found = rounds.Series(name, load.Target(1, "/"), None)
        for rate in rates:
            found.results.append(load.LoadResult(rate, int(rate), {}, "wrk"))
            found.cpu.append(None)
        return found

    polls = ("poll pending (202)", "poll ready (200)")
    measured = {("1", label): series(label, 100, 300, 200) for label in polls}
    measured.update({("2", label): series(label, 150, 600, 500) for label in polls})
    rows = rounds._scaling(measured)
    assert [(row.value, row.goal, row.met) for row in rows] == [("2.00x", "≥ 1.8x", True)] * 2
    assert "1.50, 2.00, 2.50" in rows[0].detail
    assert measured[("1", polls[0])].row().value == "200 req/s"


def test_the_report_names_the_machine_versions_and_every_figure(tmp_path: Path) -> None:
    rows = [
        figures.Figure("overhead", "fast 256²", "1.01x", "≤ 1.10x", True, "detail"),
        figures.Figure("prism", "Prism comparison", "not measured", detail="Prism unavailable: no npm"),
    ]
    run = report.Run(
        machine=machine.machine(),
        versions=machine.versions(),
        load_generator="wrk",
        figures=rows,
        hot_paths=[hot_paths.HotPath("poll", 0.1, 0.2, 3)],
        seconds=1.0,
        load_at_end=machine.load_average(),
    )
    report.write(run, tmp_path / "RESULTS.md")
    text = (tmp_path / "RESULTS.md").read_text()
    for needle in ("CPU", "cores", "memory", "Python", "flask", "pillow", "openapi-core", "gunicorn", "Prism"):
        assert needle in text
    assert "Prism unavailable: no npm" in text and "## Profiling" in text
    goals = text.split("## Issue 10's goals")[1].split("## Figures")[0]
    assert "fast 256²" in goals and "Prism comparison" not in goals
    assert "NOT met" not in report.table(rows)


def test_the_plugin_start_up_bench_reads_the_import_time_and_reports_every_arm() -> None:
    seconds = plugin_startup.plugin_import_seconds(sys.executable)
    assert 0 < seconds < 60
    arms = [plugin_startup.Arm(name, [1.0, 2.0]) for name in plugin_startup.ARMS]
    text = plugin_startup.table(arms, [seconds])
    assert all(f"| {name} |" in text for name in plugin_startup.ARMS)
    assert "**cost of this plugin** | **+0.000 s**" in text


def test_the_mutation_report_scores_each_module_without_its_equivalents() -> None:
    results = mutation.parse_results(
        "    mockserver.a.x_f__mutmut_1: killed\n"
        "    mockserver.a.x_f__mutmut_2: survived\n"
        "    mockserver.a.xǁCǁm__mutmut_1: timeout\n"
        "    mockserver.b.x_g__mutmut_1: survived\n"
        "    mockserver.b.x_g__mutmut_2: no tests\n"
    )
    equivalents = mutation.parse_equivalents("| mutant | why |\n|---|---|\n| `mockserver.b.x_g__mutmut_1` | same |\n")
    assert equivalents == {"mockserver.b.x_g__mutmut_1"}
    first, second = mutation.scores(results, equivalents)
    assert (first.module, first.detected, first.survived, first.equivalent) == (
        "mockserver.a",
        2,
        ("mockserver.a.x_f__mutmut_2",),
        0,
    )
    assert round(first.percent, 1) == 66.7
    assert (second.detected, second.survived, second.equivalent, second.percent) == (
        0,
        ("mockserver.b.x_g__mutmut_2",),
        1,
        0.0,
    )
    assert "mockserver.a" in mutation.table([first, second])
    assert mutation.only(results, ["mockserver.b"]) == {
        "mockserver.b.x_g__mutmut_1": "survived",
        "mockserver.b.x_g__mutmut_2": "no tests",
    }
    assert mutation.only(results, []) == results
    assert {"mockserver.pipeline.journal", "mockserver.pipeline.jobs"} <= set(mutation.mutated_modules())


@pytest.mark.slow
def test_the_server_serves_the_socket_handed_to_it_not_a_port_it_binds(tmp_path: Path) -> None:
    """The harness binds each server's port itself and hands the socket over: between a port
    picked free and a server binding it later, a parallel test's server or client could take it."""
    unused = server.free_port()
    with server.listening_socket() as listener:
        port = listener.getsockname()[1]
        command = [sys.executable, "-m", "mockserver", "serve", "--port", str(unused), "--store", "memory://"]
        with server.spawned(
            command, port, tmp_path / "serve.log", tmp_path, listener=listener, ready=server.healthy
        ) as mock:
            assert server.get(mock, "/_mock/health")[0] == 200
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", unused), timeout=5).close()
