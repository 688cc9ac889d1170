"""A local RAG retriever: an in-memory embedding index over a small corpus, fully offline.

Documents are embedded once with the packaged all-MiniLM-L6-v2 model (through
:func:`agility.embeddings.embed`); the index is cached as a ``.npy`` file beside the corpus, named
after the corpus's content hash, so a changed corpus is re-embedded and an unchanged one is not.
Each query embeds the question and takes the ``top_k`` chunks by cosine similarity. Its wall
time is reported as the retrieval latency and ``cost_per_query_usd`` as its cost, so that a run's
time and cost include retrieval.

Corpus formats:

- a Markdown file: one chunk per ``## `` section (the chunk id is the heading, slugified); each
  chunk starts with the document's ``# `` title, so a question naming the company matches every
  section rather than only the one that repeats the name most;
- a JSONL file: one ``{"id": ..., "text": ..., "title": ...}`` object per line (``title`` optional);
- a folder: every ``*.md`` (split as above) and ``*.txt`` (one chunk each) file in it, sorted.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from agility._files import atomic_open
from agility.errors import ConfigError
from agility.retrieval._base import Retrieval

if TYPE_CHECKING:
    from agility.dataset import GoldenExample

__all__ = ["Chunk", "EmbeddingRetriever", "load_corpus"]

#: changes whenever the embedding model or the way chunks are embedded changes
_INDEX_VERSION = "minilm-l6-v2/1"


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of a corpus."""

    id: str
    text: str


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _markdown_chunks(path: Path, text: str) -> list[Chunk]:
    chunks: list[Chunk] = []
    title: str | None = None
    heading: str | None = None
    body: list[str] = []

    def flush() -> None:
        content = "\n".join(body).strip()
        if heading is not None and content:
            chunk_id = _slug(heading)
            if any(c.id == chunk_id for c in chunks):
                chunk_id = f"{chunk_id}-{len(chunks) + 1}"
            header = f"{title}: {heading}" if title else heading
            chunks.append(Chunk(chunk_id, f"{header}\n{content}"))

    for line in text.splitlines():
        if line.startswith("# ") and title is None and heading is None:
            title = line[2:].strip()
        elif line.startswith("## "):
            flush()
            heading, body = line[3:].strip(), []
        elif heading is not None:
            body.append(line)
    flush()
    if not chunks:
        raise ConfigError(f"{path}: no '## ' sections found. A Markdown corpus is split into one "
                          f"chunk per '## ' heading; add headings or use a JSONL corpus.")
    return chunks


def _jsonl_chunks(path: Path, text: str) -> list[Chunk]:
    chunks: list[Chunk] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{number}: -: not valid JSON ({exc.msg}). "
                              f"Each line must be one {{\"id\", \"text\"}} object.") from exc
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise ConfigError(f"{path}:{number}: text: each line needs a string 'text' field.")
        chunk_id = str(record.get("id", f"chunk-{number}"))
        title = record.get("title")
        body = f"{title}\n{record['text']}" if isinstance(title, str) and title else record["text"]
        chunks.append(Chunk(chunk_id, body))
    if not chunks:
        raise ConfigError(f"{path}: the corpus is empty. Add one JSON object per line.")
    return chunks


def load_corpus(path: str | Path) -> list[Chunk]:
    """Read a corpus (Markdown file, JSONL file or folder) into chunks.

    Args:
        path: the corpus file or folder.

    Returns:
        The chunks in document order.

    Raises:
        ConfigError: the corpus is missing, empty or unreadable.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".md", ".txt") and p.is_file())
        if not files:
            raise ConfigError(f"{path}: the corpus folder holds no .md or .txt files.")
        chunks: list[Chunk] = []
        for file in files:
            text = file.read_text(encoding="utf-8")
            if file.suffix == ".md" and "\n## " in f"\n{text}":
                chunks.extend(Chunk(f"{file.stem}/{c.id}", c.text)
                              for c in _markdown_chunks(file, text))
            elif text.strip():
                chunks.append(Chunk(file.stem, text.strip()))
        return chunks
    if not path.is_file():
        raise ConfigError(f"{path}: corpus not found. Point the retriever's corpus at a Markdown "
                          f"file, a JSONL file or a folder of .md/.txt files.")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return _jsonl_chunks(path, text)
    return _markdown_chunks(path, text)


def _corpus_hash(chunks: list[Chunk]) -> str:
    digest = hashlib.sha256(_INDEX_VERSION.encode())
    for chunk in chunks:
        digest.update(b"\0" + chunk.id.encode() + b"\0" + chunk.text.encode())
    return digest.hexdigest()


class EmbeddingRetriever:
    """Top-k cosine retrieval over a local corpus with the packaged MiniLM model.

    Args:
        corpus_path: a Markdown file, JSONL file or folder (see the module docstring).
        top_k: how many chunks each query returns.
        cost_per_query_usd: the price of one query (e.g. your vector database's per-query
            price), added to each example's cost; ``None`` records the cost as not measured.
        include_example_context: also pass the example's own ``input_context`` documents (for
            instance a document the user attached) after the retrieved chunks.
        cache_index: write/read the index as ``.<corpus>.<hash>.npy`` beside the corpus.

    Raises:
        ConfigError: the corpus cannot be read, or ``top_k`` is below 1.
    """

    def __init__(self, corpus_path: str | Path, *, top_k: int = 3,
                 cost_per_query_usd: float | None = None, include_example_context: bool = True,
                 cache_index: bool = True) -> None:
        if top_k < 1:
            raise ConfigError(f"retriever top_k must be at least 1, got {top_k}.")
        self.corpus_path = Path(corpus_path)
        self.top_k = top_k
        self.cost_per_query_usd = cost_per_query_usd
        self.include_example_context = include_example_context
        self.cache_index = cache_index
        self.chunks = load_corpus(self.corpus_path)
        self.corpus_hash = _corpus_hash(self.chunks)
        self._matrix: np.ndarray | None = None

    @property
    def index_path(self) -> Path:
        """Where the cached index lives (beside the corpus, named by the corpus hash)."""
        base = self.corpus_path if self.corpus_path.is_dir() else self.corpus_path.parent
        stem = self.corpus_path.name if not self.corpus_path.is_dir() else "corpus"
        return base / f".{stem}.{self.corpus_hash[:16]}.index.npy"

    def build_index(self) -> np.ndarray:
        """Embed the corpus (or load the cached index) and return the ``(chunks, dim)`` matrix.

        Raises:
            MissingExtraError: the embeddings extra is not installed.
        """
        if self._matrix is not None:
            return self._matrix
        path = self.index_path
        if self.cache_index and path.is_file():
            cached: np.ndarray = np.asarray(np.load(path), dtype=np.float32)
            if cached.shape[0] == len(self.chunks):
                self._matrix = cached
                return cached
        from agility.embeddings import embed

        matrix: np.ndarray = np.asarray(embed([c.text for c in self.chunks]), dtype=np.float32)
        if self.cache_index:
            try:
                with atomic_open(path, "wb") as handle:
                    np.save(handle, matrix)
            except OSError:
                pass  # a read-only corpus folder only costs a re-embed next time
        self._matrix = matrix
        return matrix

    def prepare(self) -> None:
        """Set up before the first timed query: the index built (or loaded) and the embedding
        model loaded, so no query's latency holds them (a cached index loads no model).

        Raises:
            MissingExtraError: the embeddings extra is not installed.
            ValueError, OSError: the cached index cannot be read.
        """
        from agility.embeddings import load_embedding_model

        self.build_index()
        load_embedding_model()

    def search(self, query: str) -> list[tuple[Chunk, float]]:
        """The ``top_k`` chunks most similar to ``query``, best first, with their cosines."""
        from agility.embeddings import embed

        matrix = self.build_index()
        vector = embed([query])[0]  # a one-text batch: embed() encodes it on one thread
        scores = matrix @ vector
        order = np.argsort(-scores, kind="stable")[: self.top_k]
        return [(self.chunks[i], float(scores[i])) for i in order]

    def retrieve_sync(self, example: GoldenExample | Any) -> Retrieval:
        """Retrieve for one example in the calling thread (see :meth:`retrieve`)."""
        self.build_index()  # index building is set-up, not per-query latency
        started = time.perf_counter()
        hits = self.search(example.question)
        latency_ms = (time.perf_counter() - started) * 1000.0
        contexts = [chunk.text for chunk, _ in hits]
        details: list[dict[str, Any]] = [
            {"id": chunk.id, "score": round(score, 6), "rank": rank, "source": "index"}
            for rank, (chunk, score) in enumerate(hits, start=1)
        ]
        if self.include_example_context:
            for number, document in enumerate(example.contexts, start=1):
                contexts.append(document)
                details.append({"id": f"attached-{number}", "source": "example"})
        return Retrieval(contexts=contexts, latency_ms=latency_ms,
                         cost_usd=self.cost_per_query_usd, details=details)

    async def retrieve(self, example: GoldenExample | Any) -> Retrieval:
        """Retrieve the chunks for ``example.question`` (plus its attached documents).

        Args:
            example: a golden example (anything with ``question`` and ``contexts``).

        Returns:
            The contexts, the query's wall time in ms, its configured cost and the chunk ids
            with their cosine scores.
        """
        return await asyncio.to_thread(self.retrieve_sync, example)
