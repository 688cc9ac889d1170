"""The neutral embeddings module: thread policy by batch size, and no upward imports."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import agility.metrics
from agility import embeddings
from agility.embeddings import SMALL_BATCH, embed, load_embedding_model, threads_for_batch

torch = pytest.importorskip("torch", reason="needs the embeddings extra")
pytest.importorskip("sentence_transformers", reason="needs the embeddings extra")
pytestmark = pytest.mark.slow  # loads the MiniLM model


@pytest.fixture()
def encode_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, int]]]:
    """Record (texts, torch threads) for every encode the real model performs."""
    model = load_embedding_model()
    seen: list[tuple[int, int]] = []
    original = model.encode

    def spy(sentences: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append((len(sentences), torch.get_num_threads()))
        return original(sentences, *args, **kwargs)

    monkeypatch.setattr(model, "encode", spy)
    yield seen


def test_a_single_query_is_encoded_on_one_thread_and_the_setting_restored(
        encode_threads: list[tuple[int, int]]) -> None:
    before = torch.get_num_threads()
    vector = embed(["What was revenue in 2022?"])
    assert encode_threads == [(1, 1)]
    assert torch.get_num_threads() == before
    assert vector.shape == (1, 384)
    assert np.linalg.norm(vector[0]) == pytest.approx(1.0, abs=1e-5)


def test_a_large_batch_uses_every_default_thread(encode_threads: list[tuple[int, int]]) -> None:
    default = torch.get_num_threads()
    texts = [f"sentence {i} about revenue" for i in range(SMALL_BATCH + 5)]
    embed(texts + texts)  # duplicates are encoded once: the batch size counts distinct texts
    assert encode_threads == [(len(texts), default)]
    assert threads_for_batch(1) == 1 and threads_for_batch(SMALL_BATCH) == 1
    assert threads_for_batch(SMALL_BATCH + 1) == default


def test_metrics_re_export_the_same_functions() -> None:
    assert agility.metrics.embed is embeddings.embed
    assert agility.metrics.load_embedding_model is embeddings.load_embedding_model


def test_the_retriever_embeds_without_importing_metrics(repo_root: Path) -> None:
    filing = repo_root / "src" / "agility" / "examples" / "finance_rag" / "filing.md"
    code = (
        "import sys\n"
        "from agility.retrieval import EmbeddingRetriever\n"
        f"r = EmbeddingRetriever({str(filing)!r}, top_k=1, cache_index=False)\n"
        "print(r.search('How many employees?')[0][0].id)\n"
        "print('METRICS', any(m.startswith('agility.metrics') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=180, check=True).stdout
    assert "METRICS False" in out
