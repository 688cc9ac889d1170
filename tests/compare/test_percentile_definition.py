"""One percentile definition: `runs show`, `compare` and the reports give the same TTFT p95."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from store_builder import add_run, save_dataset
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.compare import compare_runs
from agility.report import render_markdown
from agility.runner import percentile, run_figures
from agility.store import Store

_register()


def _ttfts(n: int, seed: int) -> list[float]:
    # skewed timings with gaps between neighbours, so that interpolating between two ranks
    # (the old `runs show` definition) lands far from any measured value
    return [float(round(v, 1)) for v in np.random.default_rng(seed).gamma(2.0, 150.0, n)]


def test_runs_show_compare_and_reports_agree_on_every_percentile(tmp_path: Path) -> None:
    db = tmp_path / "agility.db"
    source, target = _ttfts(37, 1), _ttfts(37, 2)
    with Store(db) as store:
        ds = save_dataset(store, [{"id": f"q{i}", "source_prompt": "q", "ground_truth": "a"}
                                  for i in range(37)])
        for name, ttfts in (("src", source), ("tgt", target)):
            add_run(store, name, ds, [{"example_id": f"q{i}", "output": "x", "ttft_ms": t,
                                       "latency_ms": t + 500.0, "cost_usd": 0.001,
                                       "scores": {"correctness": (1.0, True)}}
                                      for i, t in enumerate(ttfts)])
        result = compare_runs(store, "src", "tgt", n_resamples=200)
        figures = run_figures(store.results(store.require_run("src").id))
    # the p95 of 37 values is the 36th smallest (ceil(0.95 * 37) = 36): a measured value
    expected = sorted(source)[35]
    assert percentile(source, 95) == expected
    assert result.latency.ttft.source is not None
    assert result.latency.ttft.source.p95 == expected
    assert figures["ttft_p95_ms"] == expected
    assert figures["ttft_p50_ms"] == result.latency.ttft.source.p50 == sorted(source)[18]
    # the old linear interpolation gave another figure for the same run
    assert float(np.percentile(source, 95)) != expected

    shown = CliRunner().invoke(app, ["runs", "show", "src", "--store", str(db)])
    assert shown.exit_code == 0, shown.output
    line = next(line for line in shown.output.splitlines() if "TTFT p50 / p95" in line)
    p50, p95 = (float(v) for v in re.findall(r"([\d.]+) ms", line))
    assert (p50, p95) == (round(sorted(source)[18], 1), round(expected, 1))
    assert f"{round(sorted(source)[18]):.0f} ms" in render_markdown(result)
