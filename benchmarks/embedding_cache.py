"""Scoring the two runs of a comparison with ``semantic_similarity``: the store's embedding
cache beside an empty one (issue 20, goal 3).

    python benchmarks/embedding_cache.py [--pairs 2000] [--unchanged 0.3] [--repeats 1]

A real SQLite store holds a dataset of ``--pairs`` rows (the synthetic 10-40 word sentences of
``embedding_speed.py``, every ground truth distinct) and two runs over it: the source's answers
and the target's, of which ``--unchanged`` keep the source's answer word for word (a model
that did not change its answer) and the rest are new. Each step is the real command,
``agility score RUN --metrics semantic_similarity --store DB``, in a fresh process (wall time
around it, its CPU time, model load included):

1. score the source with an empty cache (every text encoded: 2 x pairs);
2. score the target in a copy of that store whose cache was emptied: what scoring cost
   before the cache (2 x pairs encoded);
3. score the target in the store itself: the ground truths and the unchanged answers are read
   back, only the new answers are encoded;
4. rescore the target (``--rescore``): every text is found, the model is not loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from embedding_speed import sentence  # noqa: E402

from agility.store import NewRun, ResultRecord, Store  # noqa: E402


def _build(db: Path, pairs: int, unchanged: float) -> None:
    rng = random.Random(0)
    truths = [sentence(rng, i) for i in range(pairs)]
    source = [sentence(rng, pairs + i) for i in range(pairs)]
    target = [source[i] if rng.random() < unchanged else sentence(rng, 2 * pairs + i)
              for i in range(pairs)]
    with Store(db) as store:
        store.save_dataset("ds", "bench", None, 1, {}, [
            (f"e{i:05d}", f"h{i}", "dev", None,
             json.dumps({"id": f"e{i:05d}", "source_prompt": f"question {i}",
                         "ground_truth": truth})) for i, truth in enumerate(truths)])
        for name, answers in (("source", source), ("target", target)):
            run = store.create_run(NewRun(name=name, dataset_hash="ds", model_spec="mock/x",
                                          tool_version="bench", started_at="2026-11-30T00:00:00Z"))
            assert run.id is not None
            store.save_results(run.id, [ResultRecord(example_id=f"e{i:05d}", output=answer)
                                        for i, answer in enumerate(answers)])


def _score(db: Path, run: str, *extra: str) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(HERE.parent / "src"), os.environ.get("PYTHONPATH")) if p)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "agility", "score", run, "--metrics",
                    "semantic_similarity", "--store", str(db), *extra], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _cached(db: Path) -> int:
    with Store(db, read_only=True) as store:
        return int(store.query("SELECT COUNT(*) AS n FROM embedding_cache")[0]["n"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--unchanged", type=float, default=0.3)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    load_before = os.getloadavg()
    steps = ["source, empty cache", "target, empty cache (before)", "target, source cached",
             "target rescored, all cached"]
    figures: dict[str, list[tuple[float, float]]] = {step: [] for step in steps}
    vectors: dict[str, int] = {}
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            db, empty = Path(tmp) / "cache.db", Path(tmp) / "empty.db"
            _build(db, args.pairs, args.unchanged)
            figures[steps[0]].append(_score(db, "source"))
            vectors[steps[0]] = _cached(db)
            shutil.copy(db, empty)
            with Store(empty) as store, store.transaction() as conn:
                conn.execute("DELETE FROM embedding_cache")
            figures[steps[1]].append(_score(empty, "target"))
            vectors[steps[1]] = _cached(empty)
            figures[steps[2]].append(_score(db, "target"))
            vectors[steps[2]] = _cached(db)
            figures[steps[3]].append(_score(db, "target", "--rescore"))
            vectors[steps[3]] = _cached(db)
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min): before {' '.join(f'{x:.2f}' for x in load_before)}; "
          f"after {' '.join(f'{x:.2f}' for x in load_after)}; {args.pairs} pairs, "
          f"{args.unchanged:.0%} of the target's answers unchanged, {args.repeats} repeat(s)\n")
    print("| step | wall median s | CPU median s | vectors in the store after |")
    print("|---|---:|---:|---:|")
    for step in steps:
        walls = [w for w, _ in figures[step]]
        cpus = [c for _, c in figures[step]]
        print(f"| {step} | {statistics.median(walls):.2f} | {statistics.median(cpus):.2f} | "
              f"{vectors[step]} |")


if __name__ == "__main__":
    main()
