"""The cost model all in: every kind of cost item, hand-checked totals, the throughput of a
per-hour endpoint, the payback with its interval, sensitivity, and what is not measured.

Expected figures are worked out by hand in the comments from the constructed runs below,
independently of the code under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from store_builder import add_run, save_dataset

from agility.compare import (
    CostItems,
    Criteria,
    ReviewCount,
    analyse_roi,
    compare_runs,
    load_cost_items,
    parse_cost_items,
)
from agility.errors import ConfigError
from agility.store import ResultRecord, SpanRecord, Store

N = 40

# Every kind of item. Hand-checked below.
EVERY_KIND = """
per_query:
  - {name: vector DB queries, side: both, usd_per_query: 0.0005}
  - {name: web search tool, side: target, usd_per_span: 0.001, span: web_search}
per_month:
  - {name: vector database, side: both, usd_per_month: 100}
  - {name: monitoring, side: target, usd_per_month: 20}
per_hour:
  - {name: GPU endpoint, side: both, usd_per_hour: 3.6}
one_off:
  - {name: porting the prompts, side: target, days: 2, usd_per_day: 500}
  - {name: evaluation runs, side: target, usd: 300}
  - {name: SME review, side: target, minutes_per_review: 6, usd_per_hour: 60, reviews: 50}
  - {name: fixing the old pipeline, side: source, hours: 10, usd_per_hour: 20}
"""


def _results(cost: float, extra: float, latency_ms: float, spans: list[str],
             n: int = N) -> list[ResultRecord]:
    return [ResultRecord(example_id=f"q{i:03d}", output="x", latency_ms=latency_ms,
                         cost_usd=cost, extra_cost_usd=extra,
                         spans=[SpanRecord(name=s, kind="tool") for s in spans])
            for i in range(n)]


def _every_kind(traffic: int | None = 100_000, **kw: object):  # type: ignore[no-untyped-def]
    # source: $0.004 a call of which $0.001 retrieval; 2 s a call, 2 calls in flight
    # target: $0.002 a call of which $0.001 retrieval; 0.5 s a call, 1 in flight; 2 searches
    source = _results(0.004, 0.001, 2000.0, ["rerank"])
    target = _results(0.002, 0.001, 500.0, ["web_search", "web_search"])
    return analyse_roi(source, target, items=parse_cost_items(EVERY_KIND),
                       traffic_per_month=traffic, parallel_calls=(2, 1), n_resamples=500,
                       **kw)  # type: ignore[arg-type]


def _line(costs, name):  # type: ignore[no-untyped-def]
    return next(line for line in costs.lines if line.name == name)


def test_every_kind_of_cost_item_gives_the_hand_checked_totals() -> None:
    roi = _every_kind()
    src, tgt = roi.source, roi.target
    # throughput: 2 in flight x 3600 s / 2 s = 3,600 queries/hour (source);
    # 1 x 3600 / 0.5 s = 7,200 (target). $3.60/hour -> $0.001 and $0.0005 a query
    assert src.throughput is not None and src.throughput.per_hour == pytest.approx(3600)
    assert tgt.throughput is not None and tgt.throughput.per_hour == pytest.approx(7200)
    assert _line(src, "GPU endpoint").per_query_usd == pytest.approx(0.001)
    assert _line(tgt, "GPU endpoint").per_query_usd == pytest.approx(0.0005)
    # 2 web_search spans a query x $0.001; the source's rerank span is not a web search
    assert _line(tgt, "web search tool").per_query_usd == pytest.approx(0.002)
    assert all(line.name != "web search tool" for line in src.lines)
    # source a query: tokens 0.003 + retrieval 0.001 + vector 0.0005 + GPU 0.001 = 0.0055
    # target a query: tokens 0.001 + retrieval 0.001 + vector 0.0005 + search 0.002
    #                 + GPU 0.0005 = 0.005
    assert src.per_query_usd == pytest.approx(0.0055, abs=1e-12)
    assert tgt.per_query_usd == pytest.approx(0.005, abs=1e-12)
    assert _line(src, "model tokens").per_query_usd == pytest.approx(0.003)
    assert _line(src, "pipeline extras (retrieval)").per_query_usd == pytest.approx(0.001)
    # per month at 100,000 queries: 550 + 100 = 650; 500 + 100 + 20 = 620
    assert (src.fixed_monthly_usd, tgt.fixed_monthly_usd) == (100.0, 120.0)
    assert src.monthly_usd == pytest.approx(650.0) and tgt.monthly_usd == pytest.approx(620.0)
    # one-off: target 2 x 500 + 300 + 50 reviews x 6 min = 5 h x $60 = 300 -> 1,600;
    # source 10 h x $20 = 200; the move's one-off is 1,400
    assert _line(tgt, "SME review").one_off_usd == pytest.approx(300.0)
    assert (src.one_off_usd, tgt.one_off_usd, roi.one_off_usd) == pytest.approx(
        (200.0, 1600.0, 1400.0))
    # savings $30 a month: payback 1,400 / (30 / 30 days) = 1,400 days; net after 30 days
    # 30 - 1,400 = -1,370
    assert roi.monthly_savings_usd == pytest.approx(30.0)
    assert roi.payback_status == "computed" and roi.payback_days == pytest.approx(1400.0)
    assert roi.net_at_horizon_usd == pytest.approx(-1370.0)
    # every call costs the same: the intervals close on the point figures
    assert roi.payback_interval == pytest.approx((1400.0, 1400.0))
    # break-even: 0.0005 a query saved against $20 more fixed a month -> 40,000 queries;
    # neutral within 30 days needs (1,400 + 20) / 0.0005 = 2,840,000 queries a month
    assert roi.break_even_traffic_per_month == pytest.approx(40_000)
    assert roi.traffic_for_horizon_per_month == pytest.approx(2_840_000)
    assert "above 40,000 queries/month" in roi.break_even
    assert "from 2,840,000 queries/month" in roi.traffic_for_horizon


def test_sensitivity_scales_traffic_and_the_target_models_prices() -> None:
    roi = _every_kind()
    cells = {(c.traffic_factor, c.price_factor): c for c in roi.sensitivity}
    assert set(cells) == {(t, p) for t in (0.5, 1.0, 2.0, 10.0) for p in (0.8, 1.0, 1.2)}
    assert cells[(1.0, 1.0)].payback_days == pytest.approx(roi.payback_days)
    # the target model's own prices: tokens 0.001 + its GPU hours 0.0005 = 0.0015 a query;
    # +20% -> saving 0.0005 - 0.0003 = 0.0002 x 100,000 - 20 = 0 a month: never paid back
    assert cells[(1.0, 1.2)].monthly_savings_usd == pytest.approx(0.0, abs=1e-9)
    assert cells[(1.0, 1.2)].payback_status == "never"
    # -20% -> 0.0008 x 100,000 - 20 = 60 a month: 1,400 x 30 / 60 = 700 days
    assert cells[(1.0, 0.8)].payback_days == pytest.approx(700.0)
    # x10 traffic: 0.0005 x 1,000,000 - 20 = 480 a month: 87.5 days, net -920 after 30
    ten = cells[(10.0, 1.0)]
    assert ten.payback_days == pytest.approx(87.5)
    assert ten.net_at_horizon_usd == pytest.approx(-920.0) and not ten.within_horizon
    # x0.5: 25 - 20 = 5 a month
    assert cells[(0.5, 1.0)].monthly_savings_usd == pytest.approx(5.0)


def test_payback_interval_comes_from_the_spread_of_the_per_query_costs() -> None:
    # the target's calls cost 0.001 or 0.003 (mean 0.002) against a flat 0.004: the saving
    # varies, and so does the payback; the point estimate lies inside its interval
    source = _results(0.004, 0.0, 1000.0, [])
    target = [ResultRecord(example_id=f"q{i:03d}", output="x", latency_ms=1000.0,
                           cost_usd=0.001 if i % 2 else 0.003, extra_cost_usd=0.0)
              for i in range(N)]
    roi = analyse_roi(source, target, traffic_per_month=300_000, migration_cost_usd=6_000,
                      n_resamples=2000)
    # $0.002 a query x 300,000 = $600 a month: 6,000 / 20 a day = 300 days
    assert roi.payback_days == pytest.approx(300.0)
    assert roi.payback_interval is not None
    low, high = roi.payback_interval
    assert low is not None and high is not None and low < 300.0 < high
    # the interval of the saving per query brackets 0.002, inside the possible [0.001, 0.003]
    s_low, s_high = roi.savings_per_query_interval or (0, 0)
    assert 0.001 < s_low < 0.002 < s_high < 0.003
    assert roi.monthly_savings_interval == pytest.approx((s_low * 300_000, s_high * 300_000))


def test_a_migration_cost_beside_one_off_items_says_both_are_counted() -> None:
    roi = _every_kind(migration_cost_usd=1_000.0)
    line = _line(roi.target, "migration cost")
    assert "added to the plan's one-off items (porting the prompts, evaluation runs, SME " \
           "review): it must not hold them" in line.basis
    # counted once each: the items' 1,000 + 300 + 300, and the lump sum
    assert roi.target.one_off_usd == pytest.approx(2_600.0)
    alone = analyse_roi(_results(0.004, 0.0, 1000.0, []), _results(0.002, 0.0, 1000.0, []),
                        traffic_per_month=1_000, migration_cost_usd=500.0, n_resamples=200)
    assert _line(alone.target, "migration cost").basis == "given as migration_cost_usd"


def test_a_target_that_costs_more_every_month_never_pays_back() -> None:
    source = _results(0.001, 0.0, 1000.0, [])
    target = _results(0.002, 0.0, 1000.0, [])
    roi = analyse_roi(source, target, traffic_per_month=10_000, migration_cost_usd=0.0,
                      n_resamples=200)
    # nothing to pay back, but $10 a month more, every month: never, not "0 days"
    assert roi.payback_status == "never" and roi.payback_days is None
    assert roi.net_at_horizon_usd == pytest.approx(-10.0)


def test_an_unpriced_side_is_not_measured_and_no_payback_is_claimed() -> None:
    source = _results(0.004, 0.0, 1000.0, [])
    target = [r.model_copy(update={"cost_usd": None}) for r in _results(0.0, 0.0, 1000.0, [])]
    roi = analyse_roi(source, target, items=parse_cost_items(EVERY_KIND),
                      traffic_per_month=100_000, parallel_calls=(1, 1), n_resamples=200)
    assert roi.target.per_query_usd is None and roi.target.monthly_usd is None
    tokens = _line(roi.target, "model tokens")
    assert not tokens.measured and tokens.per_query_usd is None
    assert "not measured" in tokens.basis
    assert roi.payback_status == "cost_not_measured"
    assert (roi.payback_days, roi.payback_interval, roi.net_at_horizon_usd) == (None, None, None)
    assert roi.sensitivity == []


def test_per_hour_items_need_timed_calls_and_the_runs_concurrency() -> None:
    items = parse_cost_items("per_hour: [{name: GPU, side: target, usd_per_hour: 2}]")
    source = _results(0.001, 0.0, 1000.0, [])
    untimed = [r.model_copy(update={"latency_ms": None}) for r in source]
    for target, parallel, why in ((untimed, 1, "carry no latency"),
                                  (source, None, "did not record its concurrency")):
        roi = analyse_roi(source, target, items=items, traffic_per_month=1000,
                          parallel_calls=(1, parallel), n_resamples=200)
        line = _line(roi.target, "GPU")
        assert not line.measured and why in line.basis and line.per_query_usd is None
        assert roi.target.per_query_usd is None and roi.payback_status == "cost_not_measured"


def test_span_items_of_a_run_without_spans_are_not_measured() -> None:
    items = parse_cost_items(
        "per_query: [{name: search, side: both, usd_per_span: 0.01, span: web_search}]")
    with_spans = _results(0.001, 0.0, 1000.0, ["web_search"])
    roi = analyse_roi(_results(0.001, 0.0, 1000.0, []), with_spans, items=items,
                      traffic_per_month=1000, n_resamples=200)
    assert not _line(roi.source, "search").measured
    assert _line(roi.target, "search").per_query_usd == pytest.approx(0.01)
    assert roi.payback_status == "cost_not_measured"


def test_review_items_count_the_reviews_given_or_are_not_measured() -> None:
    items = parse_cost_items(
        "one_off: [{name: SME, side: target, minutes_per_review: 3, usd_per_hour: 80}]")
    side = _results(0.001, 0.0, 1000.0, [])
    # 40 reviews x 3 min = 2 hours x $80 = $160
    roi = analyse_roi(side, side, items=items, n_resamples=200,
                      reviews=ReviewCount(40, "review queue q: 40 answers"))
    line = _line(roi.target, "SME")
    assert line.one_off_usd == pytest.approx(160.0) and "review queue q" in line.basis
    roi = analyse_roi(side, side, items=items, n_resamples=200)
    assert not _line(roi.target, "SME").measured and roi.target.per_query_usd is None


def _compare_store(store: Store, target_cost: float, target_latency: float = 500.0) -> None:
    rows = [{"id": f"q{i:03d}", "source_prompt": "q", "ground_truth": "a"} for i in range(N)]
    ds = save_dataset(store, rows)
    for name, cost, latency in (("src", 0.004, 2000.0), ("tgt", target_cost, target_latency)):
        add_run(store, name, ds, [{
            "example_id": f"q{i:03d}", "output": "a", "ttft_ms": 100.0, "latency_ms": latency,
            "cost_usd": cost, "extra_cost_usd": 0.0,
            "scores": {"correctness": (1.0, True)}} for i in range(N)],
            meta={"parallel_calls": 1, "concurrency": 4})


def test_compare_runs_reads_each_runs_parallel_calls_and_counts_the_review_sample(
        tmp_store: Store) -> None:
    _compare_store(tmp_store, target_cost=0.002)
    items = parse_cost_items(
        "per_hour: [{name: host, side: both, usd_per_hour: 1.8}]\n"
        "one_off: [{name: SME, side: target, minutes_per_review: 60, usd_per_hour: 10}]")
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=200, traffic_per_month=1000,
                          costs=items)
    roi = result.cost.roi
    assert roi is not None and roi.has_items
    # parallel_calls (1), not the concurrency (4): 1,800 and 7,200 queries an hour
    assert roi.source.throughput is not None and roi.source.throughput.parallel_calls == 1
    assert _line(roi.source, "host").per_query_usd == pytest.approx(0.001)
    assert _line(roi.target, "host").per_query_usd == pytest.approx(0.00025)
    review = _line(roi.target, "SME")
    assert f"review sample of {len(result.review)} answers" in review.basis
    assert review.one_off_usd == pytest.approx(10.0 * len(result.review))
    # the payback counts every cost, and the cost criterion reads the cost all in
    assert result.cost.payback_days == roi.payback_days
    cost = next(c for c in result.criteria_results if c.name == "cost")
    assert "/query all in" in cost.evidence


@pytest.mark.parametrize(("target_cost", "status"), [(0.001, "pass"), (0.0041, "fail")])
def test_roi_criterion_passes_or_fails_on_the_net_at_the_horizon(
        tmp_store: Store, target_cost: float, status: str) -> None:
    _compare_store(tmp_store, target_cost=target_cost, target_latency=2000.0)
    criteria = Criteria.model_validate({"roi": {"within_days": 30}})
    result = compare_runs(tmp_store, "src", "tgt", criteria, n_resamples=200,
                          traffic_per_month=100_000, migration_cost_usd=100.0)
    roi = next(c for c in result.criteria_results if c.name.startswith("ROI"))
    assert roi.name == "ROI: neutral or positive within 30 days"
    # 0.003 a query x 100,000 = $300 a month saved, $300 after 30 days - $100 = +$200;
    # 0.0001 more a query: -$10 a month, never
    assert roi.status == status, roi.evidence
    assert ("net after 30 days +$200" in roi.evidence) == (status == "pass")
    assert ("payback never" in roi.evidence) == (status == "fail")


def test_roi_criterion_is_inconclusive_when_the_interval_straddles_zero(
        tmp_store: Store) -> None:
    rows = [{"id": f"q{i:03d}", "source_prompt": "q", "ground_truth": "a"} for i in range(N)]
    ds = save_dataset(tmp_store, rows)
    for name, costs in (("src", (0.002, 0.002)), ("tgt", (0.0005, 0.0033))):
        add_run(tmp_store, name, ds, [{
            "example_id": f"q{i:03d}", "output": "a", "ttft_ms": 100.0, "latency_ms": 900.0,
            "cost_usd": costs[i % 2], "scores": {"correctness": (1.0, True)}}
            for i in range(N)])
    criteria = Criteria.model_validate({"roi": {}})
    # the target saves 0.0001 a query on average (+$100 a month at 1,000,000) against a
    # one-off of $50: +$50 after 30 days, but the saving's interval reaches far below zero
    result = compare_runs(tmp_store, "src", "tgt", criteria, n_resamples=2000,
                          traffic_per_month=1_000_000, migration_cost_usd=50.0)
    roi = next(c for c in result.criteria_results if c.name.startswith("ROI"))
    assert result.cost.roi is not None
    assert result.cost.roi.net_at_horizon_usd == pytest.approx(50.0)
    assert roi.status == "inconclusive" and roi.examples_needed, roi.evidence


def test_roi_criterion_without_traffic_or_cost_is_not_evaluated(tmp_store: Store) -> None:
    _compare_store(tmp_store, target_cost=0.002)
    criteria = Criteria.model_validate({"roi": {}})
    result = compare_runs(tmp_store, "src", "tgt", criteria, n_resamples=200)
    roi = next(c for c in result.criteria_results if c.name.startswith("ROI"))
    assert roi.status == "not_evaluated" and "traffic" in (roi.reason or "")
    assert result.verdict != "PASS"


def test_cost_items_file_errors_name_file_line_and_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"c.yaml:2: per_month.0.usd_per_mont"):
        parse_cost_items("per_month:\n  - {name: db, side: both, usd_per_mont: 70}\n", "c.yaml")
    with pytest.raises(ConfigError, match=r"c.yaml:1: per_hour.0.side"):
        parse_cost_items("per_hour: [{name: gpu, side: production, usd_per_hour: 1}]", "c.yaml")
    with pytest.raises(ConfigError, match="give exactly one of"):
        parse_cost_items("one_off: [{name: x, side: target, usd: 5, days: 2, usd_per_day: 9}]")
    with pytest.raises(ConfigError, match="give exactly one of"):
        parse_cost_items("per_query: [{name: x, side: target, usd_per_span: 0.1}]")
    with pytest.raises(ConfigError, match="cost items file"):
        load_cost_items(tmp_path / "missing.yaml")
    assert not parse_cost_items("")
    assert isinstance(parse_cost_items("per_month: []"), CostItems)


def test_an_item_that_cannot_be_measured_leaves_the_cost_criteria_not_evaluated(
        tmp_store: Store) -> None:
    _compare_store(tmp_store, target_cost=0.002)  # no run recorded spans
    items = parse_cost_items(
        "per_query: [{name: search, side: target, usd_per_span: 0.01, span: web_search}]")
    criteria = Criteria.model_validate({"roi": {}})
    result = compare_runs(tmp_store, "src", "tgt", criteria, n_resamples=200,
                          traffic_per_month=1000, costs=items)
    by_kind = {c.name: c for c in result.criteria_results}
    cost, roi = by_kind["cost"], by_kind["ROI: neutral or positive within 30 days"]
    for c in (cost, roi):
        assert c.status == "not_evaluated", c.evidence
        assert "'search' is not measured: the target run recorded no spans" in (c.reason or "")
    assert result.verdict == "INCOMPLETE" and result.cost.payback_days is None
