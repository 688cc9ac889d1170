"""The store under faults: a damaged page, a full disk, a read-only file or file system.

Each used to end in a traceback or a misleading message: a corrupted page crashed `runs list`,
`export` and `run --resume`; a full disk was reported as "cannot rollback - no transaction is
active"; an archived (read-only) store could not be opened at all.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from agility.cli.main import _register, app
from agility.errors import StoreError
from agility.store import NewRun, ResultRecord, Store

_register()


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def make_store(path: Path, dataset: Path) -> None:
    """A store with one finished mock run over ``dataset``, made by the real CLI."""
    rows = [{"id": f"q{i}", "source_prompt": f"question {i}?", "ground_truth": "a"}
            for i in range(5)]
    dataset.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    done = cli("run", "--dataset", str(dataset), "--model", "mock/echo", "--name", "bench",
               "--store", str(path))
    assert done.exit_code == 0, done.output


def damage_table(path: Path, table: str) -> None:
    """Overwrite the root page of ``table`` with garbage (the store must be closed)."""
    with Store(path) as store:
        root = store.query("SELECT rootpage FROM sqlite_master WHERE name=?", (table,))[0][0]
    raw = path.read_bytes()
    page_size = int.from_bytes(raw[16:18], "big")
    start = (root - 1) * page_size
    with path.open("r+b") as handle:
        handle.seek(start)
        handle.write(bytes((i * 37 + 11) % 256 for i in range(page_size)))


def assert_one_clean_line(result: Result, *words: str) -> None:
    text = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    for word in words:
        assert word in text, text


@pytest.mark.parametrize("command", ["runs list", "export", "run --resume"])
def test_a_damaged_page_is_one_clear_line_and_exit_2(tmp_path: Path, command: str) -> None:
    db, dataset = tmp_path / "agility.db", tmp_path / "golden.jsonl"
    make_store(db, dataset)
    damage_table(db, "runs")
    args = {
        "runs list": ["runs", "list"],
        "export": ["export", "bench", "-o", str(tmp_path / "out.jsonl")],
        "run --resume": ["run", "--dataset", str(dataset), "--model", "mock/echo", "--name",
                         "bench", "--resume"],
    }[command]
    result = cli(*args, "--store", str(db))
    assert_one_clean_line(result, "the store file is damaged", "malformed", ".recover")
    assert not (tmp_path / "out.jsonl").exists()


def test_a_file_that_is_not_a_database_says_so(tmp_path: Path) -> None:
    db = tmp_path / "agility.db"
    db.write_bytes(b"this is not SQLite" * 400)
    assert_one_clean_line(cli("runs", "list", "--store", str(db)), "damaged")


@pytest.fixture()
def full_store(tiny_disk: object) -> Iterator[tuple[Store, object]]:
    """A store on a tiny tmpfs with one run, ready to fill the disk under."""
    store = Store(tiny_disk.path / "agility.db")  # type: ignore[attr-defined]
    try:
        yield store, tiny_disk
    finally:
        store.close()


def test_a_full_disk_is_reported_as_a_full_disk(full_store: tuple[Store, object]) -> None:
    store, disk = full_store
    run = store.create_run(NewRun(name="r", model_spec="mock/echo", tool_version="t",
                                     started_at="t0"))
    store.save_result(run.id, ResultRecord(example_id="kept", output="before the disk filled"))
    disk.fill()  # type: ignore[attr-defined]
    big = [ResultRecord(example_id=f"e{i}", output="x" * 20_000) for i in range(200)]
    with pytest.raises(StoreError) as caught:
        store.save_results(run.id, big)
    message = str(caught.value)
    assert "the disk is full" in message
    assert "rollback" not in message.lower()
    assert "Nothing of this write was kept" in message
    # the store is still whole: the earlier result is there, the failed batch is not
    disk.free()  # type: ignore[attr-defined]
    assert [r.example_id for r in store.results(run.id)] == ["kept"]
    store.save_result(run.id, ResultRecord(example_id="after", output="the disk has room"))
    assert [r.example_id for r in store.results(run.id)] == ["kept", "after"]


def test_read_commands_work_on_a_store_opened_read_only(tmp_path: Path) -> None:
    db, dataset = tmp_path / "agility.db", tmp_path / "golden.jsonl"
    make_store(db, dataset)
    before = db.read_bytes()
    listed = cli("runs", "list", "--read-only", "--store", str(db))
    assert listed.exit_code == 0 and "bench" in listed.output
    shown = cli("runs", "show", "bench", "--read-only", "--store", str(db))
    assert shown.exit_code == 0 and "mock/echo" in shown.output
    out = tmp_path / "out.jsonl"
    exported = cli("export", "bench", "-o", str(out), "--read-only", "--store", str(db))
    assert exported.exit_code == 0 and len(out.read_text().splitlines()) == 5
    assert db.read_bytes() == before
    with Store(db, read_only=True) as store, pytest.raises(StoreError, match="read-only"):
        store.update_run(1, status="finished")


def test_an_archived_store_on_a_read_only_file_system_can_be_read(tiny_disk: object) -> None:
    folder = tiny_disk.path  # type: ignore[attr-defined]
    db = folder / "agility.db"
    make_store(db, folder / "golden.jsonl")
    remount = subprocess.run(["mount", "-o", "remount,ro", str(folder)], capture_output=True,
                             text=True, check=False)
    if remount.returncode != 0:
        pytest.skip(f"cannot remount the tmpfs read-only: {remount.stderr.strip()}")
    listed = cli("runs", "list", "--store", str(db))
    assert listed.exit_code == 0, listed.output
    assert "bench" in listed.output
    out = folder.parent / "out.jsonl"
    assert cli("export", "bench", "-o", str(out), "--store", str(db)).exit_code == 0
    assert len(out.read_text().splitlines()) == 5
    written = cli("run", "--dataset", str(folder / "golden.jsonl"), "--model", "mock/echo",
                  "--name", "again", "--store", str(db))
    assert_one_clean_line(written, "read-only")


def test_a_run_that_fills_the_disk_stops_with_one_line_and_resumes(tiny_disk: object,
                                                                   tmp_path: Path) -> None:
    rows = [{"id": f"q{i:03d}", "source_prompt": "words " * 100 + f"question {i}?",
             "ground_truth": "a"} for i in range(300)]
    dataset = tmp_path / "golden.jsonl"
    dataset.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    db = tiny_disk.path / "agility.db"  # type: ignore[attr-defined]
    # room for a few dozen calls (each writes its result and its audit event)
    tiny_disk.fill(leave_bytes=1_600_000)  # type: ignore[attr-defined]
    args = ["run", "--dataset", str(dataset), "--model", "mock/echo", "--name", "full",
            "--store", str(db)]
    stopped = cli(*args)
    assert_one_clean_line(stopped, "the disk is full")
    tiny_disk.free()  # type: ignore[attr-defined]
    with Store(db) as store:
        kept = len(store.results(store.require_run("full").id))
    assert 0 < kept < 300
    resumed = cli(*args, "--resume")
    assert resumed.exit_code == 0, resumed.output
    with Store(db) as store:
        results = store.results(store.require_run("full").id)
    assert sorted(r.example_id for r in results) == [f"q{i:03d}" for i in range(300)]
