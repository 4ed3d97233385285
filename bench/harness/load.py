"""Load generators, each in processes of their own: ``wrk`` when installed, else Python.

Both keep connections alive, run for a fixed time and report requests per second
and the statuses seen, so a run that got errors instead of answers shows it.
"""

from __future__ import annotations

import http.client
import multiprocessing
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

WRK_THREADS = 2
CONNECTIONS = 16
#: The Python fallback is far heavier than wrk: fewer clients, each one connection.
PYTHON_CLIENTS = 4


@dataclass(frozen=True)
class Target:
    """One request, sent over and over; with ``vary_at``, a new body every time.

    ``vary_at`` is a position in ``body`` where a per-request counter is inserted,
    so that no two requests carry the same bytes (and no cache can answer them).
    """

    port: int
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    vary_at: int | None = None

    def body_for(self, number: int, client: str = "") -> bytes:
        if self.vary_at is None:
            return self.body
        return self.body[: self.vary_at] + f"{client}-{number}".encode() + self.body[self.vary_at :]


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    requests: int
    #: wrk counts only non-2xx/3xx answers; the Python generator counts every status.
    statuses: dict[str, int]
    tool: str
    errors: int = 0


def generator() -> str:
    """``wrk`` when it is installed (``apt-get install -y wrk``), else the Python fallback."""
    return "wrk" if shutil.which("wrk") else "python"


def run(target: Target, seconds: float, tool: str | None = None) -> LoadResult:
    tool = tool or generator()
    if tool == "wrk":
        return _wrk(target, seconds)
    return _python(target, seconds)


_LUA = """
wrk.method = "{method}"
local file = io.open("{body}", "rb")
local body = file:read("*a")
file:close()
wrk.body = body
local at = {vary_at}
if at >= 0 then
  -- Each wrk thread has its own Lua state: a table's address tells them apart.
  local head, tail, client, counter = body:sub(1, at), body:sub(at + 1), tostring({{}}), 0
  request = function()
    counter = counter + 1
    return wrk.format(nil, nil, nil, head .. client .. "-" .. counter .. tail)
  end
end
"""


def _wrk(target: Target, seconds: float) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="stability-bench-wrk-") as folder:
        body, script = Path(folder) / "body", Path(folder) / "request.lua"
        body.write_bytes(target.body)
        vary_at = -1 if target.vary_at is None else target.vary_at
        script.write_text(_LUA.format(method=target.method, body=body, vary_at=vary_at))
        command = ["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "-s", str(script)]
        for name, value in target.headers.items():
            command += ["-H", f"{name}: {value}"]
        command.append(f"http://127.0.0.1:{target.port}{target.path}")
        output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    rate = float(_find(r"Requests/sec:\s+([\d.]+)", output))
    count = int(_find(r"(\d+) requests in", output))
    bad = int(_find(r"Non-2xx or 3xx responses:\s+(\d+)", output, "0"))
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return LoadResult(rate, count, {"non-2xx/3xx": bad, "2xx/3xx": count - bad}, "wrk", socket_errors)


def _find(pattern: str, text: str, default: str | None = None) -> str:
    match = re.search(pattern, text)
    if match:
        return match[1]
    if default is not None:
        return default
    raise RuntimeError(f"wrk output without {pattern!r}:\n{text}")


def _python(target: Target, seconds: float) -> LoadResult:
    """``PYTHON_CLIENTS`` processes, each with one keep-alive connection, sending back to back."""
    with multiprocessing.get_context("spawn").Pool(PYTHON_CLIENTS) as pool:
        started = time.perf_counter()
        parts = pool.starmap(_client, [(target, seconds, str(number)) for number in range(PYTHON_CLIENTS)])
        elapsed = time.perf_counter() - started
    statuses: Counter[str] = Counter()
    errors = 0
    for counted, failed in parts:
        statuses.update(counted)
        errors += failed
    total = sum(statuses.values())
    return LoadResult(total / max(elapsed, seconds), total, dict(statuses), "python (http.client)", errors)


def _client(target: Target, seconds: float, name: str) -> tuple[dict[str, int], int]:
    deadline = time.perf_counter() + seconds
    connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
    statuses: Counter[str] = Counter()
    errors = sent = 0
    while time.perf_counter() < deadline:
        sent += 1
        body = target.body_for(sent, name) or None
        try:
            connection.request(target.method, target.path, body=body, headers=target.headers)
            response = connection.getresponse()
            response.read()
            statuses[str(response.status)] += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
    connection.close()
    return dict(statuses), errors
