"""Files are written atomically: a failed write leaves the old file whole and no debris.

A full disk is simulated portably with RLIMIT_FSIZE in a child process (writing past the limit
fails with EFBIG, as a full disk fails with ENOSPC); the tmpfs tests beside the dataset, store
and migration tests fill a real file system.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from agility._files import atomic_write

#: a child that caps the size of files it may write, then runs ``code``
_CAPPED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # EFBIG instead of being killed
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
{code}
"""


def run_capped(code: str, limit: int, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a Python child that cannot write files longer than ``limit`` bytes."""
    script = _CAPPED.format(limit=limit, code=textwrap.dedent(code))
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


def debris(folder: Path) -> list[str]:
    """Temporary files an atomic write left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.json"
    atomic_write(target, '{"v": 1}\n')
    atomic_write(target, '{"v": 2}\n')
    assert json.loads(target.read_text()) == {"v": 2}
    assert debris(target.parent) == []
    atomic_write(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"


def test_a_write_that_fails_midway_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "migration.json"
    target.write_text('{"verdict": "PASS"}\n', encoding="utf-8")
    done = run_capped(f"""
        import errno
        from agility._files import atomic_write
        try:
            atomic_write({str(target)!r}, "x" * 50_000)
        except OSError as exc:
            print(errno.errorcode[exc.errno])
        """, limit=4096, cwd=tmp_path)
    assert done.stdout.strip() == "EFBIG", done.stderr
    assert target.read_text(encoding="utf-8") == '{"verdict": "PASS"}\n'
    assert debris(tmp_path) == []


def test_freeze_that_cannot_write_its_manifest_leaves_none(tmp_path: Path) -> None:
    # used to leave a truncated manifest that then blocked every command on the dataset
    rows = [{"id": f"q{i}", "source_prompt": f"question {i}?", "ground_truth": f"a{i}"}
            for i in range(60)]
    data = tmp_path / "golden.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    done = run_capped("""
        from agility.cli.main import main
        sys.argv = ["agility", "dataset", "freeze", "golden.jsonl"]
        main()
        """, limit=2048, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "larger than this system allows" in done.stderr
    assert not (tmp_path / "golden.jsonl.manifest.json").exists()
    assert debris(tmp_path) == []
    # nothing blocks the dataset afterwards
    from agility.dataset import load_dataset

    assert len(load_dataset(data)) == 60
