"""Built-in import presets for public benchmarks.

FinanceBench: Islam et al. 2023, "FinanceBench: A New Benchmark for Financial Question
Answering", arXiv:2311.11944, licence CC BY-NC 4.0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agility.dataset._import import Preset, register_preset

__all__ = ["FINANCEBENCH_SYSTEM_PROMPT"]

FINANCEBENCH_SYSTEM_PROMPT = (
    "You are a financial analyst answering questions about public companies' SEC filings. "
    "Answer using only the context from the filing that is given with the question. "
    "Give the answer first (the figure with its unit, or a short statement), then at most "
    "two sentences of justification. If the context does not contain the answer, say so."
)

_FINANCEBENCH_CITATION = (
    "FinanceBench (Islam et al. 2023, arXiv:2311.11944), licence CC BY-NC 4.0"
)


def _financebench_map(text_field: str) -> dict[str, str]:
    return {
        "id": "financebench_id",
        "ground_truth": "answer",
        "input_context": f"evidence.{text_field}",
        "stratum": "question_type",
        "metadata.company": "company",
        "metadata.doc_name": "doc_name",
        "metadata.question_reasoning": "question_reasoning",
        "metadata.justification": "justification",
        "metadata.domain_question_num": "domain_question_num",
        "metadata.evidence_doc_names": "evidence.doc_name",
        "metadata.evidence_page_nums": "evidence.evidence_page_num",
    }


def _financebench_prompt(source: Mapping[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    question = source.get("question")
    row["source_prompt"] = (
        {"system": FINANCEBENCH_SYSTEM_PROMPT, "user": question}
        if isinstance(question, str) else question
    )
    row.setdefault("metadata", {})["source"] = _FINANCEBENCH_CITATION
    return row


register_preset(Preset(
    name="financebench",
    description="FinanceBench open-source JSONL: evidence extracts as input_context, "
                "question_type as stratum.",
    mapping=_financebench_map("evidence_text"),
    transform=_financebench_prompt,
    citation=_FINANCEBENCH_CITATION,
))

register_preset(Preset(
    name="financebench-fullpage",
    description="FinanceBench with each evidence item's full filing page as input_context.",
    mapping=_financebench_map("evidence_text_full_page"),
    transform=_financebench_prompt,
    citation=_FINANCEBENCH_CITATION,
))
