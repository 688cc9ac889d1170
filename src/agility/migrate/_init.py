"""``agility init``: write a commented starter migration plan and the files it names.

Beside the plan: ``criteria.yaml`` (the sign-off criteria with the playbook's values, for
``agility compare --criteria``) and two prompt templates, ``prompts/current.yaml`` (the source's)
and ``prompts/candidate.yaml`` (the target's, to port). A companion that exists is kept.
"""

from __future__ import annotations

from pathlib import Path

from agility._files import atomic_write, describe_os_error
from agility.errors import UsageError

__all__ = [
    "STARTER_CRITERIA",
    "STARTER_PLAN",
    "STARTER_PROMPT",
    "write_starter_files",
    "write_starter_plan",
]

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
  prompt: prompts/candidate.yaml  # or leave it out and let `port:` write it
  config: {temperature: 0, max_tokens: 512}
  concurrency: 4

# port:                         # port source.prompt to the target first (then drop target.prompt)
#   generators: [rules, few_shot]   # + optimizer (needs optimizer: provider/model)
#   optimizer: openai/gpt-4o        # any provider; rewrites and reflects on dev failures
#   budget_calls: 500             # target + optimiser calls at most, the holdout scoring included
#   budget_usd: 5.00              # USD at most (priced models, max_tokens set)
#   minibatch: 12                 # dev rows each candidate is first scored on
#   finalists: 2                  # candidates then scored on every dev row
#   seed: 0
#   output: prompts/ported.yaml   # default: <output>/ported.yaml
# The port only ever sees the dev split: the holdout is scored once, after the choice, and the
# report (<output>/port.html) shows dev against holdout for the source and the ported prompt.

metrics: [correctness, answered, semantic_similarity]   # see `agility metrics list`
judge: null                     # provider/model of the LLM judge, for judge metrics
criteria:                       # or a file: criteria: criteria.yaml
  quality: {metrics: [correctness], max_relative_drop: 0.03, alpha: 0.05}
  latency: {ttft_max_increase_pct: 20, ttft_max_increase_ms: 250}
  cost: {max_increase_pct: 0}
  roi: {within_days: 30}        # neutral or positive within 30 days, every cost counted
  use_holdout: true
output: agility-report          # report.html, report.md, migration.json
traffic_per_month: 100000       # queries per month: monthly totals, payback, ROI
# migration_cost_usd: 5000      # optional: one-off cost of the move, for the payback period
# costs:                        # optional: what else each side costs (docs/cost.md)
#   per_query: [{name: vector DB, side: both, usd_per_query: 0.00001}]
#   per_month: [{name: vector database, side: both, usd_per_month: 70}]
#   per_hour: [{name: GPU endpoint, side: target, usd_per_hour: 1.20}]   # self-hosted
#   one_off:
#     - {name: porting the prompts, side: target, days: 4, usd_per_day: 800}
#     - {name: SME review, side: target, minutes_per_review: 4, usd_per_hour: 90}
# review:                       # optional: draw an SME review queue (see `agility review`)
#   queue: my-review            # default: <plan name>.<target name>
#   failure_share: 0.10         # 10% of target failures, 2% of passes, every failing safety
#   pass_share: 0.02            # row and every example the metrics disagree on
#   overlap: 0.1                # share of items given to two reviewers
"""


STARTER_CRITERIA = """\
# Sign-off criteria (the playbook's sample values). Use them with
#   agility compare SOURCE_RUN TARGET_RUN --criteria criteria.yaml
# or from a plan: criteria: criteria.yaml
quality:
  metrics: [correctness]        # gated metrics: each may drop at most max_relative_drop
  max_relative_drop: 0.03       # 3% relative to the source
  alpha: 0.05                   # the intervals' level (95%)
latency:
  ttft_max_increase_pct: 20     # either limit satisfies the gate
  ttft_max_increase_ms: 250
  percentile: p50
cost:
  max_increase_pct: 0           # the target may not cost more per query
roi:
  within_days: 30               # neutral or positive within 30 days (needs the traffic)
safety:
  metrics: []                   # e.g. [safety]: every target answer must pass
use_holdout: true               # gate on the locked holdout when the dataset has one
"""

STARTER_PROMPT = """\
# A prompt template: a system message and messages rendered with Jinja2 for each golden row.
# Variables: {{ question }}, {{ context }} (the row's documents or what a retriever found),
# {{ history }}, {{ metadata }}. The ground truth is never visible to a template.
name: {name}
version: "1"
system: |
  {system}
messages:
  - role: user
    content: |
      Documents:
      {{{{ context }}}}

      Question: {{{{ question }}}}
"""

_PROMPTS = {
    "current": "You are a helpful assistant. Answer the question from the documents.",
    "candidate": ("Answer the question using only the documents. Reply with the answer in one "
                  "sentence; if the documents do not hold it, say so."),
}


def write_starter_files(plan: str | Path = "plan.yaml", force: bool = False) -> list[Path]:
    """Write the starter plan and, beside it, the criteria and prompt files it names.

    Args:
        plan: where the plan goes; the companions go in its folder.
        force: overwrite the plan if it exists (companions that exist are always kept).

    Returns:
        The files written, the plan first.

    Raises:
        UsageError: the plan exists (and ``force`` is false) or a file cannot be written.
    """
    written = [write_starter_plan(plan, force=force)]
    folder = Path(plan).parent
    companions = {folder / "criteria.yaml": STARTER_CRITERIA}
    for name, system in _PROMPTS.items():
        companions[folder / "prompts" / f"{name}.yaml"] = STARTER_PROMPT.format(name=name,
                                                                                system=system)
    for path, text in companions.items():
        if path.exists():
            continue
        try:
            atomic_write(path, text)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {describe_os_error(exc)}.") from exc
        written.append(path)
    return written


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
        raise UsageError(f"{path} already exists: overwrite it, or give another path",
                         argument="force")
    try:
        atomic_write(path, STARTER_PLAN)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {describe_os_error(exc)}.") from exc
    return path
