"""Each trigger: fires past its threshold with the figures it judged, stays quiet within it,
and is never judged on too little evidence or on a figure that was not measured."""

from __future__ import annotations

from agility.canary import ArmCounts, Histogram, RolloutSpec, evaluate_triggers

SPEC = RolloutSpec(min_window_requests=50)


def arm(requests: int = 100, errors: int = 0, ttft_ms: float = 100.0,
        cost: float | None = 0.001, grades: dict[str, list[float]] | None = None) -> ArmCounts:
    counts = ArmCounts()
    for i in range(requests):
        counts.add_call(ok=i >= errors, ttft_ms=ttft_ms, latency_ms=ttft_ms * 2,
                        input_tokens=10, output_tokens=5, cost_usd=cost)
    for metric, scores in (grades or {}).items():
        for score in scores:
            counts.add_grade(metric, score)
    return counts


def names(fired: list) -> list[str]:  # type: ignore[type-arg]
    return [f.trigger for f in fired]


def test_two_equal_arms_fire_nothing() -> None:
    assert evaluate_triggers(SPEC, arm(), arm()) == []


def test_error_rate_fires_past_one_point_with_its_counts() -> None:
    assert evaluate_triggers(SPEC, arm(errors=1), arm(errors=2)) == []  # +1 point: within
    fired = evaluate_triggers(SPEC, arm(errors=1), arm(errors=3))
    assert names(fired) == ["error_rate_increase"]
    assert fired[0].evidence["target_errors"] == 3 and fired[0].evidence["source_errors"] == 1
    assert abs(fired[0].evidence["increase"] - 0.02) < 1e-9


def test_nothing_is_judged_on_too_few_calls() -> None:
    assert evaluate_triggers(SPEC, arm(), arm(requests=49, errors=49)) == []


def test_ttft_fires_only_beyond_both_the_ms_and_the_percent_delta() -> None:
    # +300 ms on a 2,000 ms source is 15%: within "20% or 250 ms"
    assert evaluate_triggers(SPEC, arm(ttft_ms=2000), arm(ttft_ms=2300)) == []
    # +200 ms on 100 ms is 200%, but within 250 ms
    assert evaluate_triggers(SPEC, arm(ttft_ms=100), arm(ttft_ms=300)) == []
    fired = evaluate_triggers(SPEC, arm(ttft_ms=100), arm(ttft_ms=400))
    assert names(fired) == ["ttft_increase"]
    assert 280 < fired[0].evidence["increase_ms"] < 320


def test_a_trigger_set_to_null_is_off() -> None:
    spec = SPEC.model_copy(update={"triggers": SPEC.triggers.model_copy(
        update={"ttft_increase_ms": None})})
    # with the ms half off, the percent alone decides
    assert names(evaluate_triggers(spec, arm(ttft_ms=100), arm(ttft_ms=130))) == \
        ["ttft_increase"]
    off = SPEC.model_copy(update={"triggers": SPEC.triggers.model_copy(
        update={"error_rate_increase": None})})
    assert evaluate_triggers(off, arm(), arm(errors=50)) == []


def test_cost_fires_past_ten_percent_and_not_when_unmeasured() -> None:
    assert evaluate_triggers(SPEC, arm(cost=0.001), arm(cost=0.00109)) == []
    fired = evaluate_triggers(SPEC, arm(cost=0.001), arm(cost=0.0012))
    assert names(fired) == ["cost_per_request_increase_pct"]
    assert abs(fired[0].evidence["increase_pct"] - 20) < 0.01
    assert evaluate_triggers(SPEC, arm(cost=None), arm(cost=0.5)) == []  # source unpriced


def test_quality_drop_needs_enough_grades_per_arm() -> None:
    good, worse = [1.0] * 30, [1.0] * 25 + [0.0] * 5
    fired = evaluate_triggers(SPEC, arm(grades={"answered": good}),
                              arm(grades={"answered": worse}))
    assert names(fired) == ["quality_drop"] and fired[0].evidence["metric"] == "answered"
    assert evaluate_triggers(SPEC, arm(grades={"answered": good[:10]}),
                             arm(grades={"answered": [0.0] * 10})) == []
    # grades are judged even before the arms have min_window_requests calls
    assert names(evaluate_triggers(SPEC, arm(requests=5, grades={"answered": good}),
                                   arm(requests=5, grades={"answered": worse}))) == \
        ["quality_drop"]


def test_one_sme_flag_fires() -> None:
    fired = evaluate_triggers(SPEC, arm(requests=0), arm(requests=0), sme_flags=1)
    assert names(fired) == ["sme_hallucination_flags"]


def test_histogram_percentiles_are_within_two_percent() -> None:
    h = Histogram()
    for value in range(1, 1001):
        h.add(float(value))
    assert abs(h.percentile(50) - 500) / 500 < 0.02
    assert abs(h.percentile(99) - 990) / 990 < 0.02
    restored = Histogram.from_json(h.to_json())
    assert restored.count == 1000 and restored.percentile(50) == h.percentile(50)
