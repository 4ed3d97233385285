"""Reference pages written from the code at each build, so they cannot disagree with it.

The settings table comes from the settings declaration (:mod:`mockserver.settings.knobs`),
the error table from :data:`mockserver.errors.ERROR_TABLE` and each profile's traits. The
pages are written into ``docs/reference/generated/`` (not kept in git) before Sphinx reads
its sources; a page is rewritten only when its text changes, so ``make docs`` rebuilds
nothing that did not change.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinxcontrib.openapi.directive import create_directive_from_renderer
from sphinxcontrib.openapi.renderers import HttpdomainOldRenderer

from mockserver.errors import ERROR_TABLE
from mockserver.settings.config import ENV_PREFIX, Config
from mockserver.settings.knobs import Knob, default_text, knobs, option_name
from mockserver.settings.profiles import PROFILES, traits_of
from mockserver.settings.runtime import RuntimeSettings

GENERATED = Path(__file__).resolve().parent.parent / "reference" / "generated"


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def value_range(knob: Knob) -> str:
    """The allowed values as the reference shows them: choices, or ``minimum..maximum``."""
    if knob.choices is not None:
        return ", ".join(f"`{choice}`" for choice in knob.choices)
    if knob.minimum is None and knob.maximum is None:
        return ""
    return f"{_number(knob.minimum or 0)}..{_number(knob.maximum if knob.maximum is not None else math.inf)}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> Iterator[str]:
    header = list(header)
    yield "| " + " | ".join(header) + " |"
    yield "|" + "---|" * len(header)
    for row in rows:
        yield "| " + " | ".join(_cell(cell) for cell in row) + " |"


def _setting_entry(item: Any, knob: Knob, python_type: Any) -> Iterator[str]:
    variable = f"`{ENV_PREFIX}{item.name.upper()}`"
    if typing.get_origin(python_type) is tuple or python_type is tuple:
        variable += " (comma-separated)"
    names = f"`{option_name(item, knob)}` · {variable}" if knob.cli else variable
    facts = [f"default `{default_text(item, knob)}`"]
    if value_range(knob):
        facts.append(("one of " if knob.choices else "range ") + value_range(knob))
    yield names
    yield f": {knob.help} ({'; '.join(facts)}.)"
    yield ""


def settings_page() -> str:
    runtime = set(RuntimeSettings.field_names())
    declared = list(knobs(Config))
    groups = [
        ("Changeable at run time", [entry for entry in declared if entry[0].name in runtime]),
        ("Start-up options", [entry for entry in declared if entry[0].name not in runtime and entry[1].cli]),
        ("Environment only", [entry for entry in declared if not entry[1].cli]),
    ]
    lines = [
        "# Settings",
        "",
        "Every setting the mock has, generated from its declaration (`mockserver/settings/`), so this",
        "page cannot disagree with `stability-mock serve --help`. Each is given as a `serve` option",
        "(where it has one) or as an environment variable; an option wins over the environment. A bad",
        "value is a one-line usage error (option), stops start-up naming the variable (environment), or",
        "answers `400` naming the field (admin API).",
        "",
    ]
    intro = {
        "Changeable at run time": "Also changeable while the mock runs, within the same bounds: "
        "`PATCH /_mock/settings`, a scenario file's `settings:`, or the pytest marker.",
        "Start-up options": "Fixed for the life of the process.",
        "Environment only": "Rarely changed; no `serve` option.",
    }
    for title, entries in groups:
        lines += [f"## {title}", "", intro[title], ""]
        for item, knob, python_type in entries:
            lines.extend(_setting_entry(item, knob, python_type))
    return "\n".join(lines)


def errors_page() -> str:
    rows = [[str(kind.status), f"`{kind.name}`", kind.message] for kind in ERROR_TABLE.values()]
    profiles = []
    for profile in PROFILES:
        traits = traits_of(profile)
        shape = "`{id, name, message, errors}`" if traits.error_message else "`{id, name, errors}` (no `message`)"
        profiles.append([f"`{profile}`", shape])
    lines = [
        "# Errors",
        "",
        "Every error the mock answers, generated from its error table (`mockserver/errors.py`).",
        "The `errors` list holds one line per problem; when there is one, it is the default text below",
        "unless the call had something more precise to say.",
        "",
        *_table(["status", "name", "default text"], rows),
        "",
        "## The error body per profile",
        "",
        *_table(["profile", "body"], profiles),
        "",
    ]
    return "\n".join(lines)


PAGES = {"settings.md": settings_page, "errors.md": errors_page}


def write_pages(_app: Sphinx | None = None) -> None:
    GENERATED.mkdir(parents=True, exist_ok=True)
    for name, render in PAGES.items():
        target = GENERATED / name
        text = render()
        if not target.exists() or target.read_text("utf-8") != text:
            target.write_text(text, "utf-8")


class AdminApiRenderer(HttpdomainOldRenderer):  # type: ignore[misc]
    """sphinxcontrib-openapi's renderer, with the blank line it omits before a request body.

    After a path parameter's description it starts ``**Request body:**`` on the next line,
    which reST reads as the end of a field list without a blank line (a warning, so an error
    under ``-W``).
    """

    def render_restructuredtext_markup(self, spec: dict[str, Any]) -> Iterator[str]:
        previous = ""
        for line in super().render_restructuredtext_markup(spec):
            if line.strip() == "**Request body:**" and previous.strip():
                yield ""
            yield line
            previous = line


#: reST markup a plain-text help line may hold by accident: ``*`` (emphasis) and ``word_`` (a reference).
_RST_MARKUP = re.compile(r"\*|(?<=\w)_(?=\W|$)")


def plain_option_help(_app: Sphinx, _ctx: Any, lines: list[str]) -> None:
    """Options' help is plain text (it is what ``--help`` prints), so reST's markup characters are escaped."""
    lines[:] = [line if line.lstrip().startswith(":") else _RST_MARKUP.sub(r"\\\g<0>", line) for line in lines]


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx_click")
    app.setup_extension("sphinxcontrib.openapi")
    app.add_directive("admin-openapi", create_directive_from_renderer(AdminApiRenderer))
    app.connect("builder-inited", write_pages)
    app.connect("sphinx-click-process-options", plain_option_help)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
