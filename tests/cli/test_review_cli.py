"""`agility review ...` and `agility calibrate --queue` end to end on a real store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "review"))

from review_builder import build_runs

from agility.auth import Authenticator
from agility.cli.main import _register, app
from agility.store import Store

_register()
runner = CliRunner()


def _store(tmp_path: Path) -> Path:
    path = tmp_path / "agility.db"
    with Store(path) as store:
        build_runs(store)
    return path


def test_queue_user_review_export_and_calibrate(tmp_path: Path) -> None:
    db = _store(tmp_path)
    made = runner.invoke(app, ["review", "queue", "create", "q", "--comparison", "src", "tgt",
                               "--overlap", "0.5", "--store", str(db)])
    assert made.exit_code == 0, made.output
    assert "items" in made.output and "need two reviewers" in made.output
    added = runner.invoke(app, ["review", "user", "add", "alice", "--role", "reviewer",
                                "--queue", "q", "--store", str(db)])
    assert added.exit_code == 0, added.output
    secret = added.stdout.strip().splitlines()[-1]
    assert secret.startswith("alice:") and " " not in secret
    with Store(db) as store:
        principal = Authenticator(store).authenticate(cookie=None,
                                                      authorization=f"Bearer {secret}")
        assert principal.name == "alice"
        assert store.queue_reviewers(store.get_queue("q").id) == ["alice"]
        from agility.review import item_summaries, record_review

        account = store.get_account("alice")
        for item in item_summaries(store, store.get_queue("q"), account, "pending"):
            record_review(store, account, {"queue": "q", "example_id": item.example_id,
                                           "verdict": "correct", "score": 4})
    out = tmp_path / "reviews.jsonl"
    exported = runner.invoke(app, ["review", "export", "q", "-o", str(out), "--store", str(db)])
    assert exported.exit_code == 0, exported.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and all(r["reviewer"] == "alice" and len(r["answer_hash"]) == 64 for r in rows)
    calibrated = runner.invoke(app, ["calibrate", "--queue", "q", "--store", str(db)])
    assert calibrated.exit_code == 0, calibrated.output
    assert "correctness" in calibrated.output and "Cohen's kappa" in calibrated.output


def test_review_mistakes_are_one_line_and_exit_2(tmp_path: Path) -> None:
    db = _store(tmp_path)
    cases = [
        ["review", "queue", "create", "q", "--comparison", "src", "nope"],
        ["review", "user", "add", "bob", "--role", "admin"],
        ["review", "user", "add", "bad name"],
        ["review", "user", "add", "bob", "--queue", "missing"],
        ["review", "export", "missing", "-o", str(tmp_path / "x.csv")],
        ["calibrate", "--queue", "missing"],
        ["calibrate"],
    ]
    for args in cases:
        result = runner.invoke(app, [*args, "--store", str(db)])
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output and "error" in result.output, args
    with Store(db) as store:
        assert store.get_account("bob") is None  # nothing created by a failed command


def test_cli_help_imports_no_web_framework() -> None:
    code = ("import sys; from agility.cli.main import main; sys.argv=['agility','--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy=[m for m in ('starlette','uvicorn','fastapi','anyio') if m in sys.modules]\n"
            "print('LOADED', heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert "LOADED []" in done.stdout, done.stdout + done.stderr
