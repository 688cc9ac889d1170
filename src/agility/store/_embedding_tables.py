"""Embeddings kept in the store, by model and SHA-256 of the text: rows only, no policy.

The policy (which model, how vectors are made and read) lives in :mod:`agility.embeddings`;
this module keeps the SQL. A vector is stored as base64 text of its little-endian float32
bytes, the same on SQLite and PostgreSQL. The table is a cache: :func:`~agility.store.copy_store`
leaves it out (a copied store rebuilds it on use), and a read-only store is read, never written.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from agility.store._rows import utc_now

__all__ = ["EmbeddingTables"]

#: hashes per SELECT (SQLite's old default limit of bound parameters is 999)
_PAGE = 900


class EmbeddingTables:
    """Store methods over ``embedding_cache`` (a mixin of Store)."""

    # provided by Store
    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:  # pragma: no cover
        raise NotImplementedError

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:  # pragma: no cover
        raise NotImplementedError

    @property
    def read_only(self) -> bool:  # pragma: no cover
        raise NotImplementedError

    def embeddings_get(self, model: str, text_hashes: Sequence[str]) -> dict[str, bytes]:
        """The stored vectors of ``model`` among ``text_hashes``: hash -> float32 bytes.

        Hashes with no vector are absent from the answer.
        """
        found: dict[str, bytes] = {}
        wanted = list(dict.fromkeys(text_hashes))
        for start in range(0, len(wanted), _PAGE):
            page = wanted[start:start + _PAGE]
            rows = self.query(f"SELECT text_hash, vector FROM embedding_cache WHERE model=? "
                              f"AND text_hash IN ({', '.join('?' for _ in page)})",
                              (model, *page))
            found.update((row["text_hash"], base64.b64decode(row["vector"])) for row in rows)
        return found

    def embeddings_put(self, model: str, vectors: Mapping[str, bytes]) -> int:
        """Keep ``vectors`` (hash -> float32 bytes) of ``model``; one already there is kept as
        it is. A read-only store keeps nothing (a cache is never a reason to fail).

        Returns:
            How many vectors were offered for writing (0 on a read-only store).
        """
        if not vectors or self.read_only:
            return 0
        now = utc_now()
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO embedding_cache (model, text_hash, vector, created_at) "
                "VALUES (?,?,?,?)",
                [(model, key, base64.b64encode(value).decode("ascii"), now)
                 for key, value in vectors.items()])
        return len(vectors)
