"""How many torch threads ``agility.embeddings.embed`` should use: one query vs a large batch.

Encodes 40 single short queries (the retriever's case) and one batch of 512 texts (scoring's
case) on 1 thread and on torch's default, idle and with ``--busy N`` CPU-bound processes
competing (other helpers, llama.cpp). ``embed()`` itself encodes batches of up to
``SMALL_BATCH`` distinct texts on one thread and larger ones on the default.

Run: ``python benchmarks/embedding_threads.py [--busy 2]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time


def _spin() -> None:
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound processes competing")
    args = parser.parse_args()

    import torch

    from agility.embeddings import embed, load_embedding_model

    model = load_embedding_model()
    default = torch.get_num_threads()
    embed(["warm up"])
    queries = [f"What was the revenue of segment {i} in fiscal 2022?" for i in range(40)]
    batch = [f"sentence {i} about revenue, margins and debt" for i in range(512)]
    burners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.busy)]
    for proc in burners:
        proc.start()
    try:
        print(f"torch default threads: {default}; competing processes: {args.busy}")
        for threads in sorted({1, default}):
            torch.set_num_threads(threads)
            times = []
            for query in queries:
                started = time.perf_counter()
                model.encode([query], normalize_embeddings=True, show_progress_bar=False)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            started = time.perf_counter()
            model.encode(batch, batch_size=64, show_progress_bar=False)
            batch_s = time.perf_counter() - started
            print(f"{threads} thread(s): one query p50 {statistics.median(times):.1f} ms, "
                  f"p95 {times[int(len(times) * 0.95)]:.1f} ms; 512 texts {batch_s:.2f} s")
        torch.set_num_threads(default)
    finally:
        for proc in burners:
            proc.terminate()


if __name__ == "__main__":
    main()
