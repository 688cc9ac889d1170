"""A run killed with ``kill -9`` and resumed pays for no finished example again.

Both the fake server and ``agility run`` are real separate processes; the server appends the
example id of every request it receives to a log file, so the test sees every call, including
those in flight when the run was killed.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
N_EXAMPLES = 200  # about 2 s of calls at concurrency 4: time to kill it midway


def _count_results(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not created yet
        return 0


def _finished_ids(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT example_id FROM results WHERE error IS NULL")]


def _run_cmd(dataset: Path, db: Path, base_url: str, *extra: str) -> list[str]:
    # `python -m agility.cli.main` would register commands on another module object
    return [sys.executable, "-c", "from agility.cli.main import main; main()", "run",
            "--dataset", str(dataset),
            "--model", "openai/gpt-4o-mini", "--base-url", base_url, "--name", "killed",
            "--store", str(db), "--concurrency", "4", *extra]


@pytest.mark.slow
def test_killed_run_resumes_without_paying_for_finished_examples(tmp_path: Path):
    dataset = tmp_path / "golden.jsonl"
    dataset.write_text("".join(
        json.dumps({"id": f"ex-{i:03d}", "source_prompt": f"What happened in ex-{i:03d}?",
                    "ground_truth": f"answer {i}"}) + "\n" for i in range(N_EXAMPLES)))
    db, log = tmp_path / "agility.db", tmp_path / "requests.log"
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-kill9-0123456789", "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([sys.executable, str(HERE / "_logging_server.py"), str(log),
                               "--ttft-ms", "40"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        base_url = server.stdout.readline().split()[-1]  # "listening URL"
        runner = subprocess.Popen(_run_cmd(dataset, db, base_url), env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while _count_results(db) < 12:
            assert runner.poll() is None, runner.stderr.read().decode()
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.01)
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(timeout=10)
        finished_before = set(_finished_ids(db))
        calls_before = len(log.read_text().splitlines())
        assert 12 <= len(finished_before) < N_EXAMPLES, "killed too late to test anything"

        resumed = subprocess.run(_run_cmd(dataset, db, base_url, "--resume"), env=env,
                                 capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)

    calls_after = log.read_text().splitlines()[calls_before:]
    assert calls_after, "the resume made no call"
    assert not set(calls_after) & finished_before, "a finished example was paid for again"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT example_id, COUNT(*), MAX(error IS NULL) FROM results "
                            "GROUP BY example_id").fetchall()
    assert len(rows) == N_EXAMPLES
    assert all(count == 1 and ok == 1 for _, count, ok in rows)
