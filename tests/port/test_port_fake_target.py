"""The port against a real HTTP server speaking the OpenAI wire protocol (agility.testing).

The target answers right only when the prompt has the plain completion layout, so a port that
works must find that shape. Every request body the server received is in its log: the holdout
lock is checked on that log, and the budgets against the number of requests it counts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from port_fixtures import HOLDOUT_MARK, golden_rows, shape_responder, write_golden

from agility.compare import timing_conditions
from agility.port import PortOptions, aport
from agility.prompts import load_template
from agility.store import Store
from agility.testing import FakeOpenAIServer


def _options(golden: Path, legacy: Path, server: FakeOpenAIServer, out: Path,
             **more: Any) -> PortOptions:
    values: dict[str, Any] = {
        "dataset": golden, "prompt": legacy, "target": "openai/fake-model",
        "target_options": {"base_url": server.base_url}, "config": {"max_tokens": 64},
        "generators": ["rules"], "minibatch": 8, "output": out, "name": "t"}
    values.update(more)
    return PortOptions(**values)


def _holdout_positions(requests: list[dict[str, Any]]) -> list[int]:
    return [i for i, body in enumerate(requests) if HOLDOUT_MARK in json.dumps(body)]


async def test_port_finds_the_prompt_shape_the_target_needs(
        golden: Path, legacy: Path, shape_server: FakeOpenAIServer, tmp_path: Path) -> None:
    out = tmp_path / "ported.yaml"
    with Store(tmp_path / "s.db") as store:
        result = await aport(_options(golden, legacy, shape_server, out), store=store,
                             report_json=tmp_path / "port.json",
                             report_html=tmp_path / "port.html")
    report = result.report
    assert report.chosen_label == "rules-plain"
    assert report.source.dev["correctness"].mean == 0.0
    assert report.ported.dev["correctness"].mean == 1.0
    assert report.gain("holdout") == 1.0 and report.ported.holdout["correctness"].n == 10
    # the source prompt's answers echoed Llama-2 markup: found, and cut by a stop sequence
    assert report.format_echo is not None and report.format_echo.markers == {"[INST]": 8}
    assert "[INST]" in result.chosen.config.stop
    # the file is what `agility run --prompt` reads, runs as the candidate ran, and says
    # where it came from
    template = load_template(out)
    assert template.hash == report.ported_prompt["hash"] == result.chosen.template.hash
    assert template.config is not None and template.config.max_tokens == result.chosen.config.max_tokens
    assert template.lineage["parent"]["hash"] == load_template(legacy).hash
    assert template.lineage["dataset"]["hash"] == report.dataset["hash"]
    assert template.lineage["target"] == {"model": "openai/fake-model", "family": "generic"}
    assert template.lineage["seed"] == 0 and template.lineage["generators"] == [
        "source", "rules-plain"]
    saved = json.loads((tmp_path / "port.json").read_text())
    assert saved["chosen"] == report.chosen and saved["budget"]["calls_used"] == len(
        shape_server.requests)


async def test_no_holdout_row_reaches_the_target_before_the_choice(
        golden: Path, legacy: Path, shape_server: FakeOpenAIServer, tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        result = await aport(_options(golden, legacy, shape_server, tmp_path / "p.yaml"),
                             store=store)
    requests = shape_server.requests
    holdout = _holdout_positions(requests)
    # the holdout went out last, once for the source prompt and once for the chosen one
    assert holdout == list(range(len(requests) - 20, len(requests)))
    assert not any(HOLDOUT_MARK in json.dumps(body) for body in requests[:-20])
    asked = [json.dumps(body) for body in requests[-20:]]
    for row in golden_rows():
        if row["split"] == "holdout":
            assert sum(row["source_prompt"] in text for text in asked) == 2
    assert result.report.holdout["locked_during_search"] is True


async def test_the_holdout_cannot_change_the_choice(
        legacy: Path, tmp_path: Path) -> None:
    chosen = []
    for variant in ("a", "b"):
        rows = golden_rows()
        if variant == "b":  # other holdout answers and documents: the choice must not move
            for row in rows:
                if row["split"] == "holdout":
                    row["ground_truth"] = "unknown"
                    row["input_context"] = ["Nothing useful."]
        folder = tmp_path / variant
        folder.mkdir()
        golden = write_golden(folder, rows)
        with FakeOpenAIServer(responder=_plain_or_not) as server, \
                Store(folder / "s.db") as store:
            result = await aport(_options(golden, legacy, server, folder / "p.yaml"),
                                 store=store)
        chosen.append((result.report.chosen, [
            (c.id, c.minibatch.mean if c.minibatch else None)
            for c in result.report.candidates]))
    assert chosen[0] == chosen[1]


def _plain_or_not(body: dict[str, Any]) -> str:
    return shape_responder(body)


async def test_a_resumed_port_pays_nothing_twice(
        golden: Path, legacy: Path, shape_server: FakeOpenAIServer, tmp_path: Path) -> None:
    options = _options(golden, legacy, shape_server, tmp_path / "p.yaml")
    with Store(tmp_path / "s.db") as store:
        first = await aport(options, store=store)
        sent = len(shape_server.requests)
        again = await aport(options, store=store)
    assert len(shape_server.requests) == sent
    assert again.report.chosen == first.report.chosen
    assert again.report.budget.calls_this_time == 0
    assert again.report.budget.calls_used == first.report.budget.calls_used == sent


@pytest.mark.parametrize("cut", [0, 1, 9])
async def test_the_call_budget_holds_exactly(
        golden: Path, legacy: Path, tmp_path: Path, cut: int) -> None:
    # how many calls the whole port takes without a budget
    with FakeOpenAIServer(responder=_plain_or_not) as server, \
            Store(tmp_path / "free.db") as store:
        free = await aport(_options(golden, legacy, server, tmp_path / "f.yaml"), store=store)
        needed = len(server.requests)
    assert free.report.budget.calls_used == needed
    limit = needed - cut
    with FakeOpenAIServer(responder=_plain_or_not) as server, \
            Store(tmp_path / f"cut{cut}.db") as store:
        result = await aport(_options(golden, legacy, server, tmp_path / "c.yaml",
                                      budget_calls=limit), store=store)
        sent = len(server.requests)
    budget = result.report.budget
    assert sent <= limit and budget.calls_used == sent and budget.calls_limit == limit
    if cut == 0:
        assert sent == needed and result.report.chosen == free.report.chosen
    else:
        assert "budget" in budget.stop_reason
    # whatever the cut, the holdout scoring was kept whole
    assert result.report.holdout["complete"] is True
    assert result.report.ported.holdout["correctness"].n == 10


async def test_the_usd_budget_holds(golden: Path, legacy: Path, tmp_path: Path) -> None:
    # output tokens only, $1 each: a call with max_tokens 64 may cost $64 at most, and
    # really costs what its answer's tokens cost (about $2)
    price = {"input_per_mtok": 0.0, "output_per_mtok": 1_000_000.0}
    limit = 15 * 64.0
    with FakeOpenAIServer(responder=_plain_or_not) as server, \
            Store(tmp_path / "cut.db") as store:
        result = await aport(_options(golden, legacy, server, tmp_path / "c.yaml", price=price,
                                      budget_usd=limit), store=store)
        sent = len(server.requests)
        cost = {}
        for run in store.list_runs():
            for res in store.results(run.id):
                cost[(run.name, res.example_id)] = res.cost_usd
        reservations = store.events(subject="t", kind="port.reserve")
    budget = result.report.budget
    assert len(cost) == sent and all(c is not None for c in cost.values())
    assert budget.usd_used is not None and budget.usd_used <= limit
    assert sum(c for c in cost.values() if c is not None) == pytest.approx(budget.usd_measured)
    # each batch went out only when what was spent before it plus the most it could cost
    # fitted the limit
    spent = 0.0
    for event in reservations:
        assert spent + sum(event.payload["worst_usd"]) <= limit + 1e-9
        spent += sum(cost[(event.payload["run"], i)] or 0.0 for i in event.payload["ids"])
    assert "budget" in budget.stop_reason
    assert result.report.holdout["complete"] is True


async def test_both_prompts_answer_the_holdout_interleaved(
        golden: Path, legacy: Path, shape_server: FakeOpenAIServer, tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        result = await aport(_options(golden, legacy, shape_server, tmp_path / "p.yaml"),
                             store=store)
        runs = [store.require_run(name) for name in result.report.holdout["runs"]]
        results = [store.results(run.id) for run in runs]
        holdout_ids = {r["id"] for r in golden_rows() if r["split"] == "holdout"}
        conditions = timing_conditions(
            runs[0], [r for r in results[0] if r.example_id in holdout_ids],
            runs[1], [r for r in results[1] if r.example_id in holdout_ids])
    # the legacy prompt has a system message, the chosen plain layout none: the holdout's
    # calls alternate between them (a neighbour swap allowed: two calls started one after
    # the other may reach the server in either order), never one prompt running ahead
    tail = ["system" in json.dumps(body["messages"][0]["role"])
            for body in shape_server.requests[-20:]]
    assert tail.count(True) == tail.count(False) == 10
    lead = [tail[:i].count(True) - tail[:i].count(False) for i in range(21)]
    assert max(abs(x) for x in lead) <= 2, tail
    # each run recorded that its holdout calls were made in turn with the other's
    last = [run.meta["timing_sessions"][-1] for run in runs]
    assert last[0]["interleaved_with"] == [runs[1].name]
    assert last[1]["interleaved_with"] == [runs[0].name]
    assert conditions.interleaved, conditions.text
