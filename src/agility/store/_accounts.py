"""Accounts of the web apps and their login sessions: rows only, no policy.

The policy (hashing, who may log in, cookies, CSRF) lives in :mod:`agility.auth`; this module
keeps the SQL. Secrets arrive here already hashed; session ids arrive as their SHA-256.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

from pydantic import BaseModel, ConfigDict

from agility.errors import NameTaken
from agility.store._records import NewEvent
from agility.store._rows import insert_event, utc_now

__all__ = ["AccountRecord", "AccountTables", "SessionRecord"]


class AccountRecord(BaseModel):
    """A person or script allowed into a web app. The secret's hash is never part of it."""

    model_config = ConfigDict(extra="forbid")

    id: int
    name: str
    role: str
    created_at: str
    disabled_at: str | None = None

    @property
    def active(self) -> bool:
        """False once the account was disabled."""
        return self.disabled_at is None


class SessionRecord(BaseModel):
    """A login session, known by the SHA-256 of its id."""

    model_config = ConfigDict(extra="forbid")

    id_hash: str
    account_id: int
    created_at: str
    expires_at: str
    revoked_at: str | None = None


class AccountTables:
    """Store methods over ``accounts``, ``auth_sessions`` and ``auth_keys`` (a mixin of Store)."""

    # provided by Store
    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:  # pragma: no cover
        raise NotImplementedError

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:  # pragma: no cover
        raise NotImplementedError

    # -- accounts -------------------------------------------------------------------------

    def create_account(self, name: str, role: str, secret_hash: str, *,
                       event: NewEvent | None = None) -> AccountRecord:
        """Insert an account (and ``event``, in the same transaction).

        Raises:
            NameTaken: an account of that name exists.
        """
        now = utc_now()
        try:
            with self.transaction() as conn:
                cur = conn.execute(
                    "INSERT INTO accounts (name, role, secret_hash, created_at) VALUES (?,?,?,?)",
                    (name, role, secret_hash, now))
                if event is not None:
                    insert_event(conn, event)
        except sqlite3.IntegrityError as exc:
            raise NameTaken("account", name) from exc
        assert cur.lastrowid is not None
        return AccountRecord(id=cur.lastrowid, name=name, role=role, created_at=now)

    def get_account(self, name: str) -> AccountRecord | None:
        """The account called ``name``, or None."""
        rows = self.query("SELECT id, name, role, created_at, disabled_at FROM accounts "
                          "WHERE name=?", (name,))
        return AccountRecord(**dict(rows[0])) if rows else None

    def get_account_by_id(self, account_id: int) -> AccountRecord | None:
        """The account with this id, or None."""
        rows = self.query("SELECT id, name, role, created_at, disabled_at FROM accounts "
                          "WHERE id=?", (account_id,))
        return AccountRecord(**dict(rows[0])) if rows else None

    def list_accounts(self) -> list[AccountRecord]:
        """Every account, oldest first."""
        return [AccountRecord(**dict(r)) for r in self.query(
            "SELECT id, name, role, created_at, disabled_at FROM accounts ORDER BY id")]

    def account_secret_hash(self, account_id: int) -> str | None:
        """The stored hash of the account's secret (for verification only), or None."""
        rows = self.query("SELECT secret_hash FROM accounts WHERE id=?", (account_id,))
        return rows[0]["secret_hash"] if rows else None

    def update_account(self, account_id: int, *, secret_hash: str | None = None,
                       role: str | None = None, disabled: bool | None = None,
                       event: NewEvent | None = None) -> None:
        """Change an account's secret hash, role or disabled state; disabling or a new
        secret also revokes its sessions."""
        now = utc_now()
        with self.transaction() as conn:
            if secret_hash is not None:
                conn.execute("UPDATE accounts SET secret_hash=? WHERE id=?",
                             (secret_hash, account_id))
            if role is not None:
                conn.execute("UPDATE accounts SET role=? WHERE id=?", (role, account_id))
            if disabled is not None:
                conn.execute("UPDATE accounts SET disabled_at=? WHERE id=?",
                             (now if disabled else None, account_id))
            if secret_hash is not None or disabled:
                conn.execute("UPDATE auth_sessions SET revoked_at=? WHERE account_id=? "
                             "AND revoked_at IS NULL", (now, account_id))
            if event is not None:
                insert_event(conn, event)

    # -- sessions -------------------------------------------------------------------------

    def create_session(self, id_hash: str, account_id: int, expires_at: str, *,
                       event: NewEvent | None = None) -> SessionRecord:
        """Record a login session (and ``event``, in the same transaction)."""
        now = utc_now()
        with self.transaction() as conn:
            conn.execute("INSERT INTO auth_sessions (id_hash, account_id, created_at, expires_at)"
                         " VALUES (?,?,?,?)", (id_hash, account_id, now, expires_at))
            if event is not None:
                insert_event(conn, event)
        return SessionRecord(id_hash=id_hash, account_id=account_id, created_at=now,
                             expires_at=expires_at)

    def get_session(self, id_hash: str) -> SessionRecord | None:
        """The session with this id hash, or None."""
        rows = self.query("SELECT * FROM auth_sessions WHERE id_hash=?", (id_hash,))
        return SessionRecord(**dict(rows[0])) if rows else None

    def revoke_session(self, id_hash: str, *, event: NewEvent | None = None) -> None:
        """End a session (logout); a revoked session never authenticates again."""
        with self.transaction() as conn:
            conn.execute("UPDATE auth_sessions SET revoked_at=? WHERE id_hash=? "
                         "AND revoked_at IS NULL", (utc_now(), id_hash))
            if event is not None:
                insert_event(conn, event)

    # -- keys -----------------------------------------------------------------------------

    def signing_key(self, name: str) -> bytes:
        """The server's random signing key called ``name``, made on first use (32 bytes).

        Every process on the same store gets the same key, so two servers share sessions.
        """
        rows = self.query("SELECT key_hex FROM auth_keys WHERE name=?", (name,))
        if not rows:
            with self.transaction() as conn:
                conn.execute("INSERT OR IGNORE INTO auth_keys VALUES (?,?,?)",
                             (name, secrets.token_hex(32), utc_now()))
            rows = self.query("SELECT key_hex FROM auth_keys WHERE name=?", (name,))
        return bytes.fromhex(rows[0]["key_hex"])


