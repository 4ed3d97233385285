"""``stability-mock``: the command line."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from mockserver.app import create_app
from mockserver.config import Config
from mockserver.errors import MockError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": None})
@click.version_option(package_name="stability-upscale-mock")
def main() -> None:
    """A local mock of Stability AI's Stable Image Upscale API (v2beta).

    Every option can also be set as an environment variable
    STABILITY_MOCK_<OPTION> (for example STABILITY_MOCK_PENDING_POLLS=3).
    """


@main.command()
@click.option("--host", help="Address to listen on.  [default: 127.0.0.1]")
@click.option("--port", type=int, help="Port to listen on.  [default: 8080]")
@click.option("--workers", type=int, help="Worker processes (they share the store).  [default: 1]")
@click.option("--threads", type=int, help="Threads per worker.  [default: 4]")
@click.option("--store", help="memory://, sqlite:// (in --data-dir) or sqlite:///path.  [default: sqlite://]")
@click.option(
    "--data-dir", type=click.Path(path_type=Path), help="Folder for the SQLite store.  [default: .stability-mock]"
)
@click.option("--pending-polls", type=int, help="Polls answered 202 before a result.  [default: 1]")
@click.option("--job-seconds", type=float, help="Minimum job age before its result.  [default: 0]")
@click.option("--retention-seconds", type=float, help="How long results are kept.  [default: 86400]")
@click.option("--api-key", "api_keys", multiple=True, help="An accepted key (repeatable); none: any key.")
@click.option("--target-pixels", type=int, help="Conservative/creative output size.  [default: 4194304]")
@click.option("--png-compress-level", type=click.IntRange(0, 9), help="PNG output level.  [default: 1]")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), help="[default: info]")
@click.option("--latency", "latency_ms", type=float, help="Milliseconds added to every API answer.  [default: 0]")
@click.option("--jitter", "jitter_ms", type=float, help="Up to this many more ms, seeded by the request.")
@click.option("--rate-limit", help="Per-key limit like 150/10s (the live API's); off by default.")
@click.option("--rate-limit-block", "rate_limit_block_seconds", type=float, help="Seconds a key waits.  [default: 60]")
@click.option("--credits", type=int, help="Starting balance of every key; credits are off by default.")
@click.option("--moderation-words", help="Comma-separated prompt words answered 403 content_moderation.")
@click.option("--filter-words", help="Comma-separated prompt words whose output is CONTENT_FILTERED.")
@click.option("--language-words", help="Comma-separated prompt words answered 422 invalid_language.")
@click.option("--journal-size", type=int, help="Request records kept (oldest dropped).  [default: 1000]")
@click.option("--scenario", type=click.Path(path_type=Path, exists=True, dir_okay=False), help="YAML scenario file.")
@click.option("--admin-token", help="Token for /_mock/ calls; without it they answer only on loopback.")
def serve(api_keys: tuple[str, ...], **options: Any) -> None:
    """Run the mock on gunicorn."""
    from mockserver.serving import GunicornServer

    try:
        config = Config.from_env(api_keys=api_keys or None, **options)
        logging.basicConfig(level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
        app = create_app(config)
    except MockError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"stability-mock: http://{config.host}:{config.port}  store={config.store_url}  "
        f"workers={config.workers}  pending_polls={config.pending_polls}",
        err=True,
    )
    GunicornServer(app, config).run()
