"""Importing foreign files into the golden schema: field maps and presets.

A map says ``golden_field=source_field``; the source side is a dotted path into nested
fields that fans out over lists (``evidence.evidence_text`` gives one text per evidence
item, which becomes the documents of ``input_context``). The golden side may be dotted into
``metadata`` or ``model_config`` (``metadata.company=company``). A preset is a named map
plus a transform for a public benchmark; add one with :func:`register_preset`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agility.dataset._io import read_rows, write_examples
from agility.dataset._manifest import manifest_path
from agility.dataset._schema import GoldenExample
from agility.dataset._validate import validate_rows
from agility.errors import DatasetError, UsageError

__all__ = [
    "PRESETS",
    "ImportReport",
    "Preset",
    "import_dataset",
    "map_row",
    "parse_map",
    "register_preset",
]

_MISSING = object()
_GOLDEN_FIELDS = {f.alias or name for name, f in GoldenExample.model_fields.items()}
_NESTED_TARGETS = ("metadata", "model_config")

#: ``transform(source_row, mapped_row) -> golden_row``: finishes what a map cannot say
Transform = Callable[[Mapping[str, Any], dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Preset:
    """How to import one public benchmark's files."""

    name: str
    description: str
    mapping: dict[str, str]
    transform: Transform | None = None
    #: copy source fields nobody mapped into ``metadata``
    keep_unmapped: bool = False
    citation: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ImportReport(BaseModel):
    """What :func:`import_dataset` wrote."""

    source: str
    output: str
    preset: str | None
    rows: int
    warnings: list[str]


PRESETS: dict[str, Preset] = {}


def register_preset(preset: Preset) -> Preset:
    """Add a preset to :data:`PRESETS` (replacing one of the same name) and return it."""
    PRESETS[preset.name] = preset
    return preset


def parse_map(items: list[str]) -> dict[str, str]:
    """Parse ``--map golden_field=source_field`` options.

    Raises:
        UsageError: an item has no ``=`` or names a field the golden schema does not have.
    """
    mapping: dict[str, str] = {}
    for item in items:
        target, sep, source = (part.strip() for part in item.partition("="))
        if not sep or not target or not source:
            raise UsageError(f"--map {item!r}: write it as golden_field=source_field.")
        head, dot, _ = target.partition(".")
        if head not in _GOLDEN_FIELDS or (dot and head not in _NESTED_TARGETS):
            raise UsageError(f"--map {item!r}: '{target}' is not a golden field; use one of "
                             f"{', '.join(sorted(_GOLDEN_FIELDS))} (or metadata.<key>).")
        mapping[target] = source
    return mapping


def _resolve(value: Any, parts: list[str]) -> Any:
    for i, part in enumerate(parts):
        if isinstance(value, list):
            if part.isdigit():
                index = int(part)
                value = value[index] if index < len(value) else _MISSING
            else:
                found = [_resolve(item, parts[i:]) for item in value]
                flat = [x for f in found if f is not _MISSING
                        for x in (f if isinstance(f, list) else [f])]
                return flat
        elif isinstance(value, dict):
            value = value.get(part, _MISSING)
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def map_row(source: Mapping[str, Any], mapping: Mapping[str, str],
            keep_unmapped: bool = False) -> dict[str, Any]:
    """Build a golden row from a source row.

    Golden fields the source already names are copied unless mapped; mapped source fields
    are taken by dotted path; with ``keep_unmapped`` the other top-level source fields go
    into ``metadata``.
    """
    row: dict[str, Any] = {k: v for k, v in source.items()
                           if k in _GOLDEN_FIELDS and k not in mapping}
    used = {path.split(".")[0] for path in mapping.values()} | set(row)
    for target, path in mapping.items():
        value = _resolve(source, path.split("."))
        if value is _MISSING:
            continue
        head, _, key = target.partition(".")
        if key:
            row.setdefault(head, {})[key] = value
        else:
            row[target] = value
    if keep_unmapped:
        rest = {k: v for k, v in source.items() if k not in used}
        if rest:
            row["metadata"] = {**rest, **row.get("metadata", {})}
    return row


def _check_paths(rows: list[Mapping[str, Any]], mapping: Mapping[str, str], where: str) -> None:
    for target, path in mapping.items():
        if rows and all(_resolve(r, path.split(".")) is _MISSING for r in rows):
            raise UsageError(f"{where}: --map {target}={path}: no row has the field '{path}'. "
                             f"Check the source field name.")


def import_dataset(src: str | Path, out: str | Path, mapping: Mapping[str, str] | None = None,
                   preset: str | None = None, keep_unmapped: bool | None = None) -> ImportReport:
    """Convert a foreign JSONL/CSV/Parquet file into a golden dataset file.

    Args:
        src: the source file.
        out: the golden file to write (its suffix picks the format).
        mapping: ``{golden_field: source_path}``; applied on top of the preset's map.
        preset: a name in :data:`PRESETS` (e.g. "financebench").
        keep_unmapped: keep unmapped source fields in ``metadata`` (default: the preset's
            choice, else True).

    Returns:
        What was written.

    Raises:
        UsageError: unknown preset, a map naming a source field no row has, or ``out`` frozen.
        DatasetError: a source row cannot be read or does not make a valid golden example
            (every problem, with its source line).
    """
    src, out = Path(src), Path(out)
    chosen = None
    if preset is not None:
        chosen = PRESETS.get(preset)
        if chosen is None:
            raise UsageError(f"unknown preset {preset!r}; available: {', '.join(sorted(PRESETS))}.")
    full_map = {**(chosen.mapping if chosen else {}), **(mapping or {})}
    keep = keep_unmapped if keep_unmapped is not None else (
        chosen.keep_unmapped if chosen else True)
    if manifest_path(out).exists():
        raise UsageError(f"{out} is frozen; import into a new file.")
    raw, problems = read_rows(src, decode_nested=False)
    _check_paths([r.data for r in raw], full_map, str(src))
    mapped = []
    for r in raw:
        row = map_row(r.data, full_map, keep)
        if chosen and chosen.transform:
            row = chosen.transform(r.data, row)
        mapped.append(type(r)(r.line, row))
    valid, found = validate_rows(mapped, str(src))
    errors = [*problems, *(p for p in found if p.severity == "error")]
    if errors:
        raise DatasetError(f"{src}: {len(errors)} row problem(s); nothing was written",
                           sorted(errors, key=lambda p: p.line or 0))
    write_examples(out, [ex for _, ex in valid])
    warnings = [str(p) for p in found if p.severity == "warning"]
    return ImportReport(source=str(src), output=str(out), preset=preset, rows=len(valid),
                        warnings=warnings)
