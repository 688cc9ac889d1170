"""`agility review serve` as a user runs it: the port bound before anything is said."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from review_builder import make_review_env
from typer.testing import CliRunner

from agility.cli.main import app

pytest.importorskip("starlette")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from agility.cli.main import main; main()", *args]


def test_a_taken_port_is_one_line_exit_2_before_any_success_line(tmp_path: Path) -> None:
    make_review_env(tmp_path / "agility.db").store.close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["review", "serve", "--port", str(port),
                                          "--store", str(tmp_path / "agility.db")])
    assert result.exit_code == 2, result.output
    assert "port must be free on 127.0.0.1" in result.output
    assert "review app on" not in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


@pytest.mark.parametrize("host", ["256.1.1.1", "8.8.8.8"])
def test_a_host_that_is_not_this_machine_is_named_not_the_port(tmp_path: Path, host: str) -> None:
    make_review_env(tmp_path / "agility.db").store.close()
    result = CliRunner().invoke(app, ["review", "serve", "--host", host, "--port", "0",
                                      "--store", str(tmp_path / "agility.db")])
    assert result.exit_code == 2, result.output
    assert "host must be an address of this machine" in result.output
    assert "port" not in result.output.split("(see")[0] and "Traceback" not in result.output


def test_port_0_serves_on_the_port_it_names_and_every_data_route_needs_a_login(
        tmp_path: Path) -> None:
    env = make_review_env(tmp_path / "agility.db")
    secret = env.secrets["lee"]
    env.store.close()
    proc = subprocess.Popen(_cli("review", "serve", "--port", "0", "--store",
                                 str(tmp_path / "agility.db")),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("review app on http://127.0.0.1:"), line
        url = line.split()[3].rstrip("/")
        assert not url.endswith(":0")
        deadline = time.monotonic() + 30
        while True:
            try:
                anonymous = httpx.get(f"{url}/api/queues", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the review app never answered"
                time.sleep(0.05)
        assert anonymous.status_code == 401
        lead = httpx.get(f"{url}/api/queues", headers={"authorization": f"Bearer {secret}"},
                         timeout=5)
        assert lead.status_code == 200
        assert [q["name"] for q in lead.json()] == ["q1", "q2"]
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: a clean stop, the shell's status for it
        status = proc.wait(20)
    rest = proc.stderr.read()
    assert status == 130 and "Traceback" not in rest, rest
