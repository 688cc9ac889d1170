"""Retrieval metrics on the worked example: they match a hand count of where the gold chunk ranked.

The demo's golden rows name their gold chunks (``metadata.gold_chunks``); the run records the
retriever's ids. Hit rate, MRR, context precision and context recall must then follow the gold
chunk's rank among the retrieved passages. The hand count below reads the ranking from the
retriever itself (``EmbeddingRetriever.search``), not from the metric code.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agility.dataset import load_dataset
from agility.metrics import MetricInput, get_metric, score_run
from agility.migrate import example_path
from agility.retrieval import EmbeddingRetriever
from agility.runner import run_model
from agility.store import Store

EXAMPLE = example_path("finance_rag")
TOP_K = 2  # as the demo's plan.yaml


@pytest.mark.slow  # embeds the filing with the local MiniLM model
def test_retrieval_metrics_follow_the_gold_chunks_rank_on_the_demo(
        tmp_path: Path, tmp_store: Store) -> None:
    pytest.importorskip("sentence_transformers", reason="needs the embeddings extra")
    for name in ("filing.md", "golden.jsonl"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    shutil.copytree(EXAMPLE / "prompts", tmp_path / "prompts")
    dataset = load_dataset(tmp_path / "golden.jsonl", verify=False)
    retriever = EmbeddingRetriever(tmp_path / "filing.md", top_k=TOP_K, cache_index=False)

    # the hand count: where each row's gold chunks rank in the retriever's own ranking
    hand: dict[str, dict[str, float]] = {}
    for ex in dataset.examples:
        gold = ex.metadata["gold_chunks"]
        if not gold:
            continue
        ranked = [chunk.id for chunk, _ in retriever.search(ex.question)]
        ranks = [k for k, chunk_id in enumerate(ranked, start=1) if chunk_id in gold]
        precisions = [(n + 1) / rank for n, rank in enumerate(ranks)]
        hand[ex.id] = {
            "hit_rate": 1.0 if ranks else 0.0,
            "mrr": 1.0 / ranks[0] if ranks else 0.0,
            "context_recall": len(set(ranked) & set(gold)) / len(set(gold)),
            "context_precision": sum(precisions) / len(precisions) if precisions else 0.0,
        }

    run_model(dataset, "mock/echo", name="demo", store=tmp_store, progress=False,
              template=tmp_path / "prompts" / "legacy.yaml", retriever=retriever,
              splits=["dev", "holdout"])
    metrics = ["hit_rate", "mrr", "context_precision", "context_recall"]
    score_run(tmp_store, "demo", metrics)
    run = tmp_store.require_run("demo")
    for metric in metrics:
        scores = {s.example_id: s for s in tmp_store.scores(run.id, metric)}
        for example_id, expected in hand.items():
            got = scores[example_id]
            assert got.error is None and got.raw["method"] == "gold_chunks", (metric, got)
            assert got.score == pytest.approx(expected[metric]), (metric, example_id, got.raw)
        # rows whose gold list is empty (nothing in the filing answers them) are not scored
        unanswerable = [ex.id for ex in dataset.examples if not ex.metadata["gold_chunks"]]
        assert unanswerable and all("no gold chunk" in (scores[i].error or "")
                                    for i in unanswerable)
    hits = sum(h["hit_rate"] for h in hand.values())
    # the gold chunk is in the top 2 for most rows: the old cosine threshold read 0 for all
    assert hits / len(hand) > 0.6, hits


def test_support_check_reads_figures_not_cosines() -> None:
    passage = ("Revenue and gross profit. Net revenue for 2024 was $1,284.0 million, an increase "
               "of 11.4% from $1,152.5 million in 2023.")
    other = "Research and development expense was $138.5 million in 2024."
    item = MetricInput(example_id="L01", question="What was net revenue in 2024?",
                       ground_truth="$1,284.0 million", contexts=[other, passage])
    for name, expected in (("hit_rate", 1.0), ("mrr", 0.5), ("context_precision", 0.5),
                           ("context_recall", 1.0)):
        result = get_metric(name).score(item)
        assert result.raw["method"] == "support"
        assert result.score == pytest.approx(expected), (name, result)
    missing = item.model_copy(update={"contexts": [other]})
    assert get_metric("hit_rate").score(missing).score == 0.0


def test_gold_mode_refuses_rows_without_gold_chunks() -> None:
    item = MetricInput(example_id="x", ground_truth="a", contexts=["a"], retrieved_ids=["c1"])
    result = get_metric("hit_rate", mode="gold").score(item)
    assert result.score is None and "gold_chunks" in (result.error or "")
