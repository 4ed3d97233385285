"""One upload goes down the stages in order and visits each stage's module once.

The structure the Layout (docs/contributing.md) describes (admission's stages, then the
operation, then the journal) is checked on a real request: a profiler records
every call that enters a stage module from another module, and the sequence
must be exactly the documented one, with no trip back to a module already left.
A stage that starts asking an earlier one again (a route asking the spec, the
journal asking auth) fails here.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from mockserver import Config, create_app
from tests.conftest import AUTH, CREATIVE_PATH, FAST_PATH, SMALL_TARGET
from tests.images import png

#: The modules a request passes through, in the order docs/contributing.md's Layout gives.
ADMISSION = [
    "mockserver.web.admission",
    "mockserver.openapi.router",
    "mockserver.openapi.document",
    "mockserver.pipeline.auth",
    "mockserver.pipeline.rate_limit",
    "mockserver.pipeline.faults",
    "mockserver.pipeline.content_rules",
    "mockserver.pipeline.credits",
]
STAGES = frozenset(
    [
        *ADMISSION,
        "mockserver.web.routes.upscale",
        "mockserver.web.negotiation",
        "mockserver.imaging.upscaler",
        "mockserver.pipeline.jobs",
        "mockserver.pipeline.render_ahead",
        "mockserver.web.responses",
        "mockserver.pipeline.journal",
    ]
)


@contextmanager
def stages_entered() -> Iterator[list[str]]:
    """Each entry into a stage module from another module, in order (this thread only)."""
    entered: list[str] = []

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        module = frame.f_globals.get("__name__", "")
        caller = frame.f_back.f_globals.get("__name__", "") if frame.f_back is not None else ""
        if module in STAGES and caller != module and (not entered or entered[-1] != module):
            entered.append(module)

    sys.setprofile(profile)
    try:
        yield entered
    finally:
        sys.setprofile(None)


@pytest.mark.parametrize("store", ["memory://", "sqlite"])
@pytest.mark.parametrize(
    ("path", "operation"),
    [
        (FAST_PATH, ["mockserver.web.routes.upscale", "mockserver.web.negotiation", "mockserver.imaging.upscaler"]),
        (
            CREATIVE_PATH,
            [
                "mockserver.web.routes.upscale",
                "mockserver.web.negotiation",
                "mockserver.imaging.upscaler",
                "mockserver.pipeline.jobs",
                "mockserver.pipeline.render_ahead",
            ],
        ),
    ],
)
def test_an_upload_visits_each_stage_once_top_to_bottom(
    tmp_path: Path, store: str, path: str, operation: list[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}" if store == "sqlite" else store
    app = create_app(Config(store=url, target_pixels=SMALL_TARGET))
    client = app.test_client()
    client.get("/_mock/health")  # the per-process start-up (sweeper) is not part of a call
    form = {"image": (io.BytesIO(png(80, 64)), "in.png", "image/png"), "prompt": "a lighthouse at dusk"}
    with stages_entered() as entered:
        response = client.post(path, data=form, headers=AUTH)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert entered == [*ADMISSION, *operation, "mockserver.web.responses", "mockserver.pipeline.journal"], entered
