"""Golden rows that offer tools (``metadata.tools``): the plain model call sends them, the
calls the model made are stored with the result and scored by the tool-call metrics."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agility.dataset import load_dataset
from agility.errors import DatasetError, UsageError
from agility.metrics import score_run
from agility.runner import run_model
from agility.store import Store

LOOKUP = {"type": "function", "function": {
    "name": "lookup_filing", "description": "Find a company's filing",
    "parameters": {"type": "object", "properties": {"ticker": {"type": "string"},
                                                     "year": {"type": "integer"}}}}}


def _calls_lookup(body: dict[str, Any]) -> str | dict[str, Any]:
    if not body.get("tools"):
        return "no tools offered"
    question = body["messages"][-1]["content"]
    year = "2022" if "ex-000" in question else 2023  # a numeric string once: equivalent
    return {"content": "", "tool_calls": [{"name": "lookup_filing",
                                           "arguments": {"year": year, "ticker": "ACME"}}]}


def test_offered_tools_are_sent_and_the_calls_stored_and_scored(
        run: Callable[..., Any], make_dataset: Callable[..., Path], server: Any,
        store: Store) -> None:
    server.responder = _calls_lookup
    expected = [{"name": "lookup_filing", "arguments": {"ticker": "ACME", "year": 2022}}]
    path = make_dataset(2, metadata={"tools": [LOOKUP], "expected_tool_calls": expected})
    summary = run(path, name="tools")
    assert summary.n_errors == 0 and summary.n_empty == 0  # a call is an answer, not empty
    assert server.requests[0]["tools"] == [LOOKUP]
    got = {r.example_id: r for r in store.results(store.require_run("tools").id)}
    assert got["ex-000"].tool_calls is not None
    assert [(c["name"], c["arguments"]) for c in got["ex-000"].tool_calls] == [
        ("lookup_filing", {"year": "2022", "ticker": "ACME"})]
    assert got["ex-000"].spans[-1].attributes["tool_calls"] == ["lookup_filing"]
    score_run(store, "tools", ["tool_calls"])
    scores = {s.example_id: s.score
              for s in store.scores(store.require_run("tools").id, "tool_calls")}
    assert scores == {"ex-000": 1.0, "ex-001": 0.0}  # "2022" is 2022; 2023 is not


def test_rows_without_tools_send_none_and_record_no_calls(
        run: Callable[..., Any], make_dataset: Callable[..., Path], server: Any,
        store: Store) -> None:
    server.responder = _calls_lookup
    run(make_dataset(1), name="plain")
    assert "tools" not in server.requests[0]
    [result] = store.results(store.require_run("plain").id)
    assert result.output == "no tools offered" and result.tool_calls is None  # not recorded


def test_tools_offered_to_a_provider_that_drops_them_stop_the_run(
        make_dataset: Callable[..., Path], store: Store) -> None:
    path = make_dataset(1, metadata={"tools": [LOOKUP]})
    with pytest.raises(UsageError, match="provider mock does not pass tools"):
        run_model(path, "mock/echo", name="mock", store=store, progress=False)


@pytest.mark.parametrize("tools, field", [
    ({"name": "x"}, "tools must be a list"),
    ([{"name": "bad name"}], "tools[0].name"),
    ([{"description": "no name"}], "tools[0].name"),
])
def test_a_malformed_tool_in_a_row_is_one_line_naming_it(tmp_path: Path, tools: Any,
                                                         field: str) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps({"id": "a", "source_prompt": "q", "ground_truth": "x",
                                "metadata": {"tools": tools}}) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError) as raised:
        load_dataset(path)
    assert "g.jsonl:1" in str(raised.value) and field in str(raised.value)
