"""A JSON body's shape held to fixed bounds before any schema sees it.

openapi-core builds an error object for every item that breaks a rule, so a
400 for a list of 300,000 numbers cost seconds and a gigabyte, and a body
nested 1,000 deep broke Python's JSON decoder itself (a 500). The admin API's
documents are at most three levels deep with lists of at most 1,000 items, so
anything far past that is refused here, in one line, at the cost of one parse.
"""

from __future__ import annotations

import json
from typing import Any

from mockserver.openapi.rule_messages import rule_message

#: Containers inside containers; the admin documents need three.
MAX_DEPTH = 32
#: Items of one list, members of one object: the largest ``maxItems`` in spec/admin.yml.
MAX_ITEMS = 1000


def json_bound_problem(data: bytes) -> str | None:
    """Why ``data`` is past the bounds (``field: message``); ``None`` when within them or not JSON at all.

    Text that is not JSON is left to the validator, which words that refusal.
    """
    try:
        document = json.loads(data)
    except RecursionError:
        return _too_deep("body")
    except ValueError:
        return None
    pending: list[tuple[Any, str, int]] = [(document, "", 0)]
    while pending:
        value, where, depth = pending.pop()
        if not isinstance(value, dict | list):
            continue
        name = where or "body"
        if depth >= MAX_DEPTH:
            return _too_deep(name)
        if len(value) > MAX_ITEMS:
            if isinstance(value, list):
                return f"{name}: {rule_message('maxItems', MAX_ITEMS)}"
            return f"{name}: must have at most {MAX_ITEMS:,} members"
        children = value.items() if isinstance(value, dict) else enumerate(value)
        pending.extend((child, f"{where}.{key}" if where else str(key), depth + 1) for key, child in children)
    return None


def _too_deep(where: str) -> str:
    return f"{where}: JSON nested deeper than {MAX_DEPTH} levels"


__all__ = ["MAX_DEPTH", "MAX_ITEMS", "json_bound_problem"]
