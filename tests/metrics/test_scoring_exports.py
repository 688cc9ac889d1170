"""The public surface of scoring, embeddings, judges, RAG metrics and adapters."""

from __future__ import annotations

import subprocess
import sys

from agility import metrics
from agility.metrics import available_metrics, get_metric


def test_scoring_and_embedding_functions_are_exported() -> None:
    assert {"score_run", "embed", "load_embedding_model"} <= set(metrics.__all__)
    assert all(hasattr(metrics, name) for name in ("score_run", "embed", "load_embedding_model"))


def test_judge_rag_and_embedding_metrics_are_registered() -> None:
    expected = {"semantic_similarity", "llm_correctness", "faithfulness", "answer_relevancy",
                "rubric", "safety", "context_precision", "context_recall", "hit_rate", "mrr"}
    assert expected <= set(available_metrics())
    assert get_metric("safety", judge="openai/j").kind == "judge"
    # the RAG metrics need no model by default (gold chunk ids or the support check)
    recall = get_metric("context_recall")
    assert recall.judge_model is None and not recall.needs_embeddings(recall.options)
    embedding = get_metric("context_recall", mode="embedding")
    assert embedding.needs_embeddings(embedding.options) and embedding.judge_model is None


def test_importing_metrics_loads_no_model_library() -> None:
    code = ("import sys, agility.metrics; agility.metrics.available_metrics(); "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'ragas', 'deepeval') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.strip() == "[]"
