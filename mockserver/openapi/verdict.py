"""What validation answers: the valid request with its parts, or the problems (and the form as sent)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.openapi.multipart import ParsedForm


@dataclass(frozen=True)
class ValidRequest:
    """A request that passed the spec: its operation, its unmarshalled parts, and its form as sent."""

    operation_id: str
    body: Mapping[str, Any]
    path: Mapping[str, Any]
    query: Mapping[str, Any]
    form: ParsedForm | None = None


class RequestInvalid(Exception):
    """The request breaks the spec; ``errors`` are short ``field: message`` lines.

    ``form`` is the multipart form as sent, when the body was one: the journal
    records what a refused request carried too.
    """

    def __init__(self, errors: list[str], form: ParsedForm | None = None) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors
        self.form = form


__all__ = ["RequestInvalid", "ValidRequest"]
