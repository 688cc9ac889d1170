"""`agility dataset ...`: golden dataset commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from agility.cli._common import console, err_console, handle_errors, open_store
from agility.dataset import (
    PRESETS,
    dataset_stats,
    freeze_dataset,
    import_dataset,
    load_dataset,
    parse_map,
    split_dataset,
    validate_file,
    verify_dataset,
)
from agility.errors import FrozenDatasetChanged

#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()

dataset_app = typer.Typer(help="Golden datasets: validate, import, split, freeze, verify, stats.",
                          no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")

PathArg = Annotated[Path, typer.Argument(help="A .jsonl, .csv or .parquet golden dataset.")]
OutOption = Annotated[Path, typer.Option("-o", "--out",
                                         help="File to write (.jsonl/.csv/.parquet).")]


@dataset_app.command("validate")
@handle_errors
def validate(path: PathArg) -> None:
    """Report every problem, one per line as PATH:LINE: field: message (exit 2 on any error)."""
    valid, problems = validate_file(path)
    for problem in problems:
        typer.echo(str(problem))
    errors = sum(p.severity == "error" for p in problems)
    if errors:
        err_console.print(f"[red]{errors} error(s)[/] in {escape(str(path))}", highlight=False)
        raise typer.Exit(2)
    load_dataset(path, verify=True)  # a frozen file must still match its manifest
    err_console.print(f"[green]ok:[/] {len(valid)} examples in {escape(str(path))}",
                      highlight=False)


@dataset_app.command("import")
@handle_errors
def import_(
    src: Annotated[Path, typer.Argument(help="Source file (.jsonl, .csv or .parquet).")],
    out: OutOption,
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="golden_field=source.path (repeatable); lists of documents are joined "
                      "into input_context.")] = None,
    preset: Annotated[str | None, typer.Option(
        "--preset", help=f"A public benchmark's mapping: {', '.join(sorted(PRESETS))}.")] = None,
    keep_unmapped: Annotated[bool | None, typer.Option(
        "--keep-unmapped/--drop-unmapped",
        help="Keep source fields nobody mapped under metadata.")] = None,
) -> None:
    """Convert a foreign file into the golden schema."""
    report = import_dataset(src, out, parse_map(map_ or []), preset=preset,
                            keep_unmapped=keep_unmapped)
    for warning in report.warnings:
        err_console.print(f"[yellow]{escape(warning)}[/]", highlight=False, soft_wrap=True)
    console.print(f"wrote {report.rows} examples to {escape(report.output)}", highlight=False)
    if preset and PRESETS[preset].citation:
        console.print(f"source: {escape(PRESETS[preset].citation or '')}", highlight=False)


@dataset_app.command("split")
@handle_errors
def split(
    path: PathArg,
    out: OutOption,
    by: Annotated[str, typer.Option("--by", help="Field defining the strata.")] = "stratum",
    holdout: Annotated[float, typer.Option("--holdout", help="Holdout fraction.")] = 0.2,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
) -> None:
    """Stratified, seeded dev/holdout split (same seed, same bytes)."""
    report = split_dataset(path, out, by=by, holdout=holdout, seed=seed)
    table = Table(title=f"split by {escape(by)}, holdout {holdout:g}, seed {seed}")
    for column in ("stratum", "total", "dev", "holdout"):
        table.add_column(column, justify="left" if column == "stratum" else "right")
    for s in report.strata:
        table.add_row(escape(s.stratum), str(s.total), str(s.dev), str(s.holdout))
    console.print(table)
    console.print(f"wrote {escape(report.output)}", highlight=False)


#: a file command touches no store unless asked: a dataset is often checked where none exists
AuditStoreOption = Annotated[str | None, typer.Option(
    "--store", help="Also record this decision as an event in the audit trail of this store "
                    "(a SQLite file or a postgresql:// URL; migrate always records it in its "
                    "store).")]


@dataset_app.command("freeze")
@handle_errors
def freeze(path: PathArg, store: AuditStoreOption = None) -> None:
    """Write <file>.manifest.json: content hash, per-row hashes, counts, time."""
    if store is not None:
        with open_store(store) as db:
            manifest = freeze_dataset(path, store=db)
    else:
        manifest = freeze_dataset(path)
    console.print(f"froze {manifest.row_count} rows of {escape(str(path))} "
                  f"(sha256 {manifest.dataset_hash[:16]}...)", highlight=False)


@dataset_app.command("verify")
@handle_errors
def verify(path: PathArg, store: AuditStoreOption = None) -> None:
    """Check a frozen dataset against its manifest; name every added, removed or edited row."""
    if store is not None:
        with open_store(store) as db:
            diff = verify_dataset(path, store=db)
    else:
        diff = verify_dataset(path)
    if diff.changed:
        for label, ids in (("added", diff.added), ("removed", diff.removed),
                           ("edited", diff.edited)):
            for example_id in ids:
                typer.echo(f"{path}: {label}: {example_id}")
        raise FrozenDatasetChanged(str(path), diff.added, diff.removed, diff.edited)
    console.print(f"[green]ok:[/] {escape(str(path))} matches its manifest", highlight=False)


@dataset_app.command("stats")
@handle_errors
def stats(
    path: PathArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Counts per stratum and split, missing fields, rough token counts."""
    result = dataset_stats(path)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    splits = sorted(result.counts.by_split)
    table = Table(title=f"{escape(result.path)}: {result.counts.total} examples"
                        + (" (frozen)" if result.frozen else ""))
    table.add_column("stratum")
    for name in [*splits, "total"]:
        table.add_column(escape(name), justify="right")
    for stratum, total in result.counts.by_stratum.items():
        cells = [str(result.counts.by_split_stratum.get(s, {}).get(stratum, 0)) for s in splits]
        table.add_row(escape(stratum), *cells, str(total))
    console.print(table)
    fields = Table(title="missing optional fields (rows without)")
    fields.add_column("field")
    fields.add_column("rows", justify="right")
    for name, count in result.missing.items():
        fields.add_row(name, str(count))
    console.print(fields)
    tokens = Table(title="rough token counts (about 4 characters per token)")
    for column in ("text", "rows", "total", "mean", "max"):
        tokens.add_column(column, justify="left" if column == "text" else "right")
    for name, est in result.tokens.items():
        tokens.add_row(name, str(est.rows), *("-" if v is None else f"{v:,}"
                                              for v in (est.total, est.mean, est.max)))
    console.print(tokens)


@dataset_app.command("presets")
@handle_errors
def presets() -> None:
    """List the import presets."""
    for preset in sorted(PRESETS.values(), key=lambda p: p.name):
        console.print(f"[bold]{escape(preset.name)}[/]: {escape(preset.description)}",
                      highlight=False)
