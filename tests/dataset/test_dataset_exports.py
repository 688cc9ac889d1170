"""The package's public surface: ``__all__`` names exactly what is exported."""

from __future__ import annotations

from agility import dataset


def test_all_names_exist_and_every_public_name_is_listed() -> None:
    public = {name for name in vars(dataset) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(dataset, name)).__name__ == "module"}
    assert set(dataset.__all__) == public - modules
    assert len(dataset.__all__) == len(set(dataset.__all__))


def test_contract_names_are_exported() -> None:
    for name in ("GoldenExample", "Dataset", "load_dataset", "read_examples",
                 "write_examples", "SCHEMA_VERSION"):
        assert name in dataset.__all__
    assert dataset.SCHEMA_VERSION == 1
