"""Sign-off against the migration's lineage digest: required roles, PASS only with the gate,
a changed dataset voids earlier approvals, the record verifies; the report's checklist."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.migrate import load_plan, migrate
from agility.store import Store

_register()
runner = CliRunner()

CRITERIA = """criteria:
  quality: {metrics: [correctness], max_relative_drop: 0.5, alpha: 0.05, test: non_inferiority}
  latency: {ttft_max_increase_pct: null, ttft_max_increase_ms: null}
  cost: {max_increase_pct: null}
  safety: {metrics: []}
  error_rate: {max_increase_points: null}
  use_holdout: false
"""


def _migration(folder: Path, answers_right: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"id": f"q{i}", "source_prompt": f"What is {i}+{i}?", "ground_truth": str(2 * i)}
            for i in range(40)]
    (folder / "golden.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "rec.jsonl").write_text("".join(json.dumps({"id": r["id"], "output": r[
        "ground_truth"]}) + "\n" for r in rows))
    (folder / "wrong.jsonl").write_text("".join(json.dumps({"id": r["id"], "output": "no"})
                                                + "\n" for r in rows))
    plan = folder / "plan.yaml"
    plan.write_text(f"""name: so
dataset: {{path: golden.jsonl, freeze: false}}
source: {{name: a, recorded_outputs: rec.jsonl}}
target: {{name: b, recorded_outputs: {'rec.jsonl' if answers_right else 'wrong.jsonl'}}}
metrics: [correctness]
signoff: {{required: [product_owner, privacy]}}
{CRITERIA}""")
    return plan


def _cli(*args: str) -> tuple[int, str]:
    done = runner.invoke(app, list(args))
    return done.exit_code, done.output


def test_pass_needs_the_gate_and_every_required_role(tmp_path: Path,
                                                     store_location: str) -> None:
    plan = _migration(tmp_path / "m")
    db = store_location
    with Store(db) as store:
        assert migrate(plan, store=store, progress=False).verdict == "PASS"
    code, out = _cli("signoff", str(plan), "--role", "sre", "--decision", "approve",
                     "--note", "ok", "--store", db)
    assert code == 2 and "role 'sre' is not one the plan requires" in out
    code, _ = _cli("--actor", "alice", "signoff", str(plan), "--role", "product_owner",
                   "--decision", "approve", "--note", "looks good", "--store", db)
    assert code == 0
    code, out = _cli("signoff", "verify", str(plan), "--store", db)
    assert code == 1 and "PENDING" in out and "privacy: missing" in out
    _cli("--actor", "bob", "signoff", str(plan), "--role", "privacy", "--decision", "approve",
         "--note", "masking checked", "--store", db)
    record = tmp_path / "signoff.json"
    code, out = _cli("signoff", "verify", str(plan), "--store", db, "-o", str(record))
    assert code == 0 and "PASS" in out
    saved = json.loads(record.read_text())
    assert saved["verdict"] == "PASS" and saved["audit_chain_ok"]
    assert {r: a["actor"] for r, a in saved["decisions"].items()} == {
        "product_owner": "alice", "privacy": "bob"}
    assert re.fullmatch(r"[0-9a-f]{64}", saved["lineage_digest"])


def test_a_rejection_or_a_failed_gate_is_never_a_pass(tmp_path: Path,
                                                      store_location: str) -> None:
    plan = _migration(tmp_path / "m", answers_right=False)
    db = store_location
    with Store(db) as store:
        assert migrate(plan, store=store, progress=False).verdict != "PASS"
    for role in ("product_owner", "privacy"):
        _cli("signoff", str(plan), "--role", role, "--decision", "approve", "--note", "fine",
             "--store", db)
    code, out = _cli("signoff", "verify", str(plan), "--store", db)
    assert code == 1 and "FAIL" in out and "the gate's verdict is" in out


def test_a_changed_dataset_voids_earlier_approvals(tmp_path: Path, store_location: str) -> None:
    plan = _migration(tmp_path / "m")
    db = store_location
    with Store(db) as store:
        migrate(plan, store=store, progress=False)
    for role in ("product_owner", "privacy"):
        _cli("signoff", str(plan), "--role", role, "--decision", "approve", "--note", "fine",
             "--store", db)
    golden = tmp_path / "m" / "golden.jsonl"
    golden.write_text(golden.read_text().replace('"ground_truth": "0"', '"ground_truth": "zero"'))
    # a new dataset hash: the runs are made afresh under new names
    plan.write_text(plan.read_text().replace("name: a,", "name: a2,").replace("name: b,",
                                                                            "name: b2,"))
    with Store(db) as store:
        migrate(plan, store=store, progress=False)
        from agility.governance import signoff_status

        status = signoff_status(store, load_plan(plan))
    assert status.verdict == "PENDING" and status.missing == ["product_owner", "privacy"]
    assert len(status.void) == 2


def test_the_report_shows_the_governance_checklist(tmp_path: Path) -> None:
    plan = _migration(tmp_path / "m")
    with Store(tmp_path / "s.db") as store:
        result = migrate(plan, store=store, progress=False)
    html = result.report_html.read_text()
    assert '<section id="governance">' in html
    for item in ("audit trail", "PII masking", "data residency", "retention", "sign-off"):
        assert f"<td>{item}</td>" in html
    assert "PENDING: waiting for product_owner, privacy" in html
    saved = json.loads(result.report_json.read_text())
    assert saved["governance"][0]["item"] == "audit trail"
