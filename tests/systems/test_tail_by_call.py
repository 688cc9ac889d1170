"""Tail latency by call, end to end: a two-call pipeline run twice through the real runner
against the fake OpenAI server, the second call slowed on the target only; the comparison and
both reports show the tail moving to that call, and a span criterion gates on it."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agility.compare import Comparison, Criteria, compare_runs
from agility.report import render_html, render_markdown
from agility.runner import run_system
from agility.store import Store
from agility.testing import FakeOpenAIServer

N = 20
REWRITE_MS = 150  # the first call, as slow on both sides (well above a loaded machine's hiccups)
SLOWER_ANSWER_MS = 400  # what the target adds to the second call


def _run(store: Store, golden: Path, name: str, answer_ms: float) -> None:
    def delay(body: dict[str, Any]) -> float:
        # the answer's prompt quotes the rewrite ("answer: rewrite: ..."): look at its start
        first = str(body["messages"][-1]["content"])
        return REWRITE_MS if first.startswith("rewrite:") else answer_ms

    with FakeOpenAIServer(ttft_for=delay) as server:
        summary = run_system(golden, "python:systems_apps:two_calls", name=name, store=store,
                             model="openai/fake-model", progress=False, concurrency=4,
                             provider_options={"base_url": server.base_url},
                             price_input=1.0, price_output=2.0)
    assert summary.n_done == N and summary.n_errors == 0


@pytest.fixture
def slowed(store: Store, golden: Callable[..., Path],
           monkeypatch: pytest.MonkeyPatch) -> Callable[[Criteria | None], Comparison]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-tail-0123456789")
    data = golden(N)
    _run(store, data, "before", answer_ms=0)
    _run(store, data, "after", answer_ms=SLOWER_ANSWER_MS)

    def compared(criteria: Criteria | None = None) -> Comparison:
        return compare_runs(store, "before", "after", criteria, n_resamples=300,
                            score_missing=False)

    return compared


def test_the_slowed_second_call_takes_the_tail(slowed: Callable[..., Comparison]) -> None:
    c = slowed()
    spans = {s.name: s for s in c.latency.spans}
    assert list(spans) == ["retrieve", "rewrite", "answer"]
    assert spans["answer"].calls == {"source": N, "target": N}
    assert spans["retrieve"].kind == "retrieval" and spans["answer"].kind == "llm"
    answer = spans["answer"].latency
    assert answer.diff_ms is not None and answer.diff_ms["p50"] >= SLOWER_ANSWER_MS * 0.8
    rewrite = spans["rewrite"].latency
    assert rewrite.source is not None and rewrite.source.p50 >= REWRITE_MS
    # the first call drives the source's slowest queries, the slowed second call the target's
    assert c.latency.tail_driver == {"source": "rewrite", "target": "answer"}
    assert spans["answer"].share["target"] > spans["rewrite"].share["target"]
    assert spans["rewrite"].share["source"] > spans["answer"].share["source"]
    assert 0 < spans["answer"].tail_share["target"] <= 1
    # end to end covers the whole query: both calls and the retrieval
    e2e = c.latency.end_to_end
    assert e2e is not None and e2e.diff_ms is not None
    assert e2e.diff_ms["p50"] >= SLOWER_ANSWER_MS * 0.8
    # the retrieval declared its cost: the same per query on both sides
    assert spans["retrieve"].cost_per_query_usd == {"source": pytest.approx(0.0001),
                                                    "target": pytest.approx(0.0001)}
    assert spans["rewrite"].cost_per_query_usd["source"] is not None

    moved = "the target moved the tail from 'rewrite' to 'answer'"
    page = render_html(c)
    assert '<section id="spans">' in page and moved in html.unescape(page)
    assert "&#9650; drives the tail" in page
    markdown = render_markdown(c)
    assert moved in markdown.replace("\\'", "'")
    assert "| answer (llm) | " in markdown


def test_a_span_criterion_fails_on_the_slowed_call_only(
        slowed: Callable[..., Comparison]) -> None:
    criteria = Criteria.model_validate({
        "quality": {"metrics": []}, "cost": {"max_increase_pct": None},
        "latency": {"ttft_max_increase_pct": None, "ttft_max_increase_ms": 100_000,
                    "min_timed": 5,
                    "span": {"answer": {"p95_increase_ms": 100, "min_timed": 5},
                             "rewrite": {"p95_increase_ms": 100, "min_timed": 5},
                             "rerank": {"p50_increase_ms": 10}},
                    "end_to_end": {"p50_increase_pct": 10, "min_timed": 5}}})
    c = slowed(criteria)
    by_name = {r.name: r for r in c.criteria_results}
    assert by_name["latency: span answer p95"].status == "fail"
    assert "span 'answer' p95" in by_name["latency: span answer p95"].evidence
    assert by_name["latency: span rewrite p95"].status in ("pass", "inconclusive")
    assert by_name["latency: span rerank p50"].status == "not_evaluated"
    assert by_name["latency: end-to-end p50"].status == "fail"
    assert c.verdict == "FAIL"
