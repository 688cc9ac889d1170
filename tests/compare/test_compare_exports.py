"""The public surface of agility.compare and agility.report: __all__ agrees with the modules."""

from __future__ import annotations

import importlib
import inspect

import pytest


@pytest.mark.parametrize("package", ["agility.compare", "agility.report"])
def test_all_names_resolve_and_public_definitions_are_exported(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.__all__ names missing {name}"
    defined = {name for name, value in vars(module).items()
               if not name.startswith("_") and (inspect.isclass(value) or inspect.isfunction(value))
               and getattr(value, "__module__", "").startswith(package)}
    assert defined <= set(module.__all__), defined - set(module.__all__)


def test_contract_names_are_public() -> None:
    from agility.compare import (  # noqa: F401
        Comparison,
        Criteria,
        compare_runs,
        load_criteria,
        review_sample,
    )
    from agility.report import write_html, write_markdown  # noqa: F401
