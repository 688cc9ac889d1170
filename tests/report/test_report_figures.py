"""Figures in the reports: never shown as measured when they were not, and written one way."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compare"))

from store_builder import add_run, save_dataset

from agility.cli.main import _register, app
from agility.compare import Criteria, compare_runs
from agility.report import render_html, render_markdown
from agility.store import Store

_register()


def _runs(store: Store, *, cost: tuple[float | None, float | None], extra: float | None = None,
          ttft: float | None = 100.0, n: int = 60) -> None:
    ds = save_dataset(store, [{"id": f"q{i}", "source_prompt": "q", "ground_truth": "a"}
                              for i in range(n)])
    for name, c in (("src", cost[0]), ("tgt", cost[1])):
        add_run(store, name, ds, [{"example_id": f"q{i}", "output": "x", "ttft_ms": ttft,
                                   "latency_ms": None if ttft is None else 400.0,
                                   "cost_usd": c, "extra_cost_usd": extra if c else None,
                                   "scores": {"correctness": (1.0, True)}} for i in range(n)])


def test_payback_reads_not_measured_when_no_cost_was_recorded(tmp_store: Store) -> None:
    _runs(tmp_store, cost=(None, None), ttft=None)
    criteria = Criteria.model_validate({"cost": {"payback_days": 90}})
    result = compare_runs(tmp_store, "src", "tgt", criteria, n_resamples=200,
                          traffic_per_month=100_000, migration_cost_usd=8_000)
    assert result.cost.payback_status == "cost_not_measured" and result.cost.payback_days is None
    cost = next(c for c in result.criteria_results if c.kind == "cost")
    assert cost.status == "not_evaluated"  # never passed, never "never paid back"
    html, markdown = render_html(result), render_markdown(result)
    for text in (html, markdown):
        assert "never" not in text.lower().split("payback")[1][:80]
        assert "the target is not cheaper" not in text
        assert "not measured (no cost was recorded for the source and the target)" in text
    # the cost per query, the monthly figures and the latency read "not measured" too
    assert markdown.count("| per query | not measured | not measured |") == 1
    assert "| TTFT p50 | not measured | not measured | |" in markdown
    assert html.count('<span class="na">not measured</span>') >= 6


def test_money_and_shares_are_written_one_way_in_tables_charts_and_evidence(
        tmp_store: Store) -> None:
    _runs(tmp_store, cost=(2.07788e-05, 2.07788e-05), extra=1.0e-05)
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=200)
    html, markdown = render_html(result), render_markdown(result)
    # the same money figure in the table, the chart and the criterion's evidence
    assert html.count("$0.0000208") >= 3
    assert "$0.0000208/query" in next(c.evidence for c in result.criteria_results
                                      if c.kind == "cost")
    assert not re.search(r"\d(\.\d+)?e-\d", html), "scientific notation in the report"
    assert "-$0.000000" not in html and "-$0" not in html and "-$0" not in markdown
    assert "Difference per query: $0 (+0.0%)." in html
    # a share of the cost is a part, not a change: no sign
    assert "48.1%" in html and "+48.1" not in html
    assert "| retrieval share | 48.1% | 48.1% |" in markdown
    # the gate's scope reads as a sentence
    assert "Gate evaluated on all paired examples; 60 paired examples." in html
    assert "the all paired" not in html and "the all paired" not in markdown


def test_a_share_without_extras_recorded_is_not_measured_not_zero(tmp_store: Store) -> None:
    _runs(tmp_store, cost=(0.001, 0.001), extra=None)
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=200)
    assert result.cost.source.retrieval_share is None
    assert "| retrieval share | not measured | not measured |" in render_markdown(result)


def test_runs_show_reads_not_measured_for_a_run_without_timings(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with Store(db) as store:
        _runs(store, cost=(None, None), ttft=None)
    shown = CliRunner().invoke(app, ["runs", "show", "src", "--store", str(db)])
    assert shown.exit_code == 0, shown.output
    assert "not measured / not measured" in shown.output and "n/a" not in shown.output
