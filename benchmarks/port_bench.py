"""What `agility port` gains and costs with the real local model (Gemma 3 270M, llama.cpp).

    python benchmarks/port_bench.py --set demo           # the demo's golden set and plan
    python benchmarks/port_bench.py --set financebench   # a FinanceBench-derived set
    python benchmarks/port_bench.py --set financebench --rows 20 --pool 4 --threads 1

Each run ports a source prompt to ``llamacpp/gemma3-270m`` in a fresh temporary folder and
store, then prints, for the source and the ported prompt, the selection metric on the dev rows
scored and on the holdout (scored once, after the choice), and what the port cost: calls,
attempts, tokens and wall seconds. Figures go to benchmarks/README.md with the load average.

- ``demo``: the packaged example (its golden set, filing, legacy prompt, retriever and the
  ``port:`` settings of its plan).
- ``financebench``: ``--rows`` rows of ``../shared/datasets/financebench/`` (read in place,
  never copied into the repository; Islam et al. 2023, arXiv:2311.11944, CC BY-NC 4.0), spread
  over question types, each with its evidence cut to a 600-character window around the first
  figure of the answer (the model's context is 2,048 tokens), split half dev, half holdout by
  question type; the source prompt is FinanceBench's system prompt with the context and the
  question.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agility.dataset import (
    FINANCEBENCH_SYSTEM_PROMPT,
    read_examples,
    split_examples,
    write_examples,
)
from agility.migrate import example_path, load_plan
from agility.port import PortOptions, port
from agility.retrieval import EmbeddingRetriever
from agility.store import Store

FINANCEBENCH = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / \
    "financebench" / "financebench_open_source.jsonl"
SOURCE_PROMPT = f"""\
name: financebench-source
system: {json.dumps(FINANCEBENCH_SYSTEM_PROMPT)}
messages:
  - role: user
    content: "Context:\\n{{{{ context }}}}\\n\\nQuestion: {{{{ question }}}}"
"""


def _window(text: str, answer: str, width: int = 600) -> str:
    figure = re.search(r"\d[\d,.]*", answer)
    flat = " ".join(text.split())
    at = flat.find(figure.group(0)) if figure else -1
    if at < 0 and figure:
        at = flat.find(figure.group(0).replace(",", ""))
    start = max(0, at - width // 2) if at >= 0 else 0
    return flat[start:start + width]


def financebench_set(folder: Path, rows: int, seed: int) -> Path:
    """``rows`` FinanceBench rows spread over question types, split half and half."""
    records = [json.loads(line) for line in FINANCEBENCH.read_text().splitlines() if line]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_type.setdefault(record["question_type"], []).append(record)
    picked: list[dict[str, Any]] = []
    while len(picked) < rows and any(by_type.values()):
        for kind in sorted(by_type):
            if by_type[kind] and len(picked) < rows:
                picked.append(by_type[kind].pop(0))
    golden = folder / "golden.jsonl"
    golden.write_text("".join(json.dumps({
        "id": r["financebench_id"], "source_prompt": r["question"],
        "input_context": [_window(" ".join(e["evidence_text"] for e in r["evidence"]),
                                  r["answer"])],
        "ground_truth": r["answer"], "stratum": r["question_type"]}) + "\n" for r in picked))
    examples, _ = split_examples(read_examples(golden), by="stratum", holdout=0.5, seed=seed)
    write_examples(golden, examples)
    (folder / "legacy.yaml").write_text(SOURCE_PROMPT)
    return golden


def _load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("demo", "financebench"), default="demo")
    parser.add_argument("--rows", type=int, default=32)
    parser.add_argument("--budget-calls", type=int, default=None)
    parser.add_argument("--pool", type=int, default=6, help="few-shot pool (financebench)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=None,
                        help="work folder (again: resume the port stored there)")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="port-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"load before: {_load()}", flush=True)
    retriever = None
    model_options = {"n_ctx": 2048, "n_threads": args.threads, "seed": 7}
    config: dict[str, Any] = {"temperature": 0, "max_tokens": 32, "seed": 7}
    settings: dict[str, Any] = {"generators": ["rules", "few_shot"], "minibatch": 8,
                                "finalists": 1, "seed": args.seed,
                                "few_shot": {"strategies": ["nearest", "diverse"], "k": [1, 2],
                                             "pool": args.pool}}
    if args.set == "demo":
        shutil.copytree(example_path(), folder / "d", dirs_exist_ok=True, ignore=shutil.ignore_patterns(
            "__pycache__", "report", "*.manifest.json", "*.index.npy"))
        plan = load_plan(folder / "d" / "plan.yaml")
        assert plan.port is not None and plan.retriever is not None
        golden, prompt = plan.dataset.path, plan.source.prompt
        settings = plan.port.model_dump(exclude={"name", "output"}, exclude_unset=True)
        retriever = EmbeddingRetriever(plan.retriever.corpus, top_k=plan.retriever.top_k,
                                       cost_per_query_usd=plan.retriever.cost_per_query_usd)
        model_options = dict(plan.target.provider_options)
        config = plan.target.config.model_dump(exclude_unset=True)
    else:
        if not FINANCEBENCH.is_file():
            sys.exit(f"needs FinanceBench at {FINANCEBENCH}")
        golden = financebench_set(folder, args.rows, args.seed)
        prompt = folder / "legacy.yaml"
        config["max_tokens"] = 48
    if args.budget_calls is not None:
        settings["budget_calls"] = args.budget_calls
    options = PortOptions(**settings, dataset=golden, prompt=prompt,
                          target="llamacpp/gemma3-270m", target_options=model_options,
                          config=config, concurrency=1, name=f"bench-{args.set}",
                          output=folder / "ported.yaml")
    started = time.perf_counter()
    with Store(folder / "s.db") as store:
        result = port(options, store=store, retriever=retriever,
                      report_json=folder / "port.json", report_html=folder / "port.html",
                      on_step=lambda m: print(f"{time.perf_counter() - started:6.0f} s  {m}",
                                              flush=True))
    wall = time.perf_counter() - started
    report = result.report
    metric = report.metric
    print(f"load after: {_load()}")
    print(f"set {args.set}: {report.dataset}")
    print(f"chosen: {report.chosen_label} ({report.chosen}); stopped: "
          f"{report.budget.stop_reason}")
    for label, side in (("source", report.source), ("ported", report.ported)):
        dev, hold = side.dev[metric], side.holdout[metric]
        print(f"  {label:<7} {metric} dev {dev.mean} (n={dev.n})  holdout {hold.mean} "
              f"(n={hold.n})")
    b = report.budget
    print(f"port cost: {b.calls_used} calls ({b.attempts} attempts, {b.failed_calls} failed), "
          f"{b.input_tokens:,} tokens in, {b.output_tokens:,} out, {wall:.0f} s wall")
    print(f"report: {folder / 'port.html'}")


if __name__ == "__main__":
    main()
