"""Source and target run interleaved (A B A B) on the same machine, so load drift hits both
alike; the report says how the runs were scheduled. Against one real fake server that logs the
order requests arrive in."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from agility.migrate import copy_example, migrate
from agility.runner import Turnstile
from agility.store import Store
from agility.testing import FakeOpenAIServer


def _plan(folder: Path, base_url: str, schedule: str | None = None) -> Path:
    plan = copy_example(folder, rows=8)
    text = plan.read_text(encoding="utf-8")
    text = re.sub(r"retriever:.*?\n\n", "", text, flags=re.DOTALL)
    text = re.sub(r"\n  system: .*", "", text)  # plain model calls (the app runs as a system)
    text = re.sub(r"\n  prompt: .*", "", text)
    # recorded prompts on both sides: no port (the example ports its legacy prompt), every row
    text = re.sub(r"\nport:.*?\n\n", "\n", text, flags=re.DOTALL)
    text = text.replace("splits: [holdout]", "splits: [dev, holdout]")
    source, target = text.split("target:")
    source = source.replace("model: llamacpp/gemma3-270m", "model: openai/model-a")
    target = target.replace("model: llamacpp/gemma3-270m", "model: openai/model-b")
    options = f"provider_options: {{base_url: '{base_url}'}}"
    source = re.sub(r"provider_options: \{[^}]*\}", options, source)
    target = re.sub(r"provider_options: \{[^}]*\}", options, target)
    text = (source + "target:" + target).replace(
        "metrics: [correctness, answered, semantic_similarity]", "metrics: [correctness]")
    text = re.sub(r"concurrency: \d+", "concurrency: 1", text)
    if schedule:
        text += f"\nschedule: {schedule}\n"
    plan.write_text(text, encoding="utf-8")
    return plan


def test_both_sides_calls_alternate_and_the_report_says_so(tmp_path: Path, tmp_store: Store,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-interleave-0123456789")
    with FakeOpenAIServer(ttft_ms=15) as server:
        result = migrate(_plan(tmp_path / "m", server.base_url), store=tmp_store, progress=False)
        order = [body["model"] for body in server.requests]
    assert sorted(order) == ["model-a"] * 8 + ["model-b"] * 8
    # the calls start in turn, A B A B (one in flight per side); two requests started one
    # after the other may still reach the server in either order, so the test allows a swap
    # of neighbours but never a side running ahead (as one run after the other would)
    lead = [order[:i].count("model-a") - order[:i].count("model-b") for i in range(17)]
    assert max(abs(x) for x in lead) <= 2
    text = result.report_html.read_text(encoding="utf-8")
    assert "source and target ran interleaved" in text
    assert "interleaved" in result.report_markdown.read_text(encoding="utf-8")
    assert json.loads(result.report_json.read_text())["lineage"]["schedule"].startswith(
        "source and target ran interleaved")
    # run again: nothing to call, and the report still says how the runs were made
    again = migrate(tmp_path / "m" / "plan.yaml", store=tmp_store, progress=False)
    assert "source and target ran interleaved" in again.report_html.read_text(encoding="utf-8")


def test_a_sequential_plan_runs_one_side_after_the_other(tmp_path: Path, tmp_store: Store,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-interleave-0123456789")
    with FakeOpenAIServer() as server:
        result = migrate(_plan(tmp_path / "m", server.base_url, "sequential"), store=tmp_store,
                         progress=False)
        order = [body["model"] for body in server.requests]
    assert order == ["model-a"] * 8 + ["model-b"] * 8
    assert "one after the other" in result.report_html.read_text(encoding="utf-8")


async def test_the_turnstile_rotates_and_lets_a_finished_side_leave() -> None:
    gate = Turnstile(2)
    started: list[str] = []

    async def side(index: int, name: str, calls: int) -> None:
        for _ in range(calls):
            await gate.enter(index)
            started.append(name)
            await asyncio.sleep(0)
        await gate.leave(index)

    await asyncio.gather(side(1, "B", 2), side(0, "A", 5))
    # every other round the other way round (A B, B A): B goes first in the second round
    assert started == ["A", "B", "B", "A", "A", "A", "A"]


async def test_the_turnstile_alternates_which_side_goes_first_in_each_round() -> None:
    gate = Turnstile(2)
    started: list[str] = []

    async def side(index: int, name: str) -> None:
        for _ in range(4):
            await gate.enter(index)
            started.append(name)
            await asyncio.sleep(0)
        await gate.leave(index)

    await asyncio.gather(side(0, "A"), side(1, "B"))
    assert started == ["A", "B", "B", "A", "A", "B", "B", "A"]
    # each side follows the other as often as it leads
    follows = {name: sum(1 for i in range(1, 8) if started[i] == name != started[i - 1])
               for name in "AB"}
    assert follows == {"A": 2, "B": 2}
