"""Which operation a request names: the first stage of every API call, before its key or body.

Prism's router is a stage of its own (router → validator → mocker), and so is
this one: the edge asks it once, and everything after works with the
:class:`Route` it answers instead of asking the document again. The live API
answers an unknown path 404 and a wrong method 405 before it looks at the key,
so routing comes first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Request

from mockserver.errors import MethodNotAllowed, RouteNotFound


@dataclass(frozen=True)
class Route:
    """An operation of the document in force, as a request reached it."""

    operation_id: str
    #: The OpenAPI path template (``/v2beta/results/{id}``).
    template: str
    #: Every status the operation may answer: a staged fault or ``Prefer: code=`` must be one of them.
    statuses: frozenset[int]
    #: An upload whose 200 is the image itself (else a generation id to poll).
    renders_at_once: bool = False


class Router:
    """The document's operations by (method, path template), matched against Flask's URL rule.

    Flask has matched the path already (its rules are the blueprints'); the
    router turns the matched rule into the operation of the profile in force,
    which may not have it (the live account endpoints under ``seed``).
    """

    def __init__(
        self,
        operations: dict[str, tuple[str, str]],
        statuses: dict[str, frozenset[int]],
        renders_at_once: frozenset[str],
    ) -> None:
        self._routes = {
            (method, template): Route(operation_id, template, statuses[operation_id], operation_id in renders_at_once)
            for operation_id, (method, template) in operations.items()
        }
        self._templates: dict[str, str] = {}

    def route(self, request: Request) -> Route:
        """The operation ``request`` calls, or the API's 404 or 405."""
        template = self.template(request)
        found = None if template is None else self._routes.get((request.method, template))
        if found is not None:
            return found
        allowed = sorted(method for method, path in self._routes if path == template)
        if not allowed:
            raise RouteNotFound([f"path: no endpoint at {request.path}"])
        # Flask answers HEAD and OPTIONS on every route; the API does not.
        raise MethodNotAllowed(
            [f"method: {request.method} is not allowed here; use {', '.join(allowed)}"],
            headers={"Allow": ", ".join(allowed)},
        )

    def find(self, request: Request) -> Route | None:
        """:meth:`route` without the error: ``None`` where the document has no such operation."""
        template = self.template(request)
        return None if template is None else self._routes.get((request.method, template))

    def template(self, request: Request) -> str | None:
        """The matched Flask rule as an OpenAPI path template (``<id>`` → ``{id}``), memoized."""
        if request.url_rule is None:
            return None
        rule = request.url_rule.rule
        template = self._templates.get(rule)
        if template is None:
            template = self._templates[rule] = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)
        return template


__all__ = ["Route", "Router"]
