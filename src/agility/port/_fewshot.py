"""Few-shot selection from the dev split's pool: stratified, diverse, nearest-neighbour.

The pool is a seeded, stratified slice of the dev split kept apart from the rows candidates are
scored on, so no candidate is graded on a row whose answer it shows; the holdout is never in
it. Each pair is the pool row rendered in the candidate's own user-message shape (its static
opening, such as instructions, left out), with its documents cut to the two sentences that best
match the question and the answer, and the gold answer as the reply.

- ``stratified``: round-robin over the strata, a seeded order inside each;
- ``diverse``: the row nearest the pool's centroid first, then each time the row farthest from
  those chosen (local MiniLM embeddings);
- ``nearest``: the whole pool goes in the prompt file with ``few_shot_select``; each question
  gets the ``k`` pairs nearest to it when the prompt renders.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from typing import Any

from agility.port._candidate import Candidate
from agility.prompts import FewShotSelect, PromptSpec, PromptTemplate
from agility.retrieval import Retriever

__all__ = ["ShotSource", "compact_context", "fewshot_candidates", "select_pool", "with_shots"]

_WORD = re.compile(r"[A-Za-z]+|\d[\d,.]*")
_MAX_SHOT_CONTEXT = 240


def _rng(seed: int, salt: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{salt}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def select_pool(examples: Sequence[Any], size: int, seed: int) -> list[Any]:
    """A seeded, stratified pool of ``size`` dev rows (round-robin over strata).

    Args:
        examples: the dev rows (never holdout rows).
        size: how many to take.
        seed: the seed.
    """
    groups: dict[str, list[Any]] = {}
    for ex in examples:
        groups.setdefault(str(ex.stratum), []).append(ex)
    for name, rows in groups.items():
        rows.sort(key=lambda ex: ex.id)
        _rng(seed, f"pool:{name}").shuffle(rows)
    chosen: list[Any] = []
    while len(chosen) < size and any(groups.values()):
        for name in sorted(groups):
            if groups[name] and len(chosen) < size:
                chosen.append(groups[name].pop(0))
    return chosen


def compact_context(contexts: Sequence[str], question: str, answer: str) -> str:
    """The sentence of ``contexts`` that best matches question and answer (two when the first
    is short), at most 240 characters: a pair shows the answer's form, not the documents."""
    wanted = {w.lower() for w in _WORD.findall(f"{question} {answer}")}
    figures = {w for w in _WORD.findall(answer) if w[0].isdigit()}
    sentences = [s.strip() for doc in contexts
                 for s in re.split(r"(?<=[.!?])\s+|\n+", doc) if len(s.strip()) > 3]
    if not sentences:
        return ""

    def score(item: tuple[int, str]) -> tuple[float, int]:
        words = {w.lower() for w in _WORD.findall(item[1])}
        return (-(len(words & wanted) + 3 * len(words & figures)), item[0])

    ranked = sorted(enumerate(sentences), key=score)
    best = ranked[:1]
    if len(ranked[0][1]) < 80 and len(ranked) > 1 and score(ranked[1])[0] < 0:
        best.append(ranked[1])  # a short best sentence, and a second one that matches too
    text = " ".join(s for _, s in sorted(best))
    return text[:_MAX_SHOT_CONTEXT]


class ShotSource:
    """Turns pool rows into few-shot pairs in a candidate's own shape.

    Args:
        pool: the pool rows.
        retriever: where rows get their documents (None: their own ``input_context``).
    """

    def __init__(self, pool: Sequence[Any], retriever: Retriever | None) -> None:
        self.pool = list(pool)
        self.retriever = retriever
        self._contexts: dict[str, list[str]] = {}

    async def load(self) -> None:
        """Fetch each pool row's documents once (retrieval is local and cheap)."""
        for ex in self.pool:
            if ex.id in self._contexts:
                continue
            if self.retriever is not None:
                found = await self.retriever.retrieve(ex)
                self._contexts[ex.id] = list(found.contexts)
            else:
                self._contexts[ex.id] = list(ex.contexts)

    def pairs(self, candidate: Candidate, rows: Sequence[Any]) -> list[dict[str, str]]:
        """``rows`` as ``{question, answer, key}`` pairs shaped like ``candidate``'s question."""
        users = [m for m in candidate.spec.messages if m.role == "user"]
        if not users:
            return [{"question": ex.question, "answer": ex.ground_truth, "key": ex.question}
                    for ex in rows]
        source = users[-1].content
        shape = PromptTemplate("shot", [("user", source)])
        opening = _static_opening(source)
        out = []
        for ex in rows:
            context = compact_context(self._contexts.get(ex.id, []), ex.question,
                                      ex.ground_truth)
            [message] = shape.render(ex, [context] if context else [])
            text = message.content
            if opening and text.startswith(opening):
                text = text[len(opening):].lstrip()
            out.append({"question": text, "answer": ex.ground_truth.strip(),
                        "key": ex.question})
        return out


def _static_opening(source: str) -> str:
    """The text of a template before its first variable or tag, when it ends a paragraph
    (instructions above the question: shown once, not in every pair)."""
    cut = min([i for i in (source.find("{{"), source.find("{%")) if i >= 0] or [0])
    head = source[:cut]
    end = head.rfind("\n\n")
    return head[:end + 2] if end >= 0 else ""


def _diverse(rows: Sequence[Any], k: int) -> list[Any]:
    from agility.embeddings import embed

    vectors = embed([ex.question for ex in rows])
    centroid = vectors.mean(axis=0)
    first = max(range(len(rows)), key=lambda i: (float(vectors[i] @ centroid), -i))
    chosen = [first]
    while len(chosen) < min(k, len(rows)):
        rest = [i for i in range(len(rows)) if i not in chosen]
        far = max(rest, key=lambda i: (-max(float(vectors[i] @ vectors[j]) for j in chosen),
                                       -i))
        chosen.append(far)
    return [rows[i] for i in chosen]


def _stratified(rows: Sequence[Any], k: int, seed: int) -> list[Any]:
    return select_pool(rows, k, seed + 1)


def fewshot_candidates(base: Candidate, shots: ShotSource, strategies: Sequence[str], k: int,
                       seed: int) -> list[Candidate]:
    """Candidates adding ``k`` pool pairs to ``base``, one per strategy.

    Args:
        base: the candidate the pairs are added to (its own pairs are replaced).
        shots: the pool and its documents (loaded).
        strategies: ``stratified``, ``diverse``, ``nearest``.
        k: pairs per question.
        seed: the seed.
    """
    out = []
    pool = shots.pool
    for strategy in strategies:
        if k > len(pool):
            continue
        rows = pool if strategy == "nearest" else (
            _stratified(pool, k, seed) if strategy == "stratified" else _diverse(pool, k))
        chosen = ("each question's nearest of the pool" if strategy == "nearest"
                  else ", ".join(ex.id for ex in rows))
        spec = with_shots(base, shots, strategy, k, rows)
        out.append(Candidate(f"fewshot-{strategy}-k{k}", "few_shot", spec, base.config,
                             parent=base.id, shots=(strategy, k, tuple(ex.id for ex in rows)),
                             note=f"{k} dev pair(s) ({strategy}: {chosen}) added to "
                                  f"{base.label}"))
    return out


def with_shots(base: Candidate, shots: ShotSource, strategy: str, k: int,
               rows: Sequence[Any]) -> PromptSpec:
    """``base``'s prompt with ``rows`` as its pairs, shaped like its question."""
    select = FewShotSelect(strategy="nearest", k=k) if strategy == "nearest" else None
    return base.spec.model_copy(update={
        "name": f"{base.spec.name.split('+')[0]}+{strategy}{k}",
        "few_shot": shots.pairs(base, rows), "few_shot_select": select})
