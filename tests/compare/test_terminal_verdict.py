"""The terminal verdict says why each criterion did not pass and what to do (captured output)."""

from __future__ import annotations

import re
from pathlib import Path

from store_builder import add_run, save_dataset
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.compare import compare_runs
from agility.store import Store

_register()


def _store(path: Path, n: int, source_only: int, target_only: int, both_share: float = 0.8
           ) -> Path:
    """``n`` pairs: ``both_share`` of them both pass, the given discordant pairs, the rest fail."""
    both = round(both_share * n)
    cells = ([(True, True)] * both + [(True, False)] * source_only
             + [(False, True)] * target_only)
    cells += [(False, False)] * (n - len(cells))
    with Store(path) as store:
        ds = save_dataset(store, [{"id": f"q{i:05d}", "source_prompt": "q", "ground_truth": "a"}
                                  for i in range(n)])
        for side, name in ((0, "src"), (1, "tgt")):
            add_run(store, name, ds, [{
                "example_id": f"q{i:05d}", "output": "x", "ttft_ms": 100.0, "latency_ms": 300.0,
                "cost_usd": 0.001, "scores": {"correctness": (float(c[side]), c[side])}}
                for i, c in enumerate(cells)])
    return path


def _run(db: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["compare", "src", "tgt", "--store", str(db),
                                      "--resamples", "1000", *extra])
    return result.exit_code, result.output


def test_an_inconclusive_quality_criterion_says_why_and_how_many_examples_settle_it(
        tmp_path: Path) -> None:
    # 400 pairs, 8 pairs only the source passed and 2 only the target: a -1.8% change whose
    # interval still reaches below the 3% margin
    code, out = _run(_store(tmp_path / "a.db", 400, source_only=8, target_only=2))
    assert code == 1 and out.rstrip().endswith("INCOMPLETE")
    block = out[out.index("inconclusive  quality: correctness"):]
    why = re.search(r"why: the interval's lower bound (-[\d.]+)% is below the allowed drop "
                    r"-3.0% \(observed (-[\d.]+)%\)", block.replace("\n", " "))
    assert why, out
    needed = re.search(r"what to do: about ([\d,]+) paired examples \(now 400\) would settle it "
                       r"if the observed difference held \(an estimate\)",
                       " ".join(block.split()))
    assert needed, out
    estimate = int(needed.group(1).replace(",", ""))
    assert estimate > 400
    # the estimate is honest: the same proportions at that size do pass the criterion, and
    # clearly fewer do not
    for size, expected in ((estimate, "pass"), (int(estimate * 0.7), "inconclusive")):
        k = size / 400
        db = _store(tmp_path / f"n{size}.db", size, source_only=round(8 * k),
                    target_only=round(2 * k))
        with Store(db) as store:
            result = compare_runs(store, "src", "tgt", n_resamples=1000)
        assert result.criteria_results[0].status == expected, (size, result.criteria_results[0])


def test_too_few_examples_and_error_rate_say_why_in_the_terminal(tmp_path: Path) -> None:
    code, out = _run(_store(tmp_path / "b.db", 20, source_only=0, target_only=0))
    assert code == 1
    text = " ".join(out.split())
    assert "why: too few examples: 20 paired, at least 30 needed" in text
    assert "what to do: add examples: about" in text
    # the error rate cannot be shown within 1 point on 20 calls: why, and how many calls
    assert re.search(r"inconclusive error rate: .* why: the interval's upper bound \+[\d.]+ "
                     r"points is above the allowed \+1: too few calls", text)
    assert re.search(r"what to do: about [\d,]+ calls per run \(now 20\)", text)
    # passing criteria carry no why
    assert text.count("why:") == 2
