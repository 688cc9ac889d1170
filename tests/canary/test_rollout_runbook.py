"""docs/rollout.md's rollback runbook, run as written against a live gateway.

Every ```bash runbook``` block of the page runs in order in bash (-e, pipefail) with PLAN,
STORE, GATEWAY and TOKEN set; a step that fails (a grep that finds nothing) fails the test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agility.testing import FakeOpenAIServer
from tests.canary.conftest import events_of, openai_side, write_plan

DOC = Path(__file__).resolve().parents[2] / "docs" / "rollout.md"


def runbook_steps() -> list[str]:
    """The ```bash runbook``` blocks of docs/rollout.md, in order."""
    return re.findall(r"```bash runbook\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_the_page_has_the_runbook() -> None:
    steps = runbook_steps()
    assert len(steps) >= 5 and any("canary rollback" in s for s in steps)


@pytest.mark.slow
def test_the_rollback_runbook_works_as_written(tmp_path: Path, gateway) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "agility"  # the agility of this checkout, as the docs call it
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "from agility.cli.main import main; '
                    f'main()" "$@"\n')
    shim.chmod(0o755)
    with FakeOpenAIServer() as upstream:
        plan = write_plan(tmp_path, source=openai_side(upstream.base_url),
                          target=openai_side(upstream.base_url),
                          rollout={"stages": [{"percent": 50}, {"percent": 100}]})
        store = tmp_path / "agility.db"
        gw = gateway(plan)
        env = {**os.environ, "PLAN": str(plan), "STORE": str(store), "GATEWAY": gw.url,
               "TOKEN": gw.client_token,
               "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
        for step in runbook_steps():
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", step], env=env,
                                  capture_output=True, text=True, timeout=120, cwd=tmp_path)
            assert done.returncode == 0, f"step failed:\n{step}\n{done.stdout}\n{done.stderr}"
    kinds = [e["kind"] for e in events_of(store)]
    assert kinds == ["canary.started", "canary.rolled_back", "canary.restarted"]
    assert events_of(store, "canary.rolled_back")[0]["payload"]["reason"] == \
        "pager: wrong figures in answers"
