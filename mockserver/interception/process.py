"""The proxy beside ``stability-mock serve``: its own child process, stopped with the server.

gunicorn forks its workers from the master, and threads started in the master
before the fork do not survive into them (and make forking unsafe), so the
proxy does not run in the master: the command line starts it as a child
process (``python -m mockserver.interception``), which exits when the server
stops, on SIGTERM or SIGINT, or by itself when its parent is gone.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from mockserver.errors import ConfigError
from mockserver.interception.ca import LocalCA
from mockserver.interception.proxy import InterceptingProxy, ProxySettings, loopback_for
from mockserver.settings.config import Config

READY = b"ready\n"
START_SECONDS = 20.0


def proxy_settings(config: Config) -> ProxySettings:
    """The proxy for ``config``'s server: in front of its port, with a certificate from its data dir's CA."""
    if config.proxy_port is None:
        raise ConfigError("proxy_port is not set")
    ca = LocalCA(config.data_dir)
    return ProxySettings(
        listen_host=config.host,
        listen_port=config.proxy_port,
        upstream_host=loopback_for(config.host),
        upstream_port=config.port,
        cert=ca.leaf(),
        upstream_ca=ca.ensure() if config.tls else None,
    )


class ProxyProcess:
    """The proxy child of a ``serve`` process; :meth:`start` returns once it listens."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._owner = os.getpid()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> ProxyProcess:
        config = self.config
        command = [
            sys.executable,
            "-m",
            "mockserver.interception",
            "--host",
            config.host,
            "--port",
            str(config.port),
            "--proxy-port",
            str(config.proxy_port),
            "--data-dir",
            str(config.data_dir),
            "--log-level",
            config.log_level,
            "--parent-pid",
            str(self._owner),
            *(["--tls"] if config.tls else []),
        ]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE)
        # Registered in the master only; gunicorn's workers inherit it, hence the owner check in stop().
        atexit.register(self.stop)
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        process = self._process
        assert process is not None and process.stdout is not None
        readable, _, _ = select.select([process.stdout], [], [], START_SECONDS)
        line = process.stdout.readline() if readable else b""
        process.stdout.close()
        if line != READY:
            self.stop()
            raise ConfigError(f"the proxy on port {self.config.proxy_port} did not start (see its message above)")

    def stop(self) -> None:
        if self._process is None or os.getpid() != self._owner:
            return
        process, self._process = self._process, None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the proxy until SIGTERM/SIGINT or until the parent process is gone."""
    parser = argparse.ArgumentParser(prog="python -m mockserver.interception")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="the mock's own port (the upstream)")
    parser.add_argument("--proxy-port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, default=Path(".stability-mock"))
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--tls", action="store_true", help="the mock serves HTTPS")
    parser.add_argument("--parent-pid", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = Config(host=args.host, port=args.port, proxy_port=args.proxy_port, data_dir=args.data_dir, tls=args.tls)
    try:
        proxy = InterceptingProxy(proxy_settings(config))
    except (OSError, ConfigError) as exc:
        print(f"stability-mock proxy: cannot listen on {args.host}:{args.proxy_port}: {exc}", file=sys.stderr)
        return 1
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    proxy.start()
    sys.stdout.buffer.write(READY)
    sys.stdout.flush()
    # The server read its one line and closed the pipe; anything printed later must not hit EPIPE.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    parent = args.parent_pid
    while not stopping.wait(0.5):
        if parent is not None and os.getppid() != parent:
            logging.getLogger(__name__).warning("proxy: the server process is gone; stopping")
            break
    proxy.stop()
    return 0
