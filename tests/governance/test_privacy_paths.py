"""A canary planted in a golden row never reaches a judge, a provider, the store's bytes, an
export or a report when the plan's privacy policy masks those paths."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("presidio_analyzer", reason="needs the privacy extra (Presidio)")

from agility.cli.main import _register, app  # noqa: E402
from agility.errors import PolicyViolation  # noqa: E402
from agility.migrate import migrate  # noqa: E402
from agility.store import Store  # noqa: E402
from agility.testing import FakeOpenAIServer  # noqa: E402

_register()

EMAIL, SSN = "canary.person@example.com", "536-80-4398"
JUDGMENT = '{"reason": "matches", "verdict": "correct", "score": 1.0}'


def _plan(folder: Path, model_url: str, judge_url: str, privacy: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        {"id": "p1", "source_prompt": f"Write to {EMAIL} about SSN {SSN}. Which e-mail?",
         "ground_truth": EMAIL},
        {"id": "p2", "source_prompt": "What was revenue in 2024?", "ground_truth": "$1.2 billion"},
    ]
    (folder / "golden.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    plan = folder / "plan.yaml"
    plan.write_text(f"""
name: pii-plan
dataset: {{path: golden.jsonl}}
source: {{name: src, model: openai/m1, provider_options: {{base_url: "{model_url}"}}}}
target: {{name: tgt, model: openai/m2, provider_options: {{base_url: "{model_url}"}}}}
metrics: [correctness, llm_correctness]
judge: openai/judge
judge_options: {{base_url: "{judge_url}"}}
{privacy}
""")
    return plan


def _reports_written(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (folder / "agility-report").iterdir()}


def test_the_canary_never_leaves_when_every_path_is_masked(
        tmp_path: Path, store_location: str, stored_bytes: Callable[[Store], bytes]) -> None:
    # the model leaks the canary back in its answer: the store and reports must mask it too
    with FakeOpenAIServer(responder=lambda body: f"It is {EMAIL}, SSN {SSN}.") as models, \
            FakeOpenAIServer(responder=lambda body: JUDGMENT) as judge:
        plan = _plan(tmp_path / "m", models.base_url, judge.base_url,
                     "privacy: {mask: [EMAIL_ADDRESS, US_SSN], mode: hash}")
        db = store_location
        with Store(db) as store:
            result = migrate(plan, store=store, progress=False)
            assert result.steps["privacy"].startswith("masking changes the ground truth of 1")
            exported = tmp_path / "export.jsonl"
            done = CliRunner().invoke(app, ["export", "pii-plan/tgt", "-o", str(exported),
                                            "--store", db])
            assert done.exit_code == 0, done.output
            audit = tmp_path / "audit.jsonl"
            assert CliRunner().invoke(app, ["audit", "export", "-o", str(audit), "--store",
                                            db]).exit_code == 0
            assert store.verify_audit().ok
            in_store = stored_bytes(store)
        sent_to_models = json.dumps(models.requests)
        sent_to_judge = json.dumps(judge.requests)
    assert len(models.requests) == 4 and len(judge.requests) == 4
    written = _reports_written(tmp_path / "m")
    written["the store"] = in_store
    written["export.jsonl"] = exported.read_bytes()
    written["audit.jsonl"] = audit.read_bytes()
    for canary in (EMAIL, SSN):
        assert canary not in sent_to_models and canary not in sent_to_judge
        for name, data in written.items():
            assert canary.encode() not in data, f"{canary} reached {name}"
    # the masked row is there, as a keyed token (the same value keeps the same token)
    assert "<EMAIL_ADDRESS:" in sent_to_judge and b"<US_SSN:" in written["export.jsonl"]
    assert b"<EMAIL_ADDRESS:" in written["the store"]


def test_only_the_paths_named_are_masked(tmp_path: Path) -> None:
    with FakeOpenAIServer(responder=lambda body: f"It is {EMAIL}.") as models, \
            FakeOpenAIServer(responder=lambda body: JUDGMENT) as judge:
        plan = _plan(tmp_path / "m", models.base_url, judge.base_url,
                     "privacy: {mask: [EMAIL_ADDRESS], where: [judges], mode: redact}")
        with Store(tmp_path / "agility.db") as store:
            migrate(plan, store=store, progress=False)
            (result,) = [r for r in store.results(store.require_run("pii-plan/tgt").id)
                         if r.example_id == "p1"]
        assert EMAIL in json.dumps(models.requests)          # providers: not masked
        assert result.output is not None and EMAIL in result.output  # store: not masked
        assert EMAIL not in json.dumps(judge.requests)        # judges: masked
        assert "<EMAIL_ADDRESS>" in json.dumps(judge.requests)


def test_residency_refuses_a_model_outside_before_any_call(tmp_path: Path) -> None:
    with FakeOpenAIServer(responder=lambda body: "x") as models, \
            FakeOpenAIServer(responder=lambda body: JUDGMENT) as judge:
        plan = _plan(tmp_path / "m", models.base_url, judge.base_url,
                     "residency: {allowed: [eu-central-1, eu-west-1]}")
        with Store(tmp_path / "agility.db") as store, \
                pytest.raises(PolicyViolation) as refused:
            migrate(plan, store=store, progress=False)
        with Store(tmp_path / "agility.db") as store:
            assert store.list_runs() == []
        assert models.requests == [] and judge.requests == []
    assert refused.value.policy == "residency"
    assert "source openai/m1 may run in local" in str(refused.value)
    assert "outside the allowed eu-central-1, eu-west-1" in str(refused.value)


def test_residency_mapping_is_in_the_lineage(tmp_path: Path) -> None:
    with FakeOpenAIServer(responder=lambda body: "x") as models, \
            FakeOpenAIServer(responder=lambda body: JUDGMENT) as judge:
        plan = _plan(tmp_path / "m", models.base_url, judge.base_url,
                     "residency: {allowed: [local]}")
        with Store(tmp_path / "agility.db") as store:
            result = migrate(plan, store=store, progress=False)
    mapping = result.lineage["residency"]
    assert mapping["allowed"] == ["local"]
    assert mapping["source"]["regions"] == ["local"] and "127.0.0.1" in mapping["source"]["basis"]
    assert mapping["judge"]["model"] == "openai/judge"
