"""Per-example few-shot selection: the pool pairs nearest to the question being asked.

A template with ``few_shot_select: {strategy: nearest, k: K}`` keeps a pool of pairs and shows
each example the ``K`` whose ``key`` (default: their question) is nearest to its question by the
local MiniLM embedding model (:func:`agility.embeddings.embed`, offline). A pair whose key *is*
the question asked is never picked: a row of the pool run through the template must not see
its own answer. The pool is embedded once per template; each render embeds one question.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

__all__ = ["NearestShots", "same_question"]


def same_question(a: str, b: str) -> bool:
    """Whether two questions are the same text (case and spacing aside)."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


class NearestShots:
    """Picks the pool pairs nearest to a question.

    Args:
        pool: ``{question, answer, key?}`` pairs.
    """

    def __init__(self, pool: Sequence[dict[str, str]]) -> None:
        self.pool = [dict(p) for p in pool]
        self.keys = [p.get("key") or p["question"] for p in self.pool]
        self._vectors: Any = None
        self._lock = threading.Lock()

    def _pool_vectors(self) -> Any:
        with self._lock:
            if self._vectors is None:
                from agility.embeddings import embed

                self._vectors = embed(self.keys)
            return self._vectors

    def nearest(self, question: str, k: int) -> list[dict[str, str]]:
        """The ``k`` pairs nearest to ``question``, the nearest last (next to the question).

        Ties keep pool order, so the choice is deterministic.

        Raises:
            MissingExtraError: the embeddings extra is not installed.
        """
        from agility.embeddings import embed

        vectors = self._pool_vectors()
        similarity = vectors @ embed([question])[0]
        ranked = sorted((i for i in range(len(self.pool))
                         if not same_question(self.keys[i], question)),
                        key=lambda i: (-float(similarity[i]), i))
        chosen = ranked[:k]
        return [{"question": self.pool[i]["question"], "answer": self.pool[i]["answer"]}
                for i in reversed(chosen)]
