"""``agility demo``: copy the packaged worked example and migrate it, offline."""

from __future__ import annotations

import json
import shutil
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING

from agility._files import atomic_write, describe_os_error
from agility.errors import UsageError
from agility.migrate._pipeline import MigrationResult, StepCallback, migrate
from agility.store import Store

if TYPE_CHECKING:
    from agility.metrics import ScoreProgress

__all__ = ["EXAMPLES", "copy_example", "example_path", "run_demo", "subset_rows"]

#: the examples shipped inside the package
EXAMPLES = ("finance_rag",)
_SKIP = shutil.ignore_patterns("*.index.npy", "*.manifest.json", "report", "__pycache__",
                               ".agility")


def example_path(name: str = "finance_rag") -> Path:
    """The folder of a packaged example.

    Raises:
        UsageError: there is no example by that name.
    """
    if name not in EXAMPLES:
        raise UsageError(f"no example named '{name}'; the examples are: {', '.join(EXAMPLES)}.")
    return Path(str(files("agility").joinpath("examples", name)))


def subset_rows(lines: list[str], rows: int) -> list[str]:
    """Keep ``rows`` JSONL rows, spread evenly over each (stratum, split) group, in file order.

    Args:
        lines: the dataset's JSON lines.
        rows: how many to keep (at least 1).

    Returns:
        The kept lines, in their original order.
    """
    groups: dict[tuple[str, str], list[int]] = {}
    records = [json.loads(line) for line in lines]
    for index, record in enumerate(records):
        key = (str(record.get("stratum")), str(record.get("split") or "dev"))
        groups.setdefault(key, []).append(index)
    # the k-th row of a group of size n ranks at k/n: taking the lowest ranks keeps proportions
    ranked = sorted((position / len(members), index)
                    for members in groups.values() for position, index in enumerate(members))
    keep = sorted(index for _, index in ranked[:rows])
    return [lines[i] for i in keep]


def copy_example(dest: str | Path, rows: int | None = None, name: str = "finance_rag") -> Path:
    """Copy a packaged example to ``dest`` (created) and return its plan's path.

    Args:
        dest: the folder to create; it must not exist or be empty.
        rows: keep only this many golden rows (spread over strata and splits); None keeps all.
        name: which example.

    Returns:
        The path of the copied ``plan.yaml``.

    Raises:
        UsageError: ``dest`` exists and is not empty, ``rows`` < 1, or it cannot be written.
    """
    dest = Path(dest)
    if rows is not None and rows < 1:
        raise UsageError(f"--rows must be at least 1, got {rows}.")
    if dest.exists() and any(dest.iterdir()):
        raise UsageError(f"{dest} exists and is not empty. Pick another --dir, or delete it.")
    with as_file(files("agility").joinpath("examples", name)) as source:
        try:
            shutil.copytree(source, dest, ignore=_SKIP, dirs_exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot copy the example to {dest}: {exc}.") from exc
    if rows is not None:
        golden = dest / "golden.jsonl"
        lines = [ln for ln in golden.read_text(encoding="utf-8").splitlines() if ln.strip()]
        try:
            atomic_write(golden, "\n".join(subset_rows(lines, rows)) + "\n")
        except OSError as exc:
            raise UsageError(f"cannot write {golden}: {describe_os_error(exc)}.") from exc
    return dest / "plan.yaml"


def run_demo(dest: str | Path = "agility-demo", rows: int | None = None,
             store: Store | None = None, progress: bool = True,
             on_step: StepCallback | None = None,
             on_score_progress: ScoreProgress | None = None) -> MigrationResult:
    """Copy the finance RAG example to ``dest`` (unless it is there already) and migrate it.

    Running it again on the same folder resumes the migration instead of starting over.

    Args:
        dest: the demo folder.
        rows: golden rows to keep when copying (None: all of them).
        store: the store (default: ``<dest>/.agility/agility.db``).
        progress: progress bars over the long steps.
        on_step: called with a one-line message per step.
        on_score_progress: told how scoring advances (``metric, done, total``).

    Returns:
        The migration's result.

    Raises:
        UsageError: ``dest`` holds something other than an earlier demo.
        MissingExtraError: the local model or embeddings are not installed.
    """
    dest = Path(dest)
    plan = dest / "plan.yaml"
    say = on_step or (lambda _message: None)
    if plan.is_file():
        ignored = "" if rows is None else "; --rows applies only to a new folder"
        say(f"demo: {dest} already holds the demo; resuming it (delete the folder to start "
            f"over{ignored})")
    else:
        plan = copy_example(dest, rows)
        say(f"demo: copied the finance RAG example to {dest}")
    own_store = store is None
    store = store or Store(dest / ".agility" / "agility.db")
    try:
        return migrate(plan, store=store, progress=progress, on_step=on_step,
                       on_score_progress=on_score_progress)
    finally:
        if own_store:
            store.close()
