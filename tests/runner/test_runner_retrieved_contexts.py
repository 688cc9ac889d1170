"""RAG metrics judge the passages the retriever returned, not the golden ``input_context``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agility.metrics import score_run
from agility.metrics._scoring import build_inputs
from agility.retrieval import Retrieval
from agility.store import Store

RELEVANT = "The company had 12,400 employees at the end of fiscal 2023."
UNRELATED = "The cafeteria menu changes every Tuesday and features seasonal soup."


class _SwappedRetriever:
    """Returns the passage the golden ``input_context`` does *not* hold."""

    async def retrieve(self, example):  # the Retriever protocol
        text = UNRELATED if example.id == "ex-000" else RELEVANT
        return Retrieval(contexts=[text], latency_ms=3.0, details=[{"id": example.id}])


def _dataset(tmp_path: Path) -> Path:
    rows = [
        # golden context relevant, retrieval unrelated
        {"id": "ex-000", "source_prompt": "How many employees in ex-000?",
         "ground_truth": "The company had 12,400 employees.", "input_context": [RELEVANT]},
        # golden context unrelated, retrieval relevant
        {"id": "ex-001", "source_prompt": "How many employees in ex-001?",
         "ground_truth": "The company had 12,400 employees.", "input_context": [UNRELATED]},
    ]
    path = tmp_path / "golden.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_retrieved_passages_are_stored_and_scored(run, store: Store, tmp_path: Path) -> None:
    template = tmp_path / "rag.j2"
    template.write_text("{{ context }}\nQ: {{ question }}", encoding="utf-8")
    summary = run(_dataset(tmp_path), template=template, retriever=_SwappedRetriever())
    by_id = {r.example_id: r for r in store.results(summary.run_id)}
    assert by_id["ex-000"].contexts == [UNRELATED]
    assert by_id["ex-001"].contexts == [RELEVANT]
    inputs = {item.example_id: item for _, item in build_inputs(store, "bench")[0]}
    assert inputs["ex-000"].contexts == [UNRELATED]
    assert inputs["ex-001"].contexts == [RELEVANT]


@pytest.mark.slow  # loads the MiniLM model
def test_context_recall_follows_what_was_retrieved(run, store: Store, tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers", reason="needs the embeddings extra")
    template = tmp_path / "rag.j2"
    template.write_text("{{ context }}\nQ: {{ question }}", encoding="utf-8")
    summary = run(_dataset(tmp_path), template=template, retriever=_SwappedRetriever())
    score_run(store, "bench", ["context_recall"])
    scores = {s.example_id: s.score for s in store.scores(summary.run_id, "context_recall")}
    # had the golden context been judged, ex-000 would score high and ex-001 low
    assert scores["ex-001"] == 1.0
    assert scores["ex-000"] == 0.0


class _PricedRetriever:
    """The relevant passage, at a declared price per query."""

    async def retrieve(self, example):  # the Retriever protocol
        return Retrieval(contexts=[RELEVANT], latency_ms=3.0, cost_usd=0.001)


def test_the_generate_span_costs_the_call_alone_and_the_retrieve_span_its_query(
        run, store: Store, tmp_path: Path) -> None:
    template = tmp_path / "rag.j2"
    template.write_text("{{ context }}\nQ: {{ question }}", encoding="utf-8")
    summary = run(_dataset(tmp_path), template=template, retriever=_PricedRetriever(),
                  price_input=1.0, price_output=2.0, extra_cost_usd=0.01)
    for result in store.results(summary.run_id):
        retrieve, generate = result.spans
        assert retrieve.cost_usd == pytest.approx(0.001)
        tokens = (result.input_tokens * 1.0 + result.output_tokens * 2.0) / 1e6
        assert generate.cost_usd == pytest.approx(tokens)  # not the retrieval's again
        # the query's cost: the call, the retrieval and the run's per-query extra, once each
        assert result.cost_usd == pytest.approx(tokens + 0.001 + 0.01)
