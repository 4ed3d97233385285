"""Werkzeug URL rules that write their URL builders on first use, not when they are added.

Adding a rule to Werkzeug's map writes two Python functions that build the rule's
URL (``url_for``), with ``ast`` and ``compile``: ~20 ms of every start for the
mock's ~30 routes, while serving only ever builds the dashboard's one redirect.
:class:`LazyBuilderRule` hands Werkzeug a stand-in that writes the real builder
the first time it is called, and then puts it where Werkzeug keeps it. Matching
is untouched: it does not use the builders. Should Werkzeug stop calling
``_compile_builder``, the stand-in is simply never used and builders are written
eagerly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule

Builder = Callable[..., tuple[str, str]]


class LazyBuilderRule(Rule):
    """A :class:`werkzeug.routing.Rule` whose URL builders are written when first called."""

    def _compile_builder(self, append_unknown: bool = True) -> Builder:
        write = super()._compile_builder
        # Where Rule.compile keeps this builder, bound to the rule; later calls go straight to it.
        attribute = "_build_unknown" if append_unknown else "_build"

        def build_on_first_use(rule: Rule, *args: Any, **values: Any) -> tuple[str, str]:
            real: Builder = write(append_unknown).__get__(rule, None)
            setattr(rule, attribute, real)
            return real(*args, **values)

        return build_on_first_use


__all__ = ["LazyBuilderRule"]
