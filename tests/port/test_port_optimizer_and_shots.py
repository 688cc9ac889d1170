"""The optimiser (any provider, here a second OpenAI-compatible server) and few-shot pairs,
each against a target whose answers depend on what the prompt holds."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from port_fixtures import HOLDOUT_MARK, shape_responder, value_of

from agility.port import META_PROMPT_VERSIONS, PortOptions, aport
from agility.prompts import load_prompt_spec, load_template
from agility.store import Store
from agility.testing import FakeOpenAIServer

GOOD = json.dumps({"system": None, "user": "Facts:\n{{ context }}\nQ: {{ question }}\nAnswer:"})
REPLIES = ["I would make the prompt shorter.",  # the rewrite: not JSON, skipped
           GOOD]                                # the reflection: a usable prompt


def _optimizer_responder(log: list[str]) -> Any:
    def respond(body: dict[str, Any]) -> str:
        log.append(body["messages"][-1]["content"])
        return REPLIES[min(len(log) - 1, len(REPLIES) - 1)]
    return respond


def _target_wants_facts(body: dict[str, Any]) -> str:
    """Right only for the optimiser's good prompt (a 'Facts:' block)."""
    last = str(body["messages"][-1]["content"])
    asked = re.findall(r"value of ((?:item|zebra) \d+)\?", last)
    number = int(asked[-1].split()[-1]) if asked else 0
    return f"{value_of(number)} dollars" if "Facts:\n" in last else "I cannot tell."


async def test_the_optimiser_rewrites_and_reflects_and_bad_replies_are_skipped(
        golden: Path, legacy: Path, tmp_path: Path) -> None:
    asked: list[str] = []
    with FakeOpenAIServer(responder=_optimizer_responder(asked)) as optimizer, \
            FakeOpenAIServer(responder=_target_wants_facts) as target, \
            Store(tmp_path / "s.db") as store:
        options = PortOptions(
            dataset=golden, prompt=legacy, target="openai/t", name="o",
            target_options={"base_url": target.base_url}, config={"max_tokens": 32},
            generators=["optimizer"], optimizer="openai/opt",
            optimizer_options={"base_url": optimizer.base_url}, optimizer_rounds=2,
            minibatch=8, output=tmp_path / "p.yaml")
        result = await aport(options, store=store)
        sent = len(optimizer.requests)
        again = await aport(options, store=store)  # resumed: the replies are reused
        assert len(optimizer.requests) == sent
        assert again.report.chosen == result.report.chosen
    report = result.report
    # round 1 asked for a rewrite and a reflection on the source's dev failures
    assert asked[0].startswith("You port prompts between language models.")
    assert asked[1].startswith("You improve prompts") and "expected: " in asked[1]
    assert "answer: I cannot tell." in asked[1]
    # both meta-prompts ask for the source's constraint word for word (version 2)
    for text in asked[:2]:
        assert "Keep each of these constraints of the current prompt, word for word" in text
        assert "\n  - Never give investment advice." in text
    assert [(r["label"], r["reason"]) for r in report.rejected] == [
        ("optimizer-rewrite-1", "the reply holds no JSON object")]
    assert report.rejected[0]["reply"] == REPLIES[0]  # recorded, never written out
    assert report.chosen_label == "optimizer-reflect-1" and report.gain("holdout") == 1.0
    written = load_prompt_spec(tmp_path / "p.yaml")
    # the reply dropped the source's constraint: it went back, as a line opening the prompt
    assert written.messages[0].content == "Never give investment advice.\n\n" + json.loads(
        GOOD)["user"] and written.system is None
    # no holdout row ever went to the optimiser
    assert not any(HOLDOUT_MARK in text for text in asked)
    assert report.optimizer == {"model": "openai/opt", "meta_prompts": META_PROMPT_VERSIONS}
    lineage = load_template(tmp_path / "p.yaml").lineage
    assert lineage["optimizer"]["meta_prompts"] == META_PROMPT_VERSIONS
    assert report.budget.calls_used == sent + len(target.requests)


def _target_wants_examples(body: dict[str, Any]) -> str:
    """Right only when the prompt shows a worked example (an assistant turn)."""
    if not any(m.get("role") == "assistant" for m in body["messages"]):
        return shape_responder(body)
    last = str(body["messages"][-1]["content"])
    asked = re.findall(r"value of ((?:item|zebra) \d+)\?", last)
    number = int(asked[-1].split()[-1]) if asked else 0
    return f"{value_of(number)} dollars"


async def test_few_shot_pairs_come_from_the_dev_pool_only(
        golden: Path, legacy: Path, tmp_path: Path) -> None:
    with FakeOpenAIServer(responder=_target_wants_examples) as target, \
            Store(tmp_path / "s.db") as store:
        result = await aport(PortOptions(
            dataset=golden, prompt=legacy, target="openai/t", name="f",
            target_options={"base_url": target.base_url}, config={"max_tokens": 32},
            generators=["few_shot"], few_shot={"strategies": ["stratified"], "k": [1, 2]},
            # priced, so that of two equally right prompts the shorter one is chosen
            price={"input_per_mtok": 1.0, "output_per_mtok": 1.0},
            minibatch=8, output=tmp_path / "p.yaml"), store=store)
        requests = target.requests
        scored = {r.example_id for run in store.list_runs() for r in store.results(run.id)}
    report = result.report
    assert report.chosen_label == "fewshot-stratified-k1" and report.gain("dev") == 1.0
    pairs = result.spec.few_shot
    pool = {p["key"] for p in pairs}
    assert len(pairs) == 1 and HOLDOUT_MARK not in json.dumps(pairs)
    # the pair's row is never scored: no candidate is graded on a row whose answer it shows
    asked = {re.search(r"value of (item \d+)", q).group(1) for q in pool}  # type: ignore[union-attr]
    ids = {f"q{int(a.split()[-1]):02d}" for a in asked}
    assert ids and not ids & scored
    # k grew to 2 only because k=1 gained over the base; 2 did not gain, so no k=3 was tried
    labels = [c.label for c in report.candidates]
    assert labels == ["source", "fewshot-stratified-k1", "fewshot-stratified-k2"]
    assert report.dataset["pool_rows"] == 8 and report.dataset["holdout_rows"] == 10
    assert not any(HOLDOUT_MARK in json.dumps(b) for b in requests[:-20])
