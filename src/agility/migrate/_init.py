"""``agility init``: write a commented starter migration plan."""

from __future__ import annotations

from pathlib import Path

from agility._files import atomic_write, describe_os_error
from agility.errors import UsageError

__all__ = ["STARTER_PLAN", "write_starter_plan"]

STARTER_PLAN = """\
# agility migration plan. Run it with: agility migrate plan.yaml
# Relative paths resolve against this file's folder. API keys are never written here: each
# provider reads its key from the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, AWS_*).
name: my-migration              # names the runs (<name>/<candidate>) and the lineage record
description: Move the support bot from the current model to a cheaper one.

dataset:
  path: golden.jsonl            # .jsonl, .csv or .parquet; see `agility dataset validate`
  freeze: true                  # freeze it on the first run, verify it on every later run
  splits: [dev, holdout]        # which rows to run; the gate reads the holdout when present

# retriever:                    # optional RAG step, timed and priced per query
#   corpus: docs.md             # Markdown (one chunk per '## ' section), JSONL or a folder
#   top_k: 3
#   cost_per_query_usd: 0.00001 # e.g. your vector database's price per query

source:                         # what runs in production today
  name: current
  model: openai/gpt-4o          # provider/model: openai/, anthropic/, bedrock/, llamacpp/, ...
  # recorded_outputs: source_answers.jsonl   # instead of 'model': replay recorded answers
  prompt: prompts/current.yaml  # optional; without it each row's recorded prompt is sent
  config: {temperature: 0, max_tokens: 512}
  provider_options: {}          # base_url, region, ... (never keys)
  # price: {input_per_mtok: 2.50, output_per_mtok: 10.00}   # USD per 1M tokens; default: table
  concurrency: 4

target:                         # the candidate
  name: candidate
  model: anthropic/claude-3-5-haiku-latest
  prompt: prompts/candidate.yaml
  config: {temperature: 0, max_tokens: 512}
  concurrency: 4

metrics: [correctness, refusal, semantic_similarity]   # see `agility metrics list`
judge: null                     # provider/model of the LLM judge, for judge metrics
criteria:                       # or a file: criteria: criteria.yaml
  quality: {metrics: [correctness], max_relative_drop: 0.03, alpha: 0.05}
  latency: {ttft_max_increase_pct: 20, ttft_max_increase_ms: 250}
  cost: {max_increase_pct: 0}
  use_holdout: true
output: agility-report          # report.html, report.md, migration.json
traffic_per_month: 100000       # optional: projects the monthly cost difference
# migration_cost_usd: 5000      # optional: one-off cost of the move, for the payback period
"""


def write_starter_plan(path: str | Path = "plan.yaml", force: bool = False) -> Path:
    """Write :data:`STARTER_PLAN` to ``path``.

    Args:
        path: the file to write (its folder is created).
        force: overwrite an existing file.

    Returns:
        The path written.

    Raises:
        UsageError: the file exists (and ``force`` is false) or cannot be written.
    """
    path = Path(path)
    if path.exists() and not force:
        raise UsageError(f"{path} already exists. Pass --force to overwrite it, or give "
                         f"another path.")
    try:
        atomic_write(path, STARTER_PLAN)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {describe_os_error(exc)}.") from exc
    return path
