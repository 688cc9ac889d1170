"""Every package's public surface (`__all__`) agrees with what it actually exports."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import agility

PACKAGES = sorted(
    name for _, name, is_pkg in pkgutil.walk_packages(agility.__path__, "agility.")
    if is_pkg and not name.split(".")[-1].startswith("_") and ".examples" not in name and name != "agility.cli"  # the CLI is not a library surface
)


@pytest.mark.parametrize("package", ["agility", *PACKAGES])
def test_all_lists_exactly_the_public_names(package: str) -> None:
    module = importlib.import_module(package)
    exported = set(getattr(module, "__all__", []))
    assert exported, f"{package} has no __all__"
    missing = sorted(name for name in exported if not hasattr(module, name))
    assert not missing, f"{package}.__all__ names what it does not define: {missing}"
    public = {
        name for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
        and (getattr(value, "__module__", None) or "").startswith("agility")
    }
    unlisted = sorted(public - exported - {"annotations"})
    assert not unlisted, f"{package} exports names missing from __all__: {unlisted}"
