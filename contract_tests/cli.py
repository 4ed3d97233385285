"""``stability-mock contract``: the contract suite from the command line.

Registered with ``stability-mock`` through the ``stability_mock.commands`` entry
point, so the mock's core never imports this toolkit. hypothesis is loaded only
when the command runs: a plain install answers with the extra to install.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

import click

from mockserver.settings.profiles import PROFILES

#: What a plain install says when asked for the contract suite (hypothesis is in an extra).
CONTRACT_EXTRA_HINT = "stability-mock contract needs hypothesis: pip install 'stability-upscale-mock[contract]'"


@click.command()
@click.option("--client", "client", metavar="MODULE:FACTORY", help="A Python client: factory(base_url, api_key).")
@click.option(
    "--client-cmd", "client_cmd", metavar="TEMPLATE", help="A command: {operation} {image} {output} {fields}."
)
@click.option(
    "--app-dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=".",
    show_default=True,
    help="Folder put first on sys.path to import --client from (as uvicorn's --app-dir).",
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
    type=click.Choice(["retries", "retries:submit", "retries:poll", "content_filtered"]),
    help="Optional property the client claims (repeatable); retries:submit or retries:poll claims retries "
    "in one phase only.",
)
@click.option(
    "--max-polls",
    type=click.IntRange(1, 100_000),
    help="Polls after which the client gives up on a job; it is held to exactly that.  [default: none, or the "
    "Python client's max_polls attribute]",
)
@click.option(
    "--tls",
    is_flag=True,
    help="Serve the mock over TLS with a CA made for the run; the client gets an https:// base URL and the "
    "CA in SSL_CERT_FILE, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS and STABILITY_MOCK_CA_CERT.",
)
@click.option(
    "--proxy",
    is_flag=True,
    help="Put the mock behind an intercepting proxy for https://api.stability.ai, so a client that hard-codes "
    "the host is tested unchanged: it gets HTTPS_PROXY and the CA variables of --tls.",
)
@click.option(
    "--skip-field",
    "skip_fields",
    multiple=True,
    metavar="NAME",
    help="An optional field the client is known not to support: no example sends it (repeatable; "
    "reported with the results).",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for hypothesis' cache, instead of .hypothesis/ in the working folder.  "
    "[default: ~/.cache/stability-mock/hypothesis]",
)
@click.option(
    "--allow-unexercised",
    is_flag=True,
    help="Do not fail the run for a property no example exercised (it is still reported as not exercised).",
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
    app_dir: Path,
    operations: str,
    profile: str,
    max_examples: int,
    seed: int,
    min_poll_interval: float,
    claims: tuple[str, ...],
    max_polls: int | None,
    tls: bool,
    proxy: bool,
    skip_fields: tuple[str, ...],
    cache_dir: Path | None,
    allow_unexercised: bool,
    only: tuple[str, ...],
    timeout: float,
    junit_xml: Path | None,
    html_report: Path | None,
    json_report: Path | None,
) -> None:
    """Check that an upscale API client keeps the API's contract.

    Starts its own mock, drives the client with generated requests and server
    plans, and prints one line per property: passed, failed with a minimal
    example, not exercised (no example reached what it is about), or not
    covered. Exits 0 only when every covered property holds and was exercised
    (or --allow-unexercised).
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
    if client:
        # An installed console script does not put the working folder on sys.path, so a
        # client module next to the user (the usual case) would not import without this.
        folder = str(app_dir.resolve())
        if folder not in sys.path:
            sys.path.insert(0, folder)
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
            allow_unexercised=allow_unexercised,
            tls=tls,
            proxy=proxy,
            skip_fields=skip_fields,
            cache_dir=cache_dir,
        )
        counter = _ExampleCounter(max_examples)
        runner = ContractRunner(adapter, options, progress=counter.line, on_example=counter.tick)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    offered = sorted(set(adapter.operations()) & set(chosen))
    click.echo(
        f"stability-mock contract: {adapter.name}  (profile: {profile}; operations: {', '.join(offered) or 'none'})"
        + (f"; skipped field(s): {', '.join(skip_fields)}" if skip_fields else ""),
        err=True,
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    results = runner.run()
    if runner.lacking:
        click.echo(f"the client lacks: {', '.join(sorted(runner.lacking))} (it exits 64 for them)", err=True)
    for result in results:
        click.echo(f"{result.status.upper():12} {result.name}" + (f"  {result.message}" if result.message else ""))
    if junit_xml is not None:
        write_junit(results, junit_xml, client=adapter.name, skipped_fields=skip_fields)
        click.echo(f"JUnit XML written to {junit_xml}", err=True)
    if html_report is not None:
        write_html(results, html_report, client=adapter.name, skipped_fields=skip_fields)
        click.echo(f"HTML report written to {html_report}", err=True)
    if json_report is not None:
        write_json(results, json_report, client=adapter.name, skipped_fields=skip_fields)
        click.echo(f"JSON report written to {json_report}", err=True)
    failed = sum(result.status == "failed" for result in results)
    passed = sum(result.status == "passed" for result in results)
    unexercised = sum(result.status == "not exercised" for result in results)
    summary = f"{passed} passed, {failed} failed" + (f", {unexercised} not exercised" if unexercised else "")
    if skip_fields:
        summary += f" (field(s) never sent: {', '.join(skip_fields)})"
    click.echo(summary)
    if not succeeded(results, allow_unexercised=allow_unexercised):
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
