"""One writer per run: a second `--resume` while the first lives is refused (it would pay every
call twice), and a run killed with `kill -9` shows as interrupted and can be resumed at once.

The run is a real `agility run` process against the real fake server process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_runner_kill9 import HERE, _count_results, _run_cmd
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.errors import RunInProgress
from agility.store import Store

_register()


@pytest.mark.slow
def test_a_second_writer_is_refused_while_the_first_lives_and_a_killed_run_is_interrupted(
        tmp_path: Path) -> None:
    dataset = tmp_path / "golden.jsonl"
    dataset.write_text("".join(
        json.dumps({"id": f"ex-{i:03d}", "source_prompt": f"Q ex-{i:03d}?",
                    "ground_truth": "a"}) + "\n" for i in range(400)))
    db, log = tmp_path / "agility.db", tmp_path / "requests.log"
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-lease-0123456789", "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([sys.executable, str(HERE / "_logging_server.py"), str(log),
                               "--ttft-ms", "200"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        base_url = server.stdout.readline().split()[-1]
        first = subprocess.Popen(_run_cmd(dataset, db, base_url), env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while _count_results(db) < 5:
            assert first.poll() is None, first.stderr.read().decode()
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.02)
        # the same run started again while the first writes it: refused before any call
        calls = len(log.read_text().splitlines())
        second = subprocess.run(_run_cmd(dataset, db, base_url, "--resume"), env=env,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 2, second.stderr
        assert "is being written by" in second.stderr and "Traceback" not in second.stderr
        with Store(db) as store:
            run = store.require_run("killed")
            with pytest.raises(RunInProgress) as raised:
                store.take_lease(run.id, "other-host:1:x", 15.0)
            assert raised.value.owner.endswith(f":{first.pid}")
        assert first.poll() is None
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        # killed: shown as interrupted (its process is gone), not "running" forever
        listed = CliRunner().invoke(app, ["runs", "list", "--store", str(db)],
                                    terminal_width=200)
        assert "interrupted" in listed.output and "running" not in listed.output
        resumed = subprocess.run(_run_cmd(dataset, db, base_url, "--resume"), env=env,
                                 capture_output=True, text=True, timeout=180)
        assert resumed.returncode == 0, resumed.stderr
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    ids = log.read_text().splitlines()
    assert len(ids) >= 400 and calls <= len(ids)
    with Store(db) as store:
        run = store.require_run("killed")
        assert run.status == "finished" and run.lease_owner is None
        assert len(store.results(run.id)) == 400
