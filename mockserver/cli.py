"""``stability-mock``: the command line."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from mockserver.serving.gc_pause import collector_paused

# Flask, Werkzeug, Pillow and the mock: most of a cold start, and objects the process keeps.
with collector_paused():
    import click
    import requests

    from mockserver.control.remote import MockAdmin
    from mockserver.coverage import Coverage, gaps, html_page, summary
    from mockserver.errors import ConfigError, MockError
    from mockserver.services import services_of
    from mockserver.settings.config import Config
    from mockserver.settings.knobs import Knob, default_text, knobs, option_name, value_problems
    from mockserver.settings.profiles import LIVE, PROFILES
    from mockserver.settings.runtime import RuntimeSettings
    from mockserver.util.atomic_file import write_atomically
    from mockserver.util.redaction import redacted_url
    from mockserver.web.app import create_app

F = TypeVar("F", bound=Callable[..., Any])
#: A Flask app, as :func:`create_app` builds it (Flask itself is imported by the edge only).
App = Any

#: Entry-point group of commands that other packages add to ``stability-mock`` (``contract``
#: comes from contract_tests this way, so the core package never imports the toolkit).
COMMANDS_GROUP = "stability_mock.commands"


class _WithPluginCommands(click.Group):
    """The commands defined here, plus those registered under :data:`COMMANDS_GROUP`, loaded on use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_plugin_entry_points()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        entry = _plugin_entry_points().get(cmd_name)
        if entry is None:
            return None
        command = entry.load()
        if not isinstance(command, click.Command):
            raise click.ClickException(f"{entry.value} is not a click command")
        return command


def _plugin_entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {entry.name: entry for entry in importlib.metadata.entry_points(group=COMMANDS_GROUP)}


@click.group(
    cls=_WithPluginCommands, context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": None}
)
@click.version_option(package_name="stability-upscale-mock")
def main() -> None:
    """A local mock of Stability AI's Stable Image Upscale API (v2beta).

    Every option can also be set as an environment variable
    STABILITY_MOCK_<OPTION> (for example STABILITY_MOCK_PENDING_POLLS=3).
    """


def _within_bounds(python_type: type, knob: Knob) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A callback holding a number option to its declared bounds: a bad value is a one-line usage error."""

    def check(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        problems = [] if value is None else value_problems(value, python_type, knob)
        if problems:
            raise click.BadParameter(f"{value!r}: {problems[0]}", ctx=ctx, param=param)
        return value

    return check


def _click_option(item: dataclasses.Field[Any], knob: Knob, python_type: Any) -> Callable[[F], F]:
    """The ``serve`` option of one declared setting."""
    extra: dict[str, Any] = {}
    if python_type is bool:
        extra.update(is_flag=True, default=None)
    elif knob.choices is not None:
        extra["type"] = click.Choice(knob.choices)
    elif python_type in (int, float):
        extra.update(type=click.INT if python_type is int else click.FLOAT, callback=_within_bounds(python_type, knob))
    elif python_type is Path:
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
    for item, knob, python_type in reversed(ordered):
        command = _click_option(item, knob, python_type)(command)
    return command


def some_config_options(*names: str) -> Callable[[F], F]:
    """The ``serve`` options of the named settings only, for a command that serves something else."""

    def decorate(command: F) -> F:
        for item, knob, python_type in reversed([entry for entry in knobs(Config) if entry[0].name in names]):
            command = _click_option(item, knob, python_type)(command)
        return command

    return decorate


class BadConfiguration(click.ClickException):
    """A value given at start (option, variable or scenario file) is wrong: one line, exit 2, like a bad option."""

    exit_code = 2


@main.command()
@config_options
def serve(**options: Any) -> None:
    """Run the mock on gunicorn."""
    # The app lives as long as the server: frozen before gunicorn forks (mockserver.serving.gc_pause).
    with collector_paused():
        from mockserver.serving.server import GunicornServer

        options["api_keys"] = options["api_keys"] or None
        config, app = _configured_app(options, create_app)
    scheme = "https" if config.tls else "http"
    click.echo(
        f"stability-mock: {scheme}://{config.host}:{config.port}  profile={config.profile}  "
        f"store={redacted_url(config.store_url)}  "
        f"workers={config.workers}  pending_polls={config.pending_polls}  timing={config.timing}"
        + (f" x{config.timing_scale:g}" if config.timing_scale != 1 else ""),
        err=True,
    )
    click.echo(
        f"stability-mock: dashboard {dashboard_url(scheme, config.host, config.port)}  (open it in a browser)",
        err=True,
    )
    replayer = services_of(app).replayer
    if replayer is not None:
        click.echo(
            f"stability-mock: replaying {replayer.cassette.folder} ({len(replayer.cassette.exchanges)} exchanges;"
            f" a request no recording matches: {config.replay_miss})",
            err=True,
        )
    if config.proxy_port is not None:
        _start_proxy(config)
    GunicornServer(app, config).run()


def _configured_app(options: dict[str, Any], build: Callable[[Config], App], **fixed: Any) -> tuple[Config, App]:
    """The config the options and the environment make (``fixed`` on top) and its app: a bad value is one line."""
    try:
        config = Config.from_env(**options).replace(**fixed)
        logging.basicConfig(level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
        app = build(config)
        if config.tls or config.proxy_port is not None:
            # Here, not in gunicorn's start or the proxy's process, so a CA it refuses is one line and exit 2.
            from mockserver.interception.ca import LocalCA

            LocalCA(config.data_dir).ensure()
    except ConfigError as exc:
        raise BadConfiguration(str(exc)) from exc
    except MockError as exc:
        raise click.ClickException(str(exc)) from exc
    return config, app


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


def _upstream_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise click.BadParameter(f"{redacted_url(value)!r} must be http(s)://host[:port][/base]", ctx=ctx, param=param)
    return value


@main.command()
@click.option(
    "--upstream",
    required=True,
    callback=_upstream_url,
    help="The service to record, e.g. https://api.stability.ai (or another mock).",
)
@click.option(
    "--cassette",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder the exchanges are written to (created; an existing cassette is appended to).",
)
@click.option(
    "--upstream-ca",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="PEM bundle to trust for the upstream instead of the public roots (the mock's CA: stability-mock ca-cert).",
)
@click.option(
    "--upstream-timeout",
    type=click.FloatRange(0.1, 3600),
    default=120.0,
    show_default=True,
    help="Seconds to wait for the upstream's answer before a 504 upstream_timeout.",
)
@some_config_options(
    "profile", "host", "allowed_hosts", "port", "threads", "read_timeout", "store", "data_dir",
    "log_level", "admin_token", "proxy_port", "tls",
)  # fmt: skip
def record(upstream: str, cassette: Path, upstream_ca: Path | None, upstream_timeout: float, **options: Any) -> None:
    """Record a real service: a reverse proxy that writes every exchange to a cassette.

    Point a client's base URL at it (or at --proxy-port's proxy, for clients that
    hard-code https://api.stability.ai). Each request goes to --upstream unchanged
    and its answer comes back unchanged; both are checked against the profile's
    document (a disagreement is journaled, never enforced) and written to
    --cassette, keys left out. Replay it with: stability-mock serve --replay DIR.
    """
    with collector_paused():
        from mockserver.recording import Recorder
        from mockserver.serving.server import GunicornServer

        def recording_app(config: Config) -> App:
            recorder = Recorder.open(
                upstream, cassette, profile=config.profile, timeout=upstream_timeout, ca_file=upstream_ca
            )
            return create_app(config, recorder=recorder)

        # One worker: the cassette's numbering is the order this process saw the exchanges in.
        config, app = _configured_app(options, recording_app, replay=None, scenario=None, workers=1)
    scheme = "https" if config.tls else "http"
    click.echo(
        f"stability-mock: recording {redacted_url(upstream)} into {cassette}: point the client at "
        f"{scheme}://{config.host}:{config.port}  profile={config.profile}",
        err=True,
    )
    click.echo(f"stability-mock: dashboard {dashboard_url(scheme, config.host, config.port)}", err=True)
    if config.proxy_port is not None:
        _start_proxy(config)
    GunicornServer(app, config).run()


@main.command()
@click.option("--url", required=True, help="The running mock: serve, record or serve --replay (http://127.0.0.1:8080).")
@click.option(
    "--har",
    "har_file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="File the journal is written to, as HAR 1.2 (- for standard output).",
)
@click.option("--admin-token", help="The mock's --admin-token, if it has one.")
@click.option("--operation", help="Only the calls of this operation id.")
@click.option("--status", type=click.IntRange(100, 599), help="Only the calls answered with this status.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True, help="The newest N calls.")
def journal(url: str, har_file: Path, admin_token: str | None, **filters: Any) -> None:
    """Write a running mock's journal as a HAR 1.2 file, to open in browser dev tools or a HAR viewer.

    A command of its own, asking the mock over its admin API, rather than a flag of
    serve or record: it works the same for a mock, a recorder and a replay, any time
    and as often as wanted (between test steps, from another shell, against a mock in
    a container), where a file written on exit would be lost with a killed server.
    Keys are their fingerprints and cookies redacted, as in the journal.
    """
    from mockserver.control.remote import MockAdmin

    try:
        with MockAdmin(url, token=admin_token) as admin:
            log = admin.har(**filters)
    except MockError as exc:
        raise click.ClickException(str(exc)) from exc
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"{redacted_url(url)}: {exc}") from exc
    text = json.dumps(log, indent=2, ensure_ascii=False) + "\n"
    if str(har_file) == "-":
        click.echo(text, nl=False)
        return
    try:
        write_atomically(har_file, text.encode("utf-8"))
    except OSError as exc:
        raise click.ClickException(f"{har_file}: {exc.strerror or exc}") from exc
    click.echo(f"stability-mock: {len(log['log']['entries'])} calls written to {har_file}", err=True)


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
        path = ca.bundle() if bundle else ca.ensure()
    except ConfigError as exc:
        raise BadConfiguration(str(exc)) from exc
    except MockError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(path.resolve()))


@main.command()
@click.option(
    "--upstream", required=True, metavar="URL", help="The service to check the mock against (https://api.stability.ai)."
)
@click.option("--key", required=True, help="Its API key: used for the 404 probes and the paid ones, never written out.")
@click.option(
    "--budget",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Credits the paid probes may cost at list prices (fast 2, conservative 40, creative 60, v2alpha 25).",
)
@click.option("--yes", is_flag=True, help="Spend the planned credits without asking.")
@click.option("--profile", type=click.Choice(PROFILES), default=LIVE, show_default=True, help="The mock's profile.")
@click.option("--known", type=click.Path(path_type=Path), metavar="FILE", help="YAML of accepted differences.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Write the JSON report.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Write the HTML report.",
)
@click.option(
    "--control", is_flag=True, help="Seed differences on the mock side to show the check sees them (exits 1)."
)
@click.option(
    "--ca-file",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="PEM the upstream's certificate is checked against (a TLS mock's: stability-mock ca-cert)."
    "  [default: certifi's roots]",
)
@click.option(
    "--timeout", type=click.FloatRange(min=0.1), default=120.0, show_default=True, help="Seconds per request."
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="Seconds between polls of a job.",
)
@click.option(
    "--max-polls", type=click.IntRange(min=1), default=60, show_default=True, help="Polls before a job counts as stuck."
)
def drift(json_path: Path | None, html_path: Path | None, yes: bool, **options: Any) -> None:
    """Send the same probes to an upstream and to the mock; report each difference.

    Free probes first (validation errors and 401 with a key no account holds,
    404 of an unknown id, 413, a wrong content type), then the paid probes the
    budget buys, after a confirmation. Exit status: 0 no unexplained
    difference, 1 differences, 2 the check could not run.
    """
    from mockserver.drift.page import render_html
    from mockserver.drift.report import check_writable, json_text, table, write_report
    from mockserver.drift.runner import DriftOptions, run_drift
    from mockserver.errors import DriftError

    def confirm(plan: Any) -> bool:
        click.echo(f"drift: {plan.describe()}", err=True)
        return yes or click.confirm(
            f"Spend up to {plan.cost} credits on {options['upstream']}?", default=False, err=True
        )

    try:
        for path in (json_path, html_path):
            if path is not None:
                check_writable(path)
        report = run_drift(DriftOptions(**options), confirm, lambda line: click.echo(f"drift: {line}", err=True))
        if json_path is not None:
            write_report(json_path, json_text(report))
        if html_path is not None:
            write_report(html_path, render_html(report))
    except DriftError as exc:
        raise BadConfiguration(str(exc)) from exc
    click.echo(table(report))
    raise SystemExit(report.exit_status)


class CoverageUnavailable(click.ClickException):
    """No coverage to report: the mock is unreachable or refuses, or the file is not a report. Exit 2."""

    exit_code = 2


@main.command("coverage")
@click.argument("report_file", metavar="[FILE]", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--url", help="A running mock (http://127.0.0.1:8080): read its journal through the admin API.")
@click.option("--admin-token", envvar="STABILITY_MOCK_ADMIN_TOKEN", help="The mock's admin token, if it has one.")
@click.option("--key", help="Only the calls of this API key (raw, or its key_ fingerprint).")
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False), help="Write the report as JSON.")
@click.option("--html", "html_out", type=click.Path(path_type=Path, dir_okay=False), help="Write an HTML page.")
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    help="Exit 1, listing what was never exercised, when less than PERCENT of the behaviours were met.",
)
def coverage_command(
    report_file: Path | None,
    url: str | None,
    admin_token: str | None,
    key: str | None,
    json_out: Path | None,
    html_out: Path | None,
    fail_under: float | None,
) -> None:
    """Which of the API's behaviours a client's tests met: from a running mock (--url) or a saved FILE.

    A behaviour (an answer mode, a job state, an error status, Retry-After, a
    transport fault) counts when the journal shows it was delivered, never
    because it was staged. FILE is a report this command (--json) or the pytest
    plugin (--stability-mock-coverage) wrote.
    """
    if report_file is not None and (url is not None or key is not None):
        raise click.UsageError("--url and --key read a running mock's journal: not with a FILE, measured already")
    if url is not None:
        measured = _coverage_of_url(url, admin_token, key)
    elif report_file is not None:
        measured = _coverage_of_file(report_file)
    else:
        raise click.UsageError("give either --url URL or a coverage FILE")
    click.echo(summary(measured))
    click.echo(gaps(measured))
    try:
        if json_out is not None:
            measured.save(json_out)
        if html_out is not None:
            write_atomically(html_out, html_page(measured))
    except OSError as exc:
        raise CoverageUnavailable(f"cannot write the report: {exc}") from exc
    if fail_under is not None and measured.percent < fail_under:
        click.echo(f"FAIL: {measured.percent}% of the behaviours met, under --fail-under {fail_under:g}%", err=True)
        raise SystemExit(1)


def _coverage_of_url(url: str, token: str | None, key: str | None) -> Coverage:
    try:
        with MockAdmin(url, token=token, timeout=30) as admin:
            return Coverage.from_json(admin.coverage(key))
    except requests.RequestException as exc:
        raise CoverageUnavailable(f"cannot reach the mock at {redacted_url(url)}: {type(exc).__name__}") from exc
    except MockError as exc:
        raise CoverageUnavailable(f"the mock at {redacted_url(url)} gave no coverage: {exc}") from exc


def _coverage_of_file(path: Path) -> Coverage:
    try:
        return Coverage.load(path)
    except MockError as exc:
        raise CoverageUnavailable(str(exc)) from exc
