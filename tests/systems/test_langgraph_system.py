"""``langgraph:`` systems: a real LangGraph agent with a tool, run per example against the
fake OpenAI server (and, slow, the real llama.cpp server); a span per node with the model
calls inside it; the tool calls stored and scored; loops and failures recorded per example."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agility.metrics import score_run
from agility.runner import run_system
from agility.store import Store
from agility.testing import FakeOpenAIServer

pytest.importorskip("langgraph", reason="needs the 'langgraph' extra (pip install "
                                        "'agility[langgraph]')")

CITY = {"ex-000": "Paris", "ex-001": "Oslo", "ex-002": "Lima"}


def _weather_model(body: dict[str, Any]) -> str | dict[str, Any]:
    """A model that calls get_weather for the city in the question, then answers with the
    tool's result; it honours tool_choice as OpenAI does."""
    results = [m["content"] for m in body["messages"] if m["role"] == "tool"]
    if results or body.get("tool_choice") == "none":
        return f"The forecast: {' '.join(results)}."
    question = next(m["content"] for m in body["messages"] if m["role"] == "user")
    city = next(c for key, c in CITY.items() if key in question)
    return {"content": "", "tool_calls": [{"name": "get_weather", "arguments": {"city": city}}]}


def test_a_langgraph_agent_calls_its_tool_and_each_node_is_a_span(
        store: Store, golden: Callable[..., Path]) -> None:
    path = golden(3)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for row in rows:  # what the agent should call: the tool-call metrics score it
        row["metadata"] = {"expected_tool_calls": [
            {"name": "get_weather", "arguments": {"city": CITY[row["id"]]}}]}
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with FakeOpenAIServer(responder=_weather_model, ttft_ms=5) as server:
        summary = run_system(path, "langgraph:graph_apps:agent", name="agent", store=store,
                             model="openai/fake-model",
                             provider_options={"base_url": server.base_url},
                             price_input=1.0, price_output=2.0, progress=False)
        sent = server.requests
    assert summary.n_done == 3 and summary.n_errors == 0
    # the tool definition went to the model, and its result came back on the next turn
    assert sent[0]["tools"][0]["function"]["name"] == "get_weather"
    assert len(sent) == 6  # two turns per example
    assert sum(any(m["role"] == "tool" for m in body["messages"]) for body in sent) == 3
    run = store.require_run("agent")
    for result in store.results(run.id):
        city = CITY[result.example_id]
        assert result.output == f"The forecast: sunny in {city}."
        assert [(c["name"], c["arguments"]) for c in result.tool_calls or []] == [
            ("get_weather", {"city": city})]
        names = [(s.name, s.kind) for s in result.spans]
        assert names == [("agent", "other"), ("decide", "llm"), ("tools", "tool"),
                         ("weather_api", "tool"), ("agent", "other"), ("decide", "llm")]
        agent_1, decide_1, tools, weather, agent_2, decide_2 = result.spans
        # the model calls ran inside the node that made them; the API call inside the tools
        assert decide_1.parent_id == agent_1.id and decide_2.parent_id == agent_2.id
        assert weather.parent_id == tools.id
        assert decide_1.attributes["tool_calls"] == ["get_weather"]
        assert decide_1.model == "openai/fake-model" and decide_1.ttft_ms is not None
        # the query's cost: both model calls and the tool's declared cost
        assert decide_1.cost_usd is not None and decide_2.cost_usd is not None
        assert result.cost_usd == pytest.approx(decide_1.cost_usd + decide_2.cost_usd + 0.0002)
    scores = score_run(store, "agent", ["tool_calls", "tool_trajectory"])
    assert scores["tool_calls"].mean == 1.0 and scores["tool_trajectory"].mean == 1.0


def test_a_state_graph_is_compiled_and_its_answer_and_contexts_read(
        store: Store, golden: Callable[..., Path]) -> None:
    with FakeOpenAIServer(responder=_weather_model) as server:
        run_system(golden(1), "langgraph:graph_apps:agent_uncompiled", name="uncompiled",
                   store=store, model="openai/fake-model",
                   provider_options={"base_url": server.base_url}, progress=False)
    [result] = store.results(store.require_run("uncompiled").id)
    assert result.error is None and result.output == "The forecast: sunny in Paris."
    run_system(golden(1), "langgraph:graph_apps:rag", name="rag", store=store, progress=False)
    [result] = store.results(store.require_run("rag").id)
    assert result.output == "from the docs"
    assert result.contexts == ["doc about What happened in ex-000?"]
    assert result.tool_calls == []  # recorded: no tool called
    assert [(s.name, s.kind) for s in result.spans] == [("rag", "other"),
                                                         ("search", "retrieval")]


@pytest.mark.parametrize("graph, reason", [
    ("loops", "the graph did not finish within max_steps=25 steps (does it loop?)"),
    ("fails", "RuntimeError: the retriever is down"),
    ("not_a_graph", "graph_apps:not_a_graph is not a LangGraph graph"),
    ("missing", "graph_apps has no attribute 'missing'"),
])
def test_a_graph_that_loops_or_fails_fails_its_examples_and_the_run_goes_on(
        store: Store, golden: Callable[..., Path], graph: str, reason: str) -> None:
    summary = run_system(golden(2), f"langgraph:graph_apps:{graph}", name=graph, store=store,
                         progress=False)
    assert summary.n_done == 2 and summary.n_errors == 2
    for result in store.results(store.require_run(graph).id):
        assert result.error is not None and reason in result.error
        assert result.spans and any(s.error for s in result.spans)


def test_the_step_limit_is_the_specs_max_steps(store: Store,
                                               golden: Callable[..., Path]) -> None:
    run_system(golden(1), {"langgraph": "graph_apps:loops", "max_steps": 4}, name="four",
               store=store, progress=False)
    [result] = store.results(store.require_run("four").id)
    assert result.error is not None and "max_steps=4" in result.error
    assert [s.name for s in result.spans if s.name == "think"] == ["think"] * 4


@pytest.mark.slow
def test_the_agent_against_the_real_llama_cpp_server(store: Store, tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp", reason="needs the 'local' extra (llama-cpp-python)")
    from agility.chat import GenerationConfig
    from agility.testing import llama_cpp_server

    path = tmp_path / "weather.jsonl"
    path.write_text("".join(json.dumps({
        "id": f"w{i}", "source_prompt": f"What is the weather in {city}?",
        "ground_truth": f"sunny in {city}",
        "metadata": {"expected_tool_calls": [{"name": "get_weather"}]}}) + "\n"
        for i, city in enumerate(["Paris", "Oslo"])), encoding="utf-8")
    with llama_cpp_server(n_ctx=1024, log_dir=tmp_path) as base_url:
        summary = run_system(path, "langgraph:graph_apps:agent", name="real", store=store,
                             model="openai/gemma3-270m",
                             provider_options={"base_url": base_url},
                             config=GenerationConfig(max_tokens=24, temperature=0.0),
                             concurrency=1, progress=False)
    assert summary.n_errors == 0, summary.top_errors
    for result in store.results(store.require_run("real").id):
        # the first turn is made to call the tool (tool_choice names it: the server then
        # constrains the output to the tool's arguments), the tool runs, the model answers
        [call] = result.tool_calls or []
        assert call["name"] == "get_weather" and isinstance(call["arguments"].get("city"), str)
        assert [s.name for s in result.spans] == ["agent", "decide", "tools", "weather_api",
                                                   "agent", "decide"]
        decide = [s for s in result.spans if s.name == "decide"]
        assert all(s.model == "openai/gemma3-270m" and s.ttft_ms for s in decide)
        assert decide[0].attributes["tool_calls"] == ["get_weather"]
    scores = score_run(store, "real", ["tool_trajectory"])
    assert scores["tool_trajectory"].n == 2 and scores["tool_trajectory"].mean == 1.0
