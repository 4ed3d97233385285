"""Scenario files: a whole day of trouble, staged from YAML at start-up.

Example::

    settings:
      pending_polls: 3
      rate_limit: 150/10s
      credits: 500
      moderation_words: [forbidden]
    faults:
      - {operation: upscaleImageFast, status: 429, times: 2}
      - {operation: upscaleImageCreative, job: {pending_polls: null}}
    credits:
      sk-low-balance: 10
    replay: cassettes/happy-path   # recorded answers first (stability-mock record), from this file's folder

The file is checked against the ``Scenario`` schema of spec/admin.yml, so it
accepts exactly what the admin API accepts (``config:``, the first name of
``settings:``, is still read). It is parsed safely and bounded:
a scenario is a page of settings, so a file of megabytes, or a few lines whose
aliases expand into billions of values, is refused before anything reads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockserver.errors import ConfigError
from mockserver.openapi import bundled_text
from mockserver.openapi.field_errors import describe_schema_error

_ADMIN = "urn:stability-mock:admin"
#: libyaml when PyYAML has it (every binary wheel does): fast, and it caps nesting depth itself.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Largest scenario file read (bytes).
MAX_SCENARIO_BYTES = 1024 * 1024
#: Most values a scenario may hold once its aliases are expanded.
MAX_SCENARIO_VALUES = 100_000


def load_scenario(path: Path) -> dict[str, Any]:
    """Read and check a scenario file; :class:`ConfigError` says what is wrong and where."""
    try:
        document = _parse(_read(Path(path)))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, _TooBig) as exc:
        raise ConfigError(f"scenario {path}: {exc}") from exc
    if document is None:
        return {}
    problems = scenario_problems(document)
    if problems:
        raise ConfigError(f"scenario {path}: " + "; ".join(problems))
    return dict(document)


class _TooBig(ValueError):
    """The file, or what its aliases expand to, is larger than a scenario can be."""


def _read(path: Path) -> str:
    with path.open("rb") as file:
        data = file.read(MAX_SCENARIO_BYTES + 1)
    if len(data) > MAX_SCENARIO_BYTES:
        raise _TooBig(f"larger than {MAX_SCENARIO_BYTES:,} bytes; a scenario is a page of settings")
    return data.decode("utf-8")


def _parse(text: str) -> Any:
    """``yaml.safe_load``, after checking what the document's aliases expand to."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except RecursionError as exc:
        raise _TooBig("nested too deeply") from exc
    if root is None:
        return None
    _check_expanded_size(root)
    return yaml.load(text, Loader=_LOADER)


def _check_expanded_size(root: yaml.Node) -> None:
    """Count values as a reader of the loaded document would meet them, aliases expanded.

    Each distinct node is sized once (children first), so a billion-laughs
    file is measured in microseconds instead of being walked for ever.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > MAX_SCENARIO_VALUES:
                raise _TooBig(f"expands to more than {MAX_SCENARIO_VALUES:,} values (YAML aliases?)")
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise _TooBig("refers to itself through an alias")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def replay_folder(scenario: dict[str, Any], path: Path) -> Path | None:
    """The cassette a scenario's ``replay:`` names, a relative path read from the scenario file's folder."""
    folder = scenario.get("replay")
    return None if folder is None else Path(path).parent / Path(folder)


def scenario_problems(document: Any) -> list[str]:
    """``field: message`` lines for everything in ``document`` the schema refuses."""
    admin = yaml.safe_load(bundled_text("admin.yml"))
    registry = Registry().with_resource(_ADMIN, Resource.from_contents(admin, default_specification=DRAFT202012))
    validator = OAS31Validator({"$ref": f"{_ADMIN}#/components/schemas/Scenario"}, registry=registry)
    return [line for error in validator.iter_errors(document) for line in describe_schema_error(error)]
