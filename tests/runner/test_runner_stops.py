"""Runs that cannot succeed say why and stop: a missing key before the first call, every call
failing from the start, and Ctrl-C says how to resume. Terminal output is captured."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.errors import ProviderAuthError, RunStopped
from agility.runner import RetryPolicy, run_model
from agility.store import Store

_register()


def test_a_missing_key_for_a_hosted_endpoint_is_reported_before_any_call(
        make_dataset, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ProviderAuthError, match="OPENAI_API_KEY is not set"):
        run_model(make_dataset(3), "openai/gpt-4o-mini", name="k", store=store, progress=False)
    assert store.get_run("k") is None  # nothing recorded, nothing sent


def test_a_run_whose_calls_all_fail_stops_after_the_first_twenty(make_dataset,
                                                                 store: Store) -> None:
    # nothing listens on port 9: every call fails to connect
    with pytest.raises(RunStopped) as raised:
        run_model(make_dataset(60), "openai/gpt-4o-mini", name="dead", store=store,
                  provider_options={"base_url": "http://127.0.0.1:9/v1"}, concurrency=4,
                  retry=RetryPolicy(max_attempts=1), progress=False)
    stopped = raised.value
    assert "the first 20 calls all failed" in stopped.reason
    assert "cannot reach http://127.0.0.1:9/v1" in stopped.reason
    done = len(store.results(store.require_run("dead").id))
    assert 20 <= done < 60  # the rest was never sent


def test_the_cli_prints_the_reason_and_the_most_common_errors_and_exits_2(
        tmp_path: Path, make_dataset) -> None:
    result = CliRunner().invoke(app, [
        "run", "--dataset", str(make_dataset(30)), "--model", "openai/gpt-4o-mini",
        "--base-url", "http://127.0.0.1:9/v1", "--name", "dead", "--max-attempts", "1",
        "--store", str(tmp_path / "a.db")])
    assert result.exit_code == 2, result.output
    assert re.search(r"\b2\d x ProviderError: cannot reach http://127.0.0.1:9/v1", result.output)
    assert "stopped: the first 20 calls all failed" in result.output
    assert "Traceback" not in result.output


# Ctrl-C as a user's shell gives it: Python's handler, the signal not blocked. A process
# inherits ignored and blocked signals from the one that starts it; in full suite runs under
# load (never alone) the run went on to finish, so the run under test starts from a shell's
# state whatever an earlier test left in this process.
_AS_FROM_A_TERMINAL = ("import signal; signal.pthread_sigmask(signal.SIG_UNBLOCK, "
                       "[signal.SIGINT]); signal.signal(signal.SIGINT, "
                       "signal.default_int_handler); ")


def _signal_state(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError as exc:
        return f"unknown ({exc})"
    return " ".join(line.replace("\t", "") for line in status.splitlines()
                    if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


@pytest.mark.slow
def test_ctrl_c_says_how_to_resume(tmp_path: Path, make_dataset) -> None:
    # 1,000 rows at 200 ms: the run cannot finish before the signal on a loaded machine
    log = tmp_path / "requests.log"
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-ctrl-c-0123456789", "PYTHONUNBUFFERED": "1"}
    here = Path(__file__).resolve().parent
    server = subprocess.Popen([sys.executable, str(here / "_logging_server.py"), str(log),
                               "--ttft-ms", "200"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        base_url = server.stdout.readline().split()[-1]
        db = tmp_path / "a.db"
        run = subprocess.Popen(
            [sys.executable, "-c", _AS_FROM_A_TERMINAL + "from agility.cli.main import main; main()",
             "run", "--dataset", str(make_dataset(1000)), "--model", "openai/gpt-4o-mini",
             "--base-url", base_url, "--name", "ctrl", "--store", str(db)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not log.exists() or len(log.read_text().splitlines()) < 4:
            assert run.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        signals = _signal_state(run.pid)
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=60)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    assert run.returncode == 130, f"{err}\nthe run's signal state before Ctrl-C: {signals}"
    assert "Resume with: agility run --dataset" in err and "--name ctrl --resume" in err
    assert f"--store {db}" in err and "Traceback" not in err
    with Store(db) as store:
        assert store.require_run("ctrl").status == "interrupted"


def test_progress_lines_are_printed_when_not_on_a_terminal(tmp_path: Path, make_dataset) -> None:
    from agility.testing import FakeOpenAIServer

    with FakeOpenAIServer() as server:
        result = CliRunner().invoke(app, [
            "run", "--dataset", str(make_dataset(20)), "--model", "openai/gpt-4o-mini",
            "--base-url", server.base_url, "--name", "p", "--store", str(tmp_path / "a.db")])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("p: ")]
    assert lines[0].startswith("p: 2/20 done") and lines[-1].startswith("p: 20/20 done")
    assert len(lines) == 10


def test_empty_answers_are_flagged_and_the_run_exits_1(tmp_path: Path, make_dataset) -> None:
    from agility.testing import FakeOpenAIServer

    with FakeOpenAIServer(responder=lambda body: "") as server:
        result = CliRunner().invoke(app, [
            "run", "--dataset", str(make_dataset(3)), "--model", "openai/gpt-4o-mini",
            "--base-url", server.base_url, "--name", "e", "--store", str(tmp_path / "a.db")])
    assert result.exit_code == 1, result.output
    assert "3 answers were empty" in result.output
    summary = json.dumps(result.output)
    assert "empty answers" in summary


@pytest.mark.slow
def test_ctrl_c_while_the_store_is_down_says_what_is_not_stored_and_a_second_stops_now(
        tmp_path: Path, make_dataset) -> None:
    """The PostgreSQL server goes away mid-run, then the user presses Ctrl-C: the run says it
    still waits for the store to keep the answers already paid for and that a second Ctrl-C
    stops now; the second one stops within seconds, says how many paid answers are not
    stored, and exits 130 without a traceback (the run's end could not be written either:
    one line). Before, the first Ctrl-C gave no word for up to two minutes, the second ended
    in "unhandled exception during asyncio.run() shutdown" and a traceback, and the closing
    line said every finished answer was stored."""
    from agility.testing import PostgresServer

    log = tmp_path / "requests.log"
    with PostgresServer() as pg:
        location = pg.create_database("outage")
        env = {**os.environ, **pg.environ(), "OPENAI_API_KEY": "sk-test-ctrl-c-0123456789",
               "PYTHONUNBUFFERED": "1"}
        here = Path(__file__).resolve().parent
        server = subprocess.Popen([sys.executable, str(here / "_logging_server.py"), str(log),
                                   "--ttft-ms", "200"], stdout=subprocess.PIPE, text=True,
                                  env=env)
        try:
            base_url = server.stdout.readline().split()[-1]
            run = subprocess.Popen(
                [sys.executable, "-c",
                 _AS_FROM_A_TERMINAL + "from agility.cli.main import main; main()",
                 "run", "--dataset", str(make_dataset(1000)), "--model", "openai/gpt-4o-mini",
                 "--base-url", base_url, "--name", "down", "--store", location],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 60
            while not log.exists() or len(log.read_text().splitlines()) < 12:
                assert run.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            pg.go_down()
            time.sleep(1.5)  # the writer meets the outage and waits
            run.send_signal(signal.SIGINT)
            time.sleep(2.0)
            stopping = time.monotonic()
            run.send_signal(signal.SIGINT)
            _, err = run.communicate(timeout=60)
            took = time.monotonic() - stopping
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=10)
    assert run.returncode == 130, err
    assert "Traceback" not in err and "unhandled exception" not in err, err
    assert "interrupt again to stop now" in err, err
    assert re.search(r"\d+ results already paid for are not stored", err), err
    assert "could not record run down as interrupted" in err
    assert "every finished answer is stored" not in err
    assert "interrupted: the answers stored so far are kept. Resume with:" in err
    assert took < 15, f"the second Ctrl-C took {took:.1f} s"
