"""API keys as real clients send them."""

from __future__ import annotations

import pytest

from mockserver.errors import Unauthorized
from mockserver.pipeline.auth import authenticate, fingerprint, key_from_header


@pytest.mark.parametrize(
    ("header", "key"),
    [("Bearer sk-abc", "sk-abc"), ("bearer sk-abc", "sk-abc"), ("sk-abc", "sk-abc"), ("  Bearer   sk-abc ", "sk-abc")],
)
def test_bearer_and_bare_keys(header: str, key: str) -> None:
    assert key_from_header(header) == key


@pytest.mark.parametrize("header", [None, "", "   ", "Bearer", "Bearer  "])
def test_missing_keys_are_unauthorized(header: str | None) -> None:
    with pytest.raises(Unauthorized):
        key_from_header(header)


def test_accepted_keys_are_enforced() -> None:
    assert authenticate("Bearer sk-1", ("sk-1",)) == "sk-1"
    with pytest.raises(Unauthorized):
        authenticate("Bearer sk-2", ("sk-1",))


def test_fingerprints_are_short_stable_and_distinct() -> None:
    assert fingerprint("sk-1") == fingerprint("sk-1")
    assert fingerprint("sk-1") != fingerprint("sk-2")
    assert fingerprint("sk-1").startswith("key_") and len(fingerprint("sk-1")) == 16
    assert "sk-1" not in fingerprint("sk-1")
