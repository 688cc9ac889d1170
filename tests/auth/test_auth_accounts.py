"""Accounts, secrets and sessions over a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from agility.auth import (
    Authenticator,
    add_account,
    disable_account,
    hash_secret,
    reset_secret,
    verify_secret,
)
from agility.errors import AuthenticationFailed, InvalidArgument, NameTaken, PermissionDenied
from agility.store import Store


def test_secret_is_stored_only_as_a_scrypt_hash(tmp_store: Store) -> None:
    account, secret = add_account(tmp_store, "alice", "reviewer")
    stored = tmp_store.account_secret_hash(account.id)
    assert stored is not None and stored.startswith("scrypt$16384$8$1$")
    assert secret not in stored and secret.split(":")[1] not in stored
    if isinstance(tmp_store.path, Path):  # SQLite: the whole file
        dump = tmp_store.path.read_bytes()
    else:  # PostgreSQL: every row of every table
        tables = [r[0] for r in tmp_store.query(
            "SELECT tablename FROM pg_tables WHERE schemaname='public'")]
        dump = repr([list(tmp_store.query(f"SELECT * FROM {t}")) for t in tables]).encode()
        assert b"scrypt$" in dump  # the dump does hold the accounts
    assert secret.split(":")[1].encode() not in dump
    assert verify_secret(secret, stored)
    assert not verify_secret(secret + "x", stored)
    assert not verify_secret(secret, "md5$abc")  # a malformed hash never matches


def test_same_secret_hashes_differently_each_time() -> None:
    assert hash_secret("a:" + "x" * 40) != hash_secret("a:" + "x" * 40)


def test_account_names_and_roles_are_checked(tmp_store: Store) -> None:
    with pytest.raises(InvalidArgument):
        add_account(tmp_store, "bad name", "reviewer")
    with pytest.raises(InvalidArgument):
        add_account(tmp_store, "ok", "admin", roles={"reviewer", "lead"})
    add_account(tmp_store, "bob", "lead")
    with pytest.raises(NameTaken):
        add_account(tmp_store, "bob", "lead")


def test_login_opens_a_session_and_every_step_is_an_event(tmp_store: Store) -> None:
    _, secret = add_account(tmp_store, "alice", "reviewer", actor="ops")
    auth = Authenticator(tmp_store)
    with pytest.raises(AuthenticationFailed):
        auth.login("alice", secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    issued = auth.login("alice", secret)
    principal = auth.authenticate(cookie=issued.cookie_value, authorization=None)
    assert principal.name == "alice" and principal.via == "session"
    assert principal.csrf_token == issued.principal.csrf_token
    auth.logout(principal)
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(cookie=issued.cookie_value, authorization=None)
    kinds = [(e.kind, e.actor) for e in tmp_store.events(subject="alice")]
    assert kinds == [("account.created", "ops"), ("auth.login_failed", "alice"),
                     ("auth.login", "alice"), ("auth.logout", "alice")]


def test_forged_or_tampered_cookies_are_refused(tmp_store: Store) -> None:
    _, secret = add_account(tmp_store, "alice", "reviewer")
    auth = Authenticator(tmp_store)
    cookie = auth.login("alice", secret).cookie_value
    session_id, signature = cookie.split(".")
    for forged in (f"{session_id}.{'A' * len(signature)}", f"{'B' * len(session_id)}.{signature}",
                   session_id, "", "a.b.c"):
        with pytest.raises(AuthenticationFailed):
            auth.authenticate(cookie=forged, authorization=None)


def test_bearer_token_is_the_secret_and_a_reset_revokes_it(tmp_store: Store) -> None:
    _, secret = add_account(tmp_store, "script", "reviewer")
    auth = Authenticator(tmp_store)
    assert auth.authenticate(cookie=None, authorization=f"Bearer {secret}").via == "bearer"
    assert auth.tokens.cached(secret) is not None  # the second request skips scrypt
    new = reset_secret(tmp_store, "script")
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(cookie=None, authorization=f"Bearer {secret}")
    assert auth.authenticate(cookie=None, authorization=f"Bearer {new}").name == "script"
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(cookie=None, authorization=f"Basic {new}")


def test_disabled_account_loses_sessions_and_tokens(tmp_store: Store) -> None:
    _, secret = add_account(tmp_store, "carol", "lead")
    auth = Authenticator(tmp_store)
    cookie = auth.login("carol", secret).cookie_value
    auth.authenticate(cookie=None, authorization=f"Bearer {secret}")
    disable_account(tmp_store, "carol")
    for kwargs in ({"cookie": cookie, "authorization": None},
                   {"cookie": None, "authorization": f"Bearer {secret}"}):
        with pytest.raises(AuthenticationFailed):
            auth.authenticate(**kwargs)
    with pytest.raises(AuthenticationFailed):
        auth.login("carol", secret)


def test_csrf_token_is_required_for_sessions_not_for_bearer(tmp_store: Store) -> None:
    _, secret = add_account(tmp_store, "alice", "reviewer")
    auth = Authenticator(tmp_store)
    session = auth.login("alice", secret).principal
    other = auth.login("alice", secret).principal
    assert session.csrf_token != other.csrf_token  # one token per session
    for token in (None, "", other.csrf_token):
        with pytest.raises(PermissionDenied):
            auth.require_csrf(session, token)
    auth.require_csrf(session, session.csrf_token)
    bearer = auth.authenticate(cookie=None, authorization=f"Bearer {secret}")
    auth.require_csrf(bearer, None)


def test_two_processes_on_one_store_share_sessions(tmp_path) -> None:
    first, second = Store(tmp_path / "s.db"), Store(tmp_path / "s.db")
    try:
        _, secret = add_account(first, "alice", "reviewer")
        cookie = Authenticator(first).login("alice", secret).cookie_value
        assert Authenticator(second).authenticate(cookie=cookie, authorization=None).name == "alice"
    finally:
        first.close()
        second.close()


def test_a_recheck_window_trusts_a_remembered_token_only_that_long(tmp_store: Store) -> None:
    import time

    from agility.auth import TokenVerifier, add_account, disable_account

    _account, secret = add_account(tmp_store, "gateway-script", "canary-client")
    strict = TokenVerifier(tmp_store)
    lenient = TokenVerifier(tmp_store, recheck_s=0.3)
    assert strict.verify(secret).name == lenient.verify(secret).name == "gateway-script"
    disable_account(tmp_store, "gateway-script")
    assert strict.cached(secret) is None  # re-read at once
    assert lenient.cached(secret) is not None  # trusted for the window...
    time.sleep(0.35)
    assert lenient.cached(secret) is None  # ...then re-read and refused


class _CountingVerifier:
    """The real TokenVerifier, counting its slow verifications (an observer, not a fake)."""

    def __init__(self, inner: object) -> None:
        self.inner, self.verifications = inner, 0

    def cached(self, token: str) -> object:
        return self.inner.cached(token)  # type: ignore[attr-defined]

    def verify(self, token: str) -> object:
        self.verifications += 1
        return self.inner.verify(token)  # type: ignore[attr-defined]


async def test_concurrent_requests_with_one_new_token_share_one_scrypt(tmp_store: Store) -> None:
    import asyncio

    _account, secret = add_account(tmp_store, "busy-client", "canary-client")
    _other, wrong = add_account(tmp_store, "other-client", "canary-client")
    auth = Authenticator(tmp_store)
    counting = _CountingVerifier(auth.tokens)
    auth.tokens = counting  # type: ignore[assignment]
    header = f"Bearer {secret}"
    # 32 requests arrive with a token not remembered (first use, or its memory expired)
    principals = await asyncio.gather(*(auth.aauthenticate(cookie=None, authorization=header)
                                        for _ in range(32)))
    assert {p.account.name for p in principals} == {"busy-client"}
    assert counting.verifications == 1
    # a wrong token fails for every request that carried it, after one scrypt too
    bad = f"Bearer {wrong.split(':')[0]}:{'x' * 43}"
    outcomes = await asyncio.gather(*(auth.aauthenticate(cookie=None, authorization=bad)
                                      for _ in range(8)), return_exceptions=True)
    assert all(isinstance(o, AuthenticationFailed) for o in outcomes)
    assert counting.verifications == 2
    # nothing stays pending: the next miss verifies again
    assert not auth._verifying
