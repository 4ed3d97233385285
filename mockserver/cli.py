"""``stability-mock``: the command line."""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from mockserver.app import create_app
from mockserver.config import Config
from mockserver.errors import ConfigError, MockError
from mockserver.knobs import Knob, default_text, knobs, option_name, value_problems
from mockserver.profiles import PROFILES
from mockserver.redaction import redacted_url
from mockserver.runtime import RuntimeSettings

F = TypeVar("F", bound=Callable[..., Any])

#: What a plain install says when asked for the contract suite (hypothesis is in an extra).
CONTRACT_EXTRA_HINT = "stability-mock contract needs hypothesis: pip install 'stability-upscale-mock[contract]'"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": None})
@click.version_option(package_name="stability-upscale-mock")
def main() -> None:
    """A local mock of Stability AI's Stable Image Upscale API (v2beta).

    Every option can also be set as an environment variable
    STABILITY_MOCK_<OPTION> (for example STABILITY_MOCK_PENDING_POLLS=3).
    """


def _within_bounds(kind: type, knob: Knob) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A callback holding a number option to its declared bounds: a bad value is a one-line usage error."""

    def check(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        problems = [] if value is None else value_problems(value, kind, knob)
        if problems:
            raise click.BadParameter(f"{value!r}: {problems[0]}", ctx=ctx, param=param)
        return value

    return check


def _click_option(item: dataclasses.Field[Any], knob: Knob, kind: Any) -> Callable[[F], F]:
    """The ``serve`` option of one declared setting."""
    extra: dict[str, Any] = {}
    if kind is bool:
        extra.update(is_flag=True, default=None)
    elif knob.choices is not None:
        extra["type"] = click.Choice(knob.choices)
    elif kind in (int, float):
        extra.update(type=click.INT if kind is int else click.FLOAT, callback=_within_bounds(kind, knob))
    elif kind is Path:
        extra["type"] = click.Path(path_type=Path, exists=knob.existing_file, dir_okay=not knob.existing_file)
    elif knob.repeatable:
        extra["multiple"] = True
    return click.option(
        option_name(item, knob), item.name, help=f"{knob.help}  [default: {default_text(item, knob)}]", **extra
    )


def config_options(command: F) -> F:
    """Every :class:`Config` setting with a command-line form, as an option: start-up ones, then runtime ones."""
    runtime = set(RuntimeSettings.field_names())
    declared = [entry for entry in knobs(Config) if entry[1].cli]
    ordered = [entry for entry in declared if entry[0].name not in runtime]
    ordered += [entry for entry in declared if entry[0].name in runtime]
    for item, knob, kind in reversed(ordered):
        command = _click_option(item, knob, kind)(command)
    return command


class BadConfiguration(click.ClickException):
    """A value given at start (option, variable or scenario file) is wrong: one line, exit 2, like a bad option."""

    exit_code = 2


@main.command()
@config_options
def serve(**options: Any) -> None:
    """Run the mock on gunicorn."""
    from mockserver.serving import GunicornServer

    try:
        options["api_keys"] = options["api_keys"] or None
        config = Config.from_env(**options)
        logging.basicConfig(level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
        app = create_app(config)
    except ConfigError as exc:
        raise BadConfiguration(str(exc)) from exc
    except MockError as exc:
        raise click.ClickException(str(exc)) from exc
    scheme = "https" if config.tls else "http"
    click.echo(
        f"stability-mock: {scheme}://{config.host}:{config.port}  profile={config.profile}  "
        f"store={redacted_url(config.store_url)}  "
        f"workers={config.workers}  pending_polls={config.pending_polls}",
        err=True,
    )
    click.echo(
        f"stability-mock: dashboard {dashboard_url(scheme, config.host, config.port)}  (open it in a browser)",
        err=True,
    )
    if config.proxy_port is not None:
        _start_proxy(config)
    GunicornServer(app, config).run()


def dashboard_url(scheme: str, host: str, port: int) -> str:
    """Where a browser on this machine finds the dashboard; a wildcard bind is reached on loopback."""
    reachable = "127.0.0.1" if host in ("0.0.0.0", "", "*") else "[::1]" if host == "::" else host
    if ":" in reachable and not reachable.startswith("["):
        reachable = f"[{reachable}]"
    return f"{scheme}://{reachable}:{port}/_mock/ui/"


def _start_proxy(config: Config) -> None:
    from mockserver.interception.ca import LocalCA
    from mockserver.interception.process import ProxyProcess

    try:
        ProxyProcess(config).start()
    except MockError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"stability-mock: proxy http://{config.host}:{config.proxy_port} intercepts https://api.stability.ai  "
        f"CA={LocalCA(config.data_dir).ensure().resolve()}",
        err=True,
    )


@main.command("ca-cert")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Folder of the CA.  [default: .stability-mock]")
@click.option("--bundle", is_flag=True, help="Print a bundle of certifi's public roots plus the mock's CA instead.")
def ca_cert(data_dir: Path | None, bundle: bool) -> None:
    """Create the mock's CA on first use and print the path of its PEM certificate.

    For example: export SSL_CERT_FILE=$(stability-mock ca-cert --bundle). The
    CA's private key stays in the data dir (mode 0600) and is never served.
    """
    from mockserver.interception.ca import LocalCA

    try:
        ca = LocalCA(Config.from_env(data_dir=data_dir).data_dir)
    except MockError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str((ca.bundle() if bundle else ca.ensure()).resolve()))


@main.command()
@click.option("--client", "client", metavar="MODULE:FACTORY", help="A Python client: factory(base_url, api_key).")
@click.option(
    "--client-cmd", "client_cmd", metavar="TEMPLATE", help="A command: {operation} {image} {output} {fields}."
)
@click.option("--operations", default="fast,conservative,creative", show_default=True, help="Operations to check.")
@click.option(
    "--profile",
    type=click.Choice(PROFILES),
    default="seed",
    show_default=True,
    help="The API the suite's mock plays (live: conservative answers the image at once).",
)
@click.option("--max-examples", type=click.IntRange(1, 10_000), default=10, show_default=True, help="Per property.")
@click.option("--seed", type=int, default=0, show_default=True, help="Hypothesis seed (runs are repeatable).")
@click.option("--min-poll-interval", type=float, default=0.0, help="Seconds between polls to require.  [default: off]")
@click.option(
    "--claim",
    "claims",
    multiple=True,
    type=click.Choice(["retries", "content_filtered"]),
    help="Optional property the client claims (repeatable).",
)
@click.option(
    "--max-polls",
    type=click.IntRange(1, 100_000),
    help="Polls after which the client gives up on a job; it is held to exactly that.  [default: none, or the "
    "Python client's max_polls attribute]",
)
@click.option("--property", "only", multiple=True, help="Check only this property (repeatable).")
@click.option("--timeout", type=float, default=120.0, show_default=True, help="Seconds per command run.")
@click.option("--junit-xml", type=click.Path(path_type=Path, dir_okay=False), help="Write a JUnit XML report here.")
@click.option(
    "--html",
    "html_report",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a self-contained HTML report here (failures with their trail and images).",
)
@click.option(
    "--json", "json_report", type=click.Path(path_type=Path, dir_okay=False), help="Write a JSON report here."
)
def contract(
    client: str | None,
    client_cmd: str | None,
    operations: str,
    profile: str,
    max_examples: int,
    seed: int,
    min_poll_interval: float,
    claims: tuple[str, ...],
    max_polls: int | None,
    only: tuple[str, ...],
    timeout: float,
    junit_xml: Path | None,
    html_report: Path | None,
    json_report: Path | None,
) -> None:
    """Check that an upscale API client keeps the API's contract.

    Starts its own mock, drives the client with generated requests and server
    plans, and prints one line per property: passed, failed with a minimal
    example, or not covered. Exits 0 only when every covered property holds.
    """
    if importlib.util.find_spec("hypothesis") is None:
        raise click.ClickException(CONTRACT_EXTRA_HINT)
    from contract_tests.adapters import Adapter, CommandAdapter, PythonAdapter
    from contract_tests.junit import write_junit
    from contract_tests.report import write_html, write_json
    from contract_tests.runner import ContractRunner, SuiteOptions, succeeded

    if bool(client) == bool(client_cmd):
        raise click.UsageError("give exactly one of --client and --client-cmd")
    chosen = tuple(name.strip() for name in operations.split(",") if name.strip())
    try:
        adapter: Adapter = (
            PythonAdapter(client, claims=claims)
            if client
            else CommandAdapter(str(client_cmd), operations=chosen, claims=claims, timeout=timeout)
        )
        options = SuiteOptions(
            operations=chosen,
            profile=profile,
            max_examples=max_examples,
            seed=seed,
            min_poll_interval=min_poll_interval,
            claims=claims,
            max_polls=max_polls,
            only=only,
        )
        counter = _ExampleCounter(max_examples)
        runner = ContractRunner(adapter, options, progress=counter.line, on_example=counter.tick)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    offered = sorted(set(adapter.operations()) & set(chosen))
    click.echo(
        f"stability-mock contract: {adapter.name}  (profile: {profile}; operations: {', '.join(offered) or 'none'})",
        err=True,
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    results = runner.run()
    for result in results:
        click.echo(f"{result.status.upper():12} {result.name}" + (f"  {result.message}" if result.message else ""))
    if junit_xml is not None:
        write_junit(results, junit_xml, client=adapter.name)
        click.echo(f"JUnit XML written to {junit_xml}", err=True)
    if html_report is not None:
        write_html(results, html_report, client=adapter.name)
        click.echo(f"HTML report written to {html_report}", err=True)
    if json_report is not None:
        write_json(results, json_report, client=adapter.name)
        click.echo(f"JSON report written to {json_report}", err=True)
    failed = sum(result.status == "failed" for result in results)
    passed = sum(result.status == "passed" for result in results)
    click.echo(f"{passed} passed, {failed} failed")
    if not succeeded(results):
        sys.exit(1)


class _ExampleCounter:
    """Progress on stderr: a line per property, and while one runs, its examples done so
    far on one line rewritten in place (only on a terminal: a CI log gets the lines alone)."""

    def __init__(self, max_examples: int) -> None:
        self.max_examples = max_examples
        self.live = sys.stderr.isatty()
        self.counting = False

    def line(self, text: str) -> None:
        if self.counting:
            click.echo("\r\x1b[K", nl=False, err=True)
            self.counting = False
        click.echo(text, err=True)

    def tick(self, name: str, done: int) -> None:
        if self.live:
            click.echo(f"\r\x1b[K  ...  {name}: {done} example(s) of {self.max_examples}+", nl=False, err=True)
            self.counting = True
