"""Scenario files: a whole day of trouble, staged from YAML at start-up.

Example::

    config:
      pending_polls: 3
      rate_limit: 150/10s
      credits: 500
      moderation_words: [forbidden]
    faults:
      - {operation: upscaleImageFast, status: 429, times: 2}
      - {operation: upscaleImageCreative, job: {pending_polls: null}}
    credits:
      sk-low-balance: 10

The file is checked against the ``Scenario`` schema of spec/admin.yml, so it
accepts exactly what the admin API accepts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockserver.errors import ConfigError
from mockserver.field_errors import describe_schema_error
from mockserver.spec import bundled_text

_ADMIN = "urn:stability-mock:admin"


def load_scenario(path: Path) -> dict[str, Any]:
    """Read and check a scenario file; :class:`ConfigError` says what is wrong and where."""
    try:
        document = yaml.safe_load(Path(path).read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"scenario {path}: {exc}") from exc
    if document is None:
        return {}
    problems = scenario_problems(document)
    if problems:
        raise ConfigError(f"scenario {path}: " + "; ".join(problems))
    return dict(document)


def scenario_problems(document: Any) -> list[str]:
    """``field: message`` lines for everything in ``document`` the schema refuses."""
    admin = yaml.safe_load(bundled_text("admin.yml"))
    registry = Registry().with_resource(_ADMIN, Resource.from_contents(admin, default_specification=DRAFT202012))
    validator = OAS31Validator({"$ref": f"{_ADMIN}#/components/schemas/Scenario"}, registry=registry)
    return [line for error in validator.iter_errors(document) for line in describe_schema_error(error)]
