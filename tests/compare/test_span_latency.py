"""Tail latency by call on hand-made spans: percentiles over calls, shares of end-to-end time,
the innermost call driving the slowest queries, failed spans, declared costs, and the span and
end-to-end criteria."""

from __future__ import annotations

from typing import Any

import pytest
from store_builder import add_run

from agility.compare import Criteria, compare_runs, compare_spans, tail_driver
from agility.errors import OptionsError
from agility.store import ResultRecord, SpanRecord, Store


def _result(i: int, steps: list[tuple[str, float]], *, nested: bool = False,
            failed: str | None = None, cost: float | None = None) -> ResultRecord:
    """One answered query whose spans run one after the other (inside an ``agent`` span
    when ``nested``); its end-to-end time is their sum plus 10 ms."""
    spans, start, next_id = [], 0.0, 1
    parent = None
    if nested:
        total = sum(ms for _, ms in steps)
        spans.append(SpanRecord(name="agent", kind="other", start_ms=0.0, duration_ms=total,
                                id=1))
        parent, next_id = 1, 2
    for name, ms in steps:
        spans.append(SpanRecord(
            name=name, kind="retrieval" if name == "retrieve" else "llm", start_ms=start,
            duration_ms=ms, id=next_id, parent_id=parent,
            error="ProviderError: 503" if name == failed else None,
            cost_usd=cost if name == "retrieve" else None))
        start += ms
        next_id += 1
    return ResultRecord(example_id=f"e{i}", output="x", latency_ms=start + 10,
                        end_to_end_ms=start + 10, spans=spans)


def test_percentiles_are_over_calls_and_shares_over_queries() -> None:
    source = [_result(i, [("retrieve", 30.0), ("generate", 60.0)], cost=0.001)
              for i in range(20)]
    target = [_result(i, [("retrieve", 30.0), ("generate", 160.0)], cost=0.001)
              for i in range(20)]
    spans, end_to_end, drivers, tails = compare_spans(source, target, seed=1)
    by_name = {s.name: s for s in spans}
    generate = by_name["generate"]
    assert generate.latency.source is not None and generate.latency.source.p50 == 60.0
    assert generate.latency.diff_ms is not None and generate.latency.diff_ms["p95"] == 100.0
    # 60 of every 100 ms on the source, 160 of 200 on the target
    assert generate.share == {"source": pytest.approx(0.6), "target": pytest.approx(0.8)}
    assert by_name["retrieve"].share == {"source": pytest.approx(0.3),
                                         "target": pytest.approx(30 / 200)}
    assert by_name["retrieve"].cost_per_query_usd == {"source": pytest.approx(0.001),
                                                      "target": pytest.approx(0.001)}
    assert generate.cost_per_query_usd == {"source": None, "target": None}  # not recorded
    assert end_to_end is not None and end_to_end.diff_ms is not None
    assert end_to_end.diff_ms["p50"] == 100.0
    assert drivers == {"source": "generate", "target": "generate"}
    assert tails == {"source": 20, "target": 20}  # all tie at the p95: all in the tail


def test_the_driver_follows_the_slowest_queries_not_the_typical_one() -> None:
    # most queries spend their time generating; the slowest 3 of 40 wait on retrieval
    results = [_result(i, [("retrieve", 10.0), ("generate", 100.0)]) for i in range(37)]
    results += [_result(37 + i, [("retrieve", 900.0), ("generate", 100.0)]) for i in range(3)]
    # p95 by nearest rank is the 38th of 40: the three slow queries are the tail
    assert tail_driver(results) == ("retrieve", 3)


def test_the_driver_is_an_innermost_call_not_the_span_around_it() -> None:
    results = [_result(i, [("plan", 20.0), ("generate", 200.0)], nested=True)
               for i in range(10)]
    spans, _, drivers, _ = compare_spans(results, results)
    assert {s.name for s in spans} == {"agent", "plan", "generate"}
    # 'agent' holds every call and so takes all the time; the call inside is what drives it
    assert drivers["source"] == "generate"


def test_failed_spans_are_counted_not_timed() -> None:
    source = [_result(i, [("retrieve", 30.0), ("generate", 60.0)]) for i in range(10)]
    target = [_result(i, [("retrieve", 30.0), ("generate", 60.0)],
                      failed="generate" if i < 3 else None) for i in range(10)]
    spans, *_ = compare_spans(source, target)
    generate = next(s for s in spans if s.name == "generate")
    assert generate.calls == {"source": 10, "target": 10}
    assert generate.errors == {"source": 0, "target": 3}
    assert generate.latency.target is not None and generate.latency.target.n == 7


def test_runs_without_spans_compare_as_before() -> None:
    plain = [ResultRecord(example_id=f"e{i}", output="x", latency_ms=100.0 + i)
             for i in range(10)]
    spans, end_to_end, drivers, _ = compare_spans(plain, plain)
    assert spans == [] and end_to_end is None
    assert drivers == {"source": None, "target": None}


def _criteria(latency: dict[str, Any]) -> Criteria:
    return Criteria.model_validate({"quality": {"metrics": []},
                                    "cost": {"max_increase_pct": None},
                                    "latency": {"ttft_max_increase_pct": None,
                                                "ttft_max_increase_ms": 100_000, **latency}})


def _store_runs(store: Store, source_ms: float, target_ms: float) -> None:
    for name, ms in (("src", source_ms), ("tgt", target_ms)):
        add_run(store, name, None, [_result(i, [("retrieve", 30.0 + i % 3),
                                                ("generate", ms + 2 * (i % 7))]).model_dump()
                                    for i in range(30)])


def test_a_span_limit_passes_a_steady_call_and_fails_a_slowed_one(tmp_store: Store) -> None:
    _store_runs(tmp_store, 100.0, 400.0)
    result = compare_runs(tmp_store, "src", "tgt", _criteria({
        "span": {"generate": {"p95_increase_ms": 200}, "retrieve": {"p95_increase_pct": 10}},
        "end_to_end": {"p50_increase_ms": 1000}}), n_resamples=200, score_missing=False)
    by_name = {r.name: r for r in result.criteria_results}
    assert by_name["latency: span generate p95"].status == "fail"
    assert "allowed +200 ms" in by_name["latency: span generate p95"].evidence
    assert by_name["latency: span retrieve p95"].status == "pass"
    assert by_name["latency: end-to-end p50"].status == "pass"
    assert result.verdict == "FAIL"


def test_a_span_limit_needs_enough_timed_calls(tmp_store: Store) -> None:
    _store_runs(tmp_store, 100.0, 100.0)
    result = compare_runs(tmp_store, "src", "tgt", _criteria({
        "span": {"generate": {"p95_increase_ms": 200, "min_timed": 50}}}),
        n_resamples=200, score_missing=False)
    judged = next(r for r in result.criteria_results if r.name == "latency: span generate p95")
    assert judged.status == "not_evaluated"
    assert "source timed 30" in judged.evidence


@pytest.mark.parametrize("latency", [
    {"span": {"generate": {}}},                              # a limit on nothing
    {"span": {"generate": {"p95_increse_ms": 200}}},         # a typo
    {"end_to_end": {"p95_increase_ms": -1}},                 # a negative rise
])
def test_a_span_limit_that_limits_nothing_is_refused(latency: dict[str, Any]) -> None:
    with pytest.raises((OptionsError, ValueError)):
        _criteria(latency)
