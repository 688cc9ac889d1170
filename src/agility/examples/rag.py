"""The worked example's RAG application as a ``python:`` system (``agility demo`` runs it).

``answer(example, settings)`` does what the finance Q&A app does for one question, in two
marked steps, so a run records where each query's time and money went:

1. ``retrieve`` (a ``retrieval`` span): the ``top_k`` chunks of the filing nearest the question,
   found with the packaged MiniLM embedder (:class:`agility.retrieval.EmbeddingRetriever`),
   offline. The retriever is the plan's ``retriever:`` (``settings.retriever``, which a ``port:``
   also gives its few-shot examples' documents with), or one built from the system's options ``corpus``,
   ``top_k`` and ``cost_per_query_usd`` (then its index is built, and the embedder loaded, in the
   first query's span: ``migrate`` sets the plan's retriever up before any query is timed). The
   span declares the query's cost (``cost_per_query_usd``, None: not measured) and the chunks'
   ids.
2. ``generate`` (an ``llm`` span): the candidate's prompt rendered with those chunks, sent to the
   candidate's model through agility's client (TTFT, tokens and cost recorded on the span).

A failure in either step (a corpus or index that cannot be read, a failed call) is raised: the
runner records it as the example's error, on the span of the step that failed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from agility.chat import ChatRequest
from agility.errors import SystemCallError
from agility.prompts import prompt_format
from agility.retrieval import EmbeddingRetriever, Retriever
from agility.systems import SystemAnswer, SystemSettings
from agility.trace import span

__all__ = ["SPEC", "answer"]

#: the one-line spec of this system
SPEC = "python:agility.examples.rag:answer"

_BUILT: dict[tuple[Path, int, float | None], EmbeddingRetriever] = {}
_BUILT_LOCK = threading.Lock()


def _retriever(settings: SystemSettings) -> Retriever:
    """The plan's retriever, else one over ``options.corpus`` (built once per process)."""
    if settings.retriever is not None:
        return settings.retriever
    options = settings.options
    if "corpus" not in options:
        raise SystemCallError(SPEC, "no retriever: give the plan a retriever: section, or the "
                                    "system the option corpus (a Markdown or JSONL file)")
    key = (settings.path(options["corpus"]), int(options.get("top_k", 3)),
           options.get("cost_per_query_usd"))
    with _BUILT_LOCK:
        if key not in _BUILT:
            _BUILT[key] = EmbeddingRetriever(key[0], top_k=key[1], cost_per_query_usd=key[2])
        return _BUILT[key]


async def answer(example: Any, settings: SystemSettings) -> SystemAnswer:
    """Answer one golden example: retrieve the filing's chunks, then generate.

    Args:
        example: the golden example (its ``question``; its attached documents, if any, are
            added after the retrieved chunks by the retriever).
        settings: the candidate's model, prompt and generation settings.

    Returns:
        The answer and the documents it was given.

    Raises:
        SystemCallError: there is no retriever to call.
        Exception: whatever retrieval or the model call raised (recorded as the example's
            error on the failed step's span).
    """
    async with span("retrieve", kind="retrieval") as step:
        found = await _retriever(settings).retrieve(example)
        step.set(cost_usd=found.cost_usd, documents=len(found.contexts),
                 chunks=[d["id"] for d in found.details if "id" in d])
    # the request a plain model run would send: the row's settings, the prompt's, the
    # candidate's (a ported prompt's fitted max_tokens and stop sequences included)
    config = example.generation_config
    if settings.template is not None:
        config = config.merged(settings.template.config)
    request = ChatRequest(messages=settings.messages(example, found.contexts),
                          config=config.merged(settings.config), tools=example.tools(),
                          prompt_format=prompt_format(settings.template, example))
    completion = await settings.generate(request, name="generate", example_id=example.id)
    return SystemAnswer(output=completion.text, contexts=list(found.contexts))
