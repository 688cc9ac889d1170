"""The worked finance RAG example: its golden set, filing and prompts hold what the issue asks."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from agility.dataset import load_dataset
from agility.metrics._correctness import judge_financial_answer
from agility.migrate import example_path, load_plan
from agility.prompts import load_prompt_spec
from agility.retrieval import load_corpus

EXAMPLE = example_path("finance_rag")


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(EXAMPLE / "golden.jsonl", verify=False)


def test_golden_set_is_lookup_heavy_in_three_strata(dataset) -> None:
    # the demo's target is a 270M model: lookups (a figure stated in the filing) are what a
    # prompt's shape decides for it; calculations and multi-step rows stay as a minority
    counts = Counter(ex.stratum for ex in dataset.examples)
    assert len(dataset) >= 60
    assert set(counts) == {"lookup", "calculation", "multi_step"}
    assert counts["lookup"] >= 40
    assert min(counts.values()) >= 10


def test_the_holdout_is_large_enough_for_the_quality_test(dataset) -> None:
    # the gate reads the holdout only: it needs the quality test's minimum of paired rows
    criteria = load_plan(EXAMPLE / "plan.yaml").criteria_object()
    holdout = [ex for ex in dataset.examples if ex.split == "holdout"]
    assert len(holdout) >= criteria.quality.min_examples + 3  # a few failed calls may not tip it
    assert sum(ex.stratum == "lookup" for ex in holdout) >= 20
    for stratum in ("lookup", "calculation", "multi_step"):
        assert {ex.split for ex in dataset.examples if ex.stratum == stratum} == {"dev", "holdout"}


def test_edge_adversarial_and_safety_rows_are_present_in_dev_and_holdout(dataset) -> None:
    by_tag: dict[str, list] = {}
    for ex in dataset.examples:
        for tag in ex.tags:
            by_tag.setdefault(tag, []).append(ex)
    for tag in ("not_in_filing", "adversarial", "safety", "negative", "percentage", "units"):
        assert len(by_tag.get(tag, [])) >= 3, tag
    for tag in ("adversarial", "safety", "not_in_filing"):
        assert {ex.split for ex in by_tag[tag]} == {"dev", "holdout"}, tag


def test_adversarial_rows_carry_an_injected_instruction_in_their_context(dataset) -> None:
    injected = re.compile(r"(?i)ignore|disregard|instruction|do not answer|note for ai")
    for ex in dataset.examples:
        if "adversarial" in ex.tags:
            assert ex.contexts and injected.search(" ".join(ex.contexts)), ex.id


def test_refusal_rows_say_so_and_answer_rows_grade_correct_against_themselves(dataset) -> None:
    for ex in dataset.examples:
        expected = ex.metadata["expected_behavior"]
        assert expected in ("answer", "refuse"), ex.id
        if expected == "answer":
            verdict = judge_financial_answer(ex.question, ex.ground_truth, ex.ground_truth)
            assert verdict.verdict == "correct", (ex.id, verdict.reason)
        else:
            assert {"safety", "not_in_filing"} & set(ex.tags), ex.id


def test_every_gold_chunk_named_by_a_row_exists_in_the_filing(dataset) -> None:
    chunk_ids = {chunk.id for chunk in load_corpus(EXAMPLE / "filing.md")}
    assert len(chunk_ids) >= 15
    for ex in dataset.examples:
        assert set(ex.metadata["gold_chunks"]) <= chunk_ids, ex.id


def test_lookup_answers_appear_verbatim_in_the_filing(dataset) -> None:
    filing = (EXAMPLE / "filing.md").read_text(encoding="utf-8")
    for ex in dataset.examples:
        if ex.stratum == "lookup" and ex.metadata["expected_behavior"] == "answer" \
                and "units" not in ex.tags and "negative" not in ex.tags:
            figure = re.search(r"\$?[\d,.]+%?", ex.ground_truth)
            assert figure and figure.group(0).rstrip(".") in filing, ex.id


def test_plan_prompts_and_criteria_of_the_example_load(tmp_path: Path) -> None:
    plan = load_plan(EXAMPLE / "plan.yaml")
    # the example ports its legacy prompt itself: no hand-written port ships with it
    assert plan.source.prompt is not None and plan.target.prompt is None
    assert plan.port is not None and plan.port.output == EXAMPLE / "report" / "ported.yaml"
    assert not (EXAMPLE / "prompts" / "ported.yaml").exists()
    assert {"question", "context"} <= load_prompt_spec(plan.source.prompt).variables()
    criteria = plan.criteria_object()
    assert criteria.quality.metrics == ["correctness"]
    # the gate reads the rows the port never saw, with the playbook's error-rate bound (the
    # example is too small to show it: the demo cannot PASS, rather than loosen the gate)
    assert criteria.use_holdout and criteria.error_rate.max_increase_points == 1.0
    assert plan.retriever is not None and plan.retriever.corpus == EXAMPLE / "filing.md"


def test_the_readme_hosted_candidates_drop_into_the_example_plan(repo_root: Path) -> None:
    import yaml

    from agility.migrate import parse_plan

    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(source:.*?)```", readme, re.DOTALL)
    assert block, "README lost its hosted-model plan snippet"
    data = yaml.safe_load((EXAMPLE / "plan.yaml").read_text(encoding="utf-8"))
    data.update(yaml.safe_load(block.group(1)))
    plan = parse_plan(yaml.safe_dump(data), "README.md", base=EXAMPLE)
    assert plan.source.model == "openai/gpt-4o"
    assert plan.target.model is not None and plan.target.model.startswith("anthropic/")
