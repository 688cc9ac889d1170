"""The final choice among the finalists: counted figures decide, latency never beats the source."""

from __future__ import annotations

from agility.chat import GenerationConfig
from agility.port._candidate import Candidate, CandidateScore
from agility.port._search import final_key
from agility.prompts import PromptSpec


def _candidate(label: str, mean: float, latency: float, tokens: float = 100.0,
               cost: float | None = 0.0) -> Candidate:
    spec = PromptSpec.model_validate({"name": label, "messages": [
        {"role": "user", "content": "{{ question }}"}]})
    c = Candidate(label=label, generator="source" if label == "source" else "rules",
                  spec=spec, config=GenerationConfig())
    c.dev = CandidateScore(n=10, mean=mean, cost_per_call_usd=cost, latency_p50_ms=latency,
                           input_tokens_mean=tokens)
    return c


def _chosen(source: Candidate, *others: Candidate) -> str:
    return min([source, *others], key=lambda c: final_key(c, source)).label


def test_a_tie_on_every_counted_figure_keeps_the_source_however_fast_the_other() -> None:
    source = _candidate("source", 0.5, latency=900.0)
    assert _chosen(source, _candidate("rules-fit", 0.5, latency=400.0)) == "source"


def test_a_higher_mean_or_fewer_tokens_or_lower_cost_still_wins() -> None:
    source = _candidate("source", 0.5, latency=100.0, cost=0.002)
    assert _chosen(source, _candidate("better", 0.6, latency=900.0, cost=0.002)) == "better"
    assert _chosen(source, _candidate("shorter", 0.5, latency=900.0, tokens=80.0,
                                      cost=0.002)) == "shorter"
    assert _chosen(source, _candidate("cheaper", 0.5, latency=900.0, tokens=120.0,
                                      cost=0.001)) == "cheaper"
    assert _chosen(source, _candidate("worse", 0.4, latency=10.0, cost=0.001)) == "source"


def test_between_two_new_prompts_latency_breaks_the_tie() -> None:
    source = _candidate("source", 0.5, latency=500.0)
    fast, slow = _candidate("fast", 0.7, latency=300.0), _candidate("slow", 0.7, latency=600.0)
    assert _chosen(source, slow, fast) == "fast"
