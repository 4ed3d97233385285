"""``st run``, Schemathesis' own command line, against the mock as a user serves it: green under both profiles.

Why: ``test_schemathesis.py`` drives Schemathesis in-process with workarounds of
its own; a user runs the command line against a served ``/openapi.yml`` with the
hooks this project ships (:mod:`contract_tests.schemathesis_hooks`, loaded through
``SCHEMATHESIS_HOOKS``, the way Schemathesis documents). This test does exactly
that, every check and every phase, stateful included, so the served documents,
the server and the hooks are held to what a user sees. The server accepts one key
only, so ``ignored_auth`` is meaningful; ``--target-pixels`` keeps the upscaled
results small, which changes their size and nothing Schemathesis checks.

The stateful phase must follow each POST's ``links`` to the result paths. Under
the live profile Schemathesis 4 starts its scenarios only at the v2alpha POST,
never at creative: it reads creative's optional ``stability-client-id`` and
``stability-client-user-id`` headers as references to a resource that nothing
produces. A third run leaves the v2alpha POST out, so creative's links are
followed too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.harness.server import running

pytestmark = pytest.mark.slow

API_KEY = "sk-st-run"
HOOKS = "contract_tests.schemathesis_hooks"
ST = Path(sys.executable).with_name("st")
#: Bounded and seeded: CI sees the same run, in well under a minute per profile on 2 cores.
BOUNDS = ("--max-examples", "30", "--seed", "7", "--workers", "1", "--generation-database", "none")
LINKS = re.compile(r"API Links:\s+(\d+) covered / (\d+) selected / (\d+) total")


def st_run(url: str, workdir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``st run`` as docs/fidelity/spec.md shows it, with ``options`` added; its crash files land in ``workdir``."""
    command = [
        str(ST),
        "run",
        f"{url}/openapi.yml",
        "--checks",
        "all",
        # Lower case, as the documents' API-key scheme names the header (see the hooks' docstring).
        "-H",
        f"authorization: Bearer {API_KEY}",
        "--no-color",
        *BOUNDS,
        *options,
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize(
    ("serve", "options", "links"),
    [
        pytest.param((), (), 4, id="seed"),
        pytest.param(("--profile", "live"), (), 2, id="live"),
        pytest.param(
            ("--profile", "live"),
            ("--phases", "stateful", "--exclude-operation-id", "upscaleImageLegacy"),
            2,
            id="live-creative-links",
        ),
    ],
)
def test_st_run_with_the_shipped_hooks_is_green(
    tmp_path: Path, serve: tuple[str, ...], options: tuple[str, ...], links: int
) -> None:
    with running(*serve, "--api-key", API_KEY, "--target-pixels", "16384", log=tmp_path / "server.log") as server:
        result = st_run(server.url, tmp_path, *options)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    covered = LINKS.search(output)
    assert covered is not None, output
    assert int(covered[1]) >= links, output
