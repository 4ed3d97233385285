"""The packages' public surfaces are exactly what ``__all__`` says."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("package", ["mockserver", "contract_tests"])
def test_all_lists_every_public_name_and_only_those(package):
    module = importlib.import_module(package)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, type(importlib)) and name != "annotations"
    }
    assert set(module.__all__) == public
    assert list(module.__all__) == sorted(module.__all__, key=lambda name: (not name.isupper(), name))
