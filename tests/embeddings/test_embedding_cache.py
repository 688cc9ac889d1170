"""Embeddings kept in the store by text hash (issue 20): scoring a second run of a dataset
encodes only its new answers, a cached vector reads back bit for bit, and a process that finds
every text in the store never loads the model (a read-only store is read, never written)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agility.embeddings import (
    EMBEDDING_MODEL,
    embed,
    embedding_cache,
    load_embedding_model,
    text_hash,
)
from agility.metrics import score_run
from agility.metrics._embedding import cosine_to_unit
from agility.store import NewRun, Store
from agility.store._records import ResultRecord

pytest.importorskip("sentence_transformers", reason="needs the embeddings extra")
pytestmark = pytest.mark.slow  # loads the MiniLM model

TRUTHS = {"q1": "Revenue in 2022 was $3.2 billion.", "q2": "Jane Doe is the chief executive.",
          "q3": "Springfield"}
SOURCE = {"q1": "The 2022 revenue was 3.2 billion dollars.", "q2": "The CEO is Jane Doe.",
          "q3": "In Springfield."}
# q1's answer is the source's own (a model that did not change its answer)
TARGET = {"q1": SOURCE["q1"], "q2": "Jane Doe leads the company.", "q3": "Shelbyville"}


@pytest.fixture()
def encoded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every text the real model encodes (the library's call to sentence-transformers)."""
    model = load_embedding_model()
    seen: list[str] = []
    original = model.encode

    def spy(sentences: Any, *args: Any, **kwargs: Any) -> Any:
        seen.extend(sentences)
        return original(sentences, *args, **kwargs)

    monkeypatch.setattr(model, "encode", spy)
    yield seen


def _runs(store: Store) -> None:
    store.save_dataset("ds1", "golden", None, 1, {}, [
        (key, f"h-{key}", "dev", None,
         json.dumps({"id": key, "source_prompt": f"question {key}", "ground_truth": truth}))
        for key, truth in TRUTHS.items()])
    for name, outputs in (("source", SOURCE), ("target", TARGET)):
        run = store.create_run(NewRun(name=name, dataset_hash="ds1", model_spec="mock/x",
                                      tool_version="test", started_at="2026-01-01T00:00:00Z"))
        assert run.id is not None
        store.save_results(run.id, [ResultRecord(example_id=key, output=text)
                                    for key, text in outputs.items()])


def _cached(store: Store) -> int:
    return int(store.query("SELECT COUNT(*) AS n FROM embedding_cache")[0]["n"])


def test_a_second_run_encodes_only_its_new_answers(tmp_store: Store,
                                                    encoded: list[str]) -> None:
    _runs(tmp_store)
    score_run(tmp_store, "source", ["semantic_similarity"])
    assert sorted(encoded) == sorted([*SOURCE.values(), *TRUTHS.values()])
    assert _cached(tmp_store) == 6
    encoded.clear()
    score_run(tmp_store, "target", ["semantic_similarity"])
    # the ground truths and the unchanged answer come from the store
    assert sorted(encoded) == sorted([TARGET["q2"], TARGET["q3"]])
    assert _cached(tmp_store) == 8
    # the scores are the ones an uncached encode gives
    run = tmp_store.require_run("target")
    scores = {s.example_id: s.score for s in tmp_store.scores(run.id, "semantic_similarity")}
    keys = sorted(TARGET)
    answers, truths = embed([TARGET[k] for k in keys]), embed([TRUTHS[k] for k in keys])
    for key, a, t in zip(keys, answers, truths, strict=True):
        assert scores[key] == pytest.approx(cosine_to_unit(float(a @ t)), abs=1e-5)


def test_a_cached_vector_reads_back_bit_for_bit(tmp_store: Store, encoded: list[str]) -> None:
    texts = ["alpha beta", "gamma", "alpha beta", ""]
    with embedding_cache(tmp_store):
        first = embed(texts)
        assert encoded == ["alpha beta", "gamma", ""]  # each distinct text once
        again = embed(texts)
    assert encoded == ["alpha beta", "gamma", ""]  # nothing encoded the second time
    assert again.dtype == np.float32 and again.shape == (4, 384)
    assert np.array_equal(first, again)
    stored = tmp_store.embeddings_get(EMBEDDING_MODEL, [text_hash("gamma")])
    assert np.array_equal(np.frombuffer(stored[text_hash("gamma")], dtype="<f4"), first[1])
    # another model's name finds nothing: vectors are never read across models
    assert tmp_store.embeddings_get("another-model", [text_hash("gamma")]) == {}


_CHILD = """
import json, sys
from agility.embeddings import embed, embedding_cache
from agility.store import Store
store = Store(sys.argv[1], read_only=True)
with embedding_cache(store):
    vectors = embed(json.loads(sys.argv[2]))
    print(json.dumps({"vectors": vectors.tolist(),
                      "model_loaded": "sentence_transformers" in sys.modules,
                      "torch": "torch" in sys.modules}))
    embed(["a text nobody embedded"])  # read-only: encoded, not kept, no error
print(json.dumps({"model_loaded": "sentence_transformers" in sys.modules}))
"""


def test_a_process_finding_every_text_does_not_load_the_model(tmp_path: Path) -> None:
    texts = ["What was revenue in 2022?", "Revenue was $3.2 billion."]
    with Store(tmp_path / "s.db") as store, embedding_cache(store):
        mine = embed(texts)
    done = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "s.db"),
                           json.dumps(texts)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    found, after = (json.loads(line) for line in done.stdout.strip().splitlines())
    assert found["model_loaded"] is False and found["torch"] is False
    assert np.array_equal(np.asarray(found["vectors"], dtype=np.float32), mine)
    assert after["model_loaded"] is True  # the unseen text was encoded
    with Store(tmp_path / "s.db") as store:
        assert _cached(store) == 2  # and not written into the read-only store
