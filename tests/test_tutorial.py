"""docs/tutorial.md is run as written: every command of its bash blocks, in order, in an empty
folder, each command's exit status checked (verdict commands may say 1; nothing may say 2 or
print a traceback)."""

from __future__ import annotations

import os
import re
import shlex
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
#: commands whose exit status 1 reports a verdict or a run with problems, not an error
_MAY_SAY_ONE = ("agility compare", "agility run")


def commands(text: str) -> list[str]:
    """The commands of the markdown's bash blocks, continuation lines joined."""
    out: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL):
        pending = ""
        for line in block.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            pending += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
            if not line.endswith("\\"):
                out.append(pending.strip())
                pending = ""
    return out


def _script(cmds: list[str], status: Path) -> str:
    lines = ["trap 'kill $(jobs -p) 2>/dev/null' EXIT"]
    for index, cmd in enumerate(cmds):
        lines.append(cmd)
        if not cmd.endswith("&"):
            lines.append(f'echo "{index} $?" >> {shlex.quote(str(status))}')
    return "\n".join(lines) + "\n"


def test_the_tutorial_names_only_commands_that_exist() -> None:
    from agility.cli.main import command

    known = set(command().commands)
    used = {c.split()[1] for c in commands(TUTORIAL.read_text()) if c.startswith("agility ")}
    assert used and used <= known, used - known


@pytest.mark.slow
def test_the_tutorial_runs_end_to_end(tmp_path: Path, financebench_dir: Path) -> None:
    cmds = commands(TUTORIAL.read_text())
    status = tmp_path / "status.log"
    script = tmp_path / "tutorial.sh"
    script.write_text(_script(cmds, status), encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "FINANCEBENCH": str(financebench_dir), "PORT": str(port),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", str(script)], cwd=work, env=env, capture_output=True,
                          text=True, timeout=3600, check=False)
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output[-4000:]
    codes = dict(line.split() for line in status.read_text().splitlines())
    ran = [cmd for cmd in cmds if not cmd.endswith("&")]
    assert len(codes) == len(ran), output[-4000:]
    for index, cmd in enumerate(cmds):
        if cmd.endswith("&") or cmd.startswith("kill "):
            continue
        allowed = {"0", "1"} if cmd.startswith(_MAY_SAY_ONE) else {"0"}
        assert codes[str(index)] in allowed, f"{cmd!r} exited {codes[str(index)]}\n" \
                                             f"{output[-4000:]}"
    assert (work / "report.html").is_file() and (work / "target.csv").is_file()
    assert "INCOMPLETE" in output  # three rows cannot decide: the tutorial says so
    with sqlite3.connect(work / ".agility" / "agility.db") as conn:
        served = conn.execute("SELECT COUNT(*), SUM(error IS NULL) FROM results JOIN runs ON "
                              "runs.id = results.run_id WHERE runs.name = 'served'").fetchone()
    assert served == (3, 3)  # every call to the HTTP server at concurrency 2 succeeded
