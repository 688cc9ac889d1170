"""Golden dataset speed: load (read + validate + hash), freeze, verify, split, write, per format.

    python benchmarks/dataset_bench.py [--rows 2000 20000]

Rows are FinanceBench-shaped (system + user prompt, one or two evidence documents of about
1.5 KB, metadata, three strata), built synthetically so the benchmark needs no shared data.
Goals: at the playbook's largest size (2,000 rows) every operation takes <= 1 s in any format;
at 20,000 rows, <= 10 s.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agility.dataset import (
    GoldenExample,
    freeze_dataset,
    load_dataset,
    split_dataset,
    verify_dataset,
    write_examples,
)

STRATA = ("metrics-generated", "domain-relevant", "novel-generated")


def _rows(count: int) -> list[GoldenExample]:
    rng = random.Random(0)
    words = "revenue margin capex cash flow operating income segment quarter fiscal".split()

    def text(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n))

    return [GoldenExample.model_validate({
        "id": f"fb-{i:06d}",
        "source_prompt": {"system": "Answer from the context.", "user": text(25) + "?"},
        "input_context": [text(220) for _ in range(1 + i % 2)],
        "ground_truth": f"${rng.randint(1, 9999)}.00",
        "stratum": STRATA[i % 3],
        "metadata": {"company": f"C{i % 40}", "doc_name": f"C{i % 40}_2022_10K"},
    }) for i in range(count)]


def _time(action: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    start = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - start


def bench(count: int, folder: Path) -> None:
    examples = _rows(count)
    print(f"\n{count:,} rows")
    print(f"{'format':8} {'write s':>8} {'load s':>8} {'freeze s':>9} {'verify s':>9} "
          f"{'split s':>8} {'MB':>6}")
    for suffix in (".jsonl", ".csv", ".parquet"):
        path = folder / f"golden{count}{suffix}"
        write = _time(write_examples, path, examples)
        load = _time(load_dataset, path)
        freeze = _time(freeze_dataset, path)
        verify = _time(verify_dataset, path)
        split = _time(split_dataset, path, folder / f"split{count}{suffix}", holdout=0.2, seed=1)
        size = path.stat().st_size / 1e6
        print(f"{suffix[1:]:8} {write:8.2f} {load:8.2f} {freeze:9.2f} {verify:9.2f} "
              f"{split:8.2f} {size:6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[2000, 20000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.rows:
            bench(count, Path(tmp))


if __name__ == "__main__":
    main()
