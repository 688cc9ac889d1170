"""The cost parts of the reports: the breakdown all in, the payback with its interval, the
sensitivity; item names (from a plan, maybe a pull request) escaped; "not measured", never $0."""

from __future__ import annotations

from store_builder import add_run, save_dataset

from agility.compare import Comparison, compare_runs, parse_cost_items
from agility.report import render_html, render_markdown, render_text
from agility.store import Store

HOSTILE = "<img src=x onerror=alert(1)>"


def _comparison(store: Store, target_cost: float | None) -> Comparison:
    rows = [{"id": f"q{i:03d}", "source_prompt": "q", "ground_truth": "a"} for i in range(60)]
    ds = save_dataset(store, rows)
    for name, cost in (("src", 0.004), ("tgt", target_cost)):
        add_run(store, name, ds, [{
            "example_id": f"q{i:03d}", "output": "a", "ttft_ms": 100.0 + i % 5,
            "latency_ms": 1000.0 + 10 * (i % 7), "cost_usd": cost if cost is None
            else cost * (1 + (i % 3) / 10), "extra_cost_usd": 0.0,
            "scores": {"correctness": (1.0, True)}} for i in range(60)],
            meta={"parallel_calls": 1})
    items = parse_cost_items(
        f"per_hour: [{{name: '{HOSTILE}', side: both, usd_per_hour: 0.5}}]\n"
        "per_month: [{name: vector database, side: both, usd_per_month: 25}]\n"
        "one_off: [{name: porting, side: target, days: 1, usd_per_day: 600}]")
    return compare_runs(store, "src", "tgt", n_resamples=500, traffic_per_month=100_000,
                        costs=items)


def test_reports_show_the_breakdown_and_the_payback_with_its_interval(tmp_store: Store) -> None:
    result = _comparison(tmp_store, 0.002)
    roi = result.cost.roi
    assert roi is not None and roi.payback_interval is not None
    low, high = roi.payback_interval
    assert low is not None and high is not None and low < high
    html, markdown, text = render_html(result), render_markdown(result), render_text(result)
    for part in ('id="cost-model"', 'id="cost-breakdown"', 'id="roi"', 'id="sensitivity"',
                 "payback [95% interval]", "vector database", "porting", "Little's law"):
        assert part in html, part
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert r"payback \[95% interval\]" in markdown and HOSTILE not in markdown
    assert f"(interval {low:,.1f} days to {high:,.1f} days)" in text
    assert "cost all in: source" in text


def test_an_unmeasured_side_reads_not_measured_never_zero(tmp_store: Store) -> None:
    result = _comparison(tmp_store, None)
    html, markdown, text = render_html(result), render_markdown(result), render_text(result)
    assert "not measured" in html and "not measured" in markdown
    assert "payback: not measured (no cost was recorded for the target)" in text
    assert "target not measured;" in text and "not measured/query" not in text
    assert "not measured (no cost was recorded for the target)" in html
    # no payback, net or sensitivity figure is claimed for the target
    assert 'id="sensitivity"' not in html
    assert result.recommendation is None


def test_reports_say_what_a_per_hour_cost_rests_on_and_how_the_runs_were_timed(
        tmp_store: Store) -> None:
    # runs stored without a timing record: not known to have been timed together
    result = _comparison(tmp_store, 0.002)
    roi = result.cost.roi
    assert roi is not None and roi.throughput_sides == ["source", "target"]
    assert roi.timing is not None and not roi.timing.interleaved
    low, high = roi.diff_per_query_pct_interval or (0.0, 0.0)
    html, markdown = render_html(result), render_markdown(result)
    note = f"differs from the source's by {low:+.1f}% to {high:+.1f}%"
    assert 'id="timing"' in html and note.replace("'", "&#x27;") in html and note in markdown
    for text in (html, markdown):
        assert "not timed together" in text and "no timing record" in text
        assert "the cost criterion does not decide on the per-hour items" in text
    cost = next(c for c in result.criteria_results if c.name == "cost")
    assert cost.status == "inconclusive" and "load drift" in (cost.reason or "")
