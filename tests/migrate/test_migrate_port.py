"""A plan's ``port:`` section: validated at load, ported first, the port's runs reused."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "port"))

from port_fixtures import HOLDOUT_MARK, LEGACY, shape_responder, value_of, write_golden

from agility.errors import ConfigError
from agility.migrate import load_plan, migrate
from agility.store import Store
from agility.testing import FakeOpenAIServer

PLAN = """\
name: shop
dataset: {path: golden.jsonl, splits: [holdout]}
source:
  name: old
  model: openai/fake
  prompt: legacy.yaml
  provider_options: {base_url: BASE}
  config: {max_tokens: 32}
target:
  name: new
  model: openai/fake
  provider_options: {base_url: BASE}
  config: {max_tokens: 32}
PORT
metrics: [correctness]
criteria: {quality: {metrics: [correctness], min_examples: 10}, latency: {ttft_max_increase_pct: null, ttft_max_increase_ms: null}, cost: {max_increase_pct: null}, error_rate: {max_increase_points: null}, use_holdout: true}
output: report
"""
LEGACY_SYSTEM = yaml.safe_load(LEGACY)["system"]
PORT = "port: {generators: [rules], minibatch: 8, finalists: 1, budget_calls: 200}"


def _plan(folder: Path, base_url: str = "http://127.0.0.1:9/v1", port: str = PORT,
          **replace: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_golden(folder)
    (folder / "legacy.yaml").write_text(LEGACY, encoding="utf-8")
    text = PLAN.replace("BASE", base_url).replace("PORT", port)
    for old, new in replace.items():
        text = text.replace(old, new)
    path = folder / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "expected"), [
    ({"  config: {max_tokens: 32}\nport:": "  config: {max_tokens: 32}\n  prompt: legacy.yaml\n"
                                           "port:"},
     "port: writes the target's prompt, so target.prompt must be absent"),
    ({"  prompt: legacy.yaml\n": ""}, "port: needs source.prompt"),
    ({"minibatch: 8": "minibatch: 8, budgets: 3"}, "plan.yaml:14: port.budgets: unknown field"),
    ({"budget_calls: 200": "budget_calls: 0"}, "a budget of 0 calls allows no call"),
    ({"generators: [rules]": "generators: [rules], output: ../elsewhere.yaml"},
     "port.output: ../elsewhere.yaml is outside the plan's folder"),
    ({"generators: [rules]": "generators: [rules], optimizer: openai/o, optimizer_options: "
                             "{base_url: 'https://evil.example/v1'}"},
     "port.optimizer_options.base_url"),
])
def test_a_bad_port_section_names_the_line_and_field(
        tmp_path: Path, change: dict[str, str], expected: str) -> None:
    path = _plan(tmp_path / "p")
    text = path.read_text()
    for old, new in change.items():
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_plan(path)
    assert expected in str(info.value) and "plan.yaml:" in str(info.value)


def test_the_port_section_defaults_its_output_into_the_report_folder(tmp_path: Path) -> None:
    plan = load_plan(_plan(tmp_path / "p"))
    assert plan.port is not None and plan.port.output == tmp_path / "p" / "report" / "ported.yaml"


def test_migrate_ports_first_and_compares_on_the_port_s_own_runs(tmp_path: Path) -> None:
    with FakeOpenAIServer(responder=shape_responder) as server, \
            Store(tmp_path / "s.db") as store:
        path = _plan(tmp_path / "p", server.base_url)
        result = migrate(path, store=store, progress=False)
        after_port = result.lineage["port"]["calls_used"]
        sent = len(server.requests)
        again = migrate(path, store=store, progress=False)
        assert len(server.requests) == sent
        held = len(store.results(store.require_run(result.target_run).id))
    ported = result.lineage["port"]
    assert ported["chosen_label"] == "rules-plain" and ported["holdout_gain"] == 1.0
    assert ported["prompt"] == str(tmp_path / "p" / "report" / "ported.yaml")
    assert Path(ported["html"]).is_file() and Path(ported["report"]).is_file()
    # the target is the chosen candidate's run, the source the port's baseline (same model
    # and settings): the holdout answers the port paid for are the ones compared
    assert result.target_run == f"port/shop/{ported['chosen']}"
    assert result.source_run.startswith("port/shop/source-")
    assert sent == after_port
    assert result.lineage["target"]["prompt_hash"] == ported["prompt_hash"]
    # the runs hold the dev rows the port scored and the holdout; the migration compares the
    # plan's split (the holdout) only
    assert result.headline["quality"]["correctness"] == {
        "source": 0.0, "target": 1.0, "relative_change": None, "n": 10}
    holdout = result.comparison.metrics[0].holdout
    assert holdout is not None and holdout.n == 10 and result.comparison.gate_split == "holdout"
    assert result.verdict == "PASS" and again.verdict == "PASS"
    assert "chose rules-plain" in result.steps["port"]
    # the score step's means cover every answer the run holds: it says so, and that the
    # gate reads the holdout only (its means differ from the comparison's)
    assert result.steps["score target"].endswith(
        f"(over the run's {held} answers; the gate reads the 10 holdout rows only)")
    assert held > 10  # the dev rows the port scored


def _right_only_for_the_legacy_prompt(body: dict[str, object]) -> str:
    """Right only for the legacy prompt as written, with its own settings: no candidate can
    beat the source prompt."""
    messages = body.get("messages") or []
    assert isinstance(messages, list)
    last = str(messages[-1].get("content", "")) if messages else ""
    number = int(re.findall(r"value of (?:item|zebra) (\d+)\?", last)[-1])
    legacy = [m for m in messages if m.get("role") == "system"] == [
        {"role": "system", "content": LEGACY_SYSTEM}] and body.get("max_tokens") == 32
    return f"{value_of(number)} dollars" if legacy else "I cannot say."


def test_a_port_that_keeps_the_source_prompt_runs_the_source_side_on_its_own(
        tmp_path: Path) -> None:
    """Regression: when nothing beats the source prompt on the same model and settings, the
    port's baseline run is the target's; it was the source's as well, and the migration ran
    one run twice at once (a traceback on the run's own lease)."""
    with FakeOpenAIServer(responder=_right_only_for_the_legacy_prompt) as server, \
            Store(tmp_path / "s.db") as store:
        result = migrate(_plan(tmp_path / "p", server.base_url), store=store, progress=False)
        holdout_calls = [r for r in server.requests if HOLDOUT_MARK in json.dumps(r)]
    ported = result.lineage["port"]
    assert ported["chosen_label"] == "source"
    assert result.target_run == f"port/shop/{ported['chosen']}"
    assert result.source_run == "shop/old"
    # the holdout was answered by the port once, then by the source side in its own run
    assert len(holdout_calls) == 20
    assert result.steps["target"] == "up to date (10 answers already stored)"
    # the target's run also holds the 30 dev rows the port searched on: the comparison reads
    # the plan's split only, so they are not the source's missing answers (it read 0.25, n=40)
    assert result.headline["quality"]["correctness"] == {
        "source": 1.0, "target": 1.0, "relative_change": 0.0, "n": 10}
    assert result.comparison.errors.source.missing == 0


def test_the_review_queue_of_a_ported_plan_holds_only_the_plan_s_split(tmp_path: Path) -> None:
    """The chosen candidate's run also holds the dev rows the port searched on; the SME sample
    is drawn from what the migration compares (the holdout), not from those."""
    review = "review: {failure_share: 1.0, pass_share: 1.0, disagreements: false}\n"
    with FakeOpenAIServer(responder=shape_responder) as server, \
            Store(tmp_path / "s.db") as store:
        path = _plan(tmp_path / "p", server.base_url, **{"\nmetrics:": "\n" + review + "metrics:"})
        result = migrate(path, store=store, progress=False)
        assert result.review_queue is not None
        queue = store.get_queue(result.review_queue)
        assert queue is not None
        items = [i.example_id for i in store.queue_items(queue.id)]
    holdout = {f"q{i:02d}" for i in range(0, 40, 4)}
    # every holdout answer (all of them drawn), and no dev row
    assert sorted(items) == sorted(holdout)
