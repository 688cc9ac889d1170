"""The audit chain against each kind of tampering, made directly in SQLite."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.store import NewEvent, Store, current_actor, set_actor
from agility.store._audit import entry_hash

_register()
runner = CliRunner()


def _store_with_events(path: Path, count: int = 6) -> Store:
    store = Store(path)
    for i in range(count):
        store.log_event(NewEvent(kind=f"test.step{i}", subject="mig", payload={"i": i}))
    return store


def _raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    return conn


def test_every_event_is_chained_to_the_one_before_with_an_actor(tmp_store: Store,
                                                                 monkeypatch) -> None:
    monkeypatch.setenv("AGILITY_ACTOR", "carol")
    first = tmp_store.log_event(NewEvent(kind="a", subject="x", payload={"n": 1}))
    second = tmp_store.log_event(NewEvent(kind="b", subject="y", actor="dave"))
    assert first.prev_hash == "" and first.actor == "carol"
    assert second.prev_hash == first.entry_hash and second.actor == "dave"
    assert second.entry_hash == entry_hash(second.created_at, "dave", "b", "y",
                                           second.payload_sha256, first.entry_hash)
    assert tmp_store.verify_audit().ok


def test_actor_comes_from_set_actor_then_environment_then_os_user(monkeypatch) -> None:
    monkeypatch.delenv("AGILITY_ACTOR", raising=False)
    import getpass

    assert current_actor() == getpass.getuser()
    monkeypatch.setenv("AGILITY_ACTOR", "env-user")
    assert current_actor() == "env-user"
    set_actor("flag-user")
    try:
        assert current_actor() == "flag-user"
    finally:
        set_actor(None)


def test_events_written_with_raw_sql_inside_a_transaction_are_chained_too(tmp_store: Store) -> None:
    # other table modules insert their event in the same transaction as their rows
    with tmp_store.transaction() as conn:
        conn.execute("INSERT INTO events (kind, subject, payload_json, created_at) "
                     "VALUES ('review.verdict', 'q', '{}', '2026-01-01T00:00:00.000+00:00')")
    tmp_store.log_event(NewEvent(kind="after"))
    events = tmp_store.events()
    assert events[0].entry_hash and events[1].prev_hash == events[0].entry_hash
    assert events[0].actor == current_actor()
    assert tmp_store.verify_audit().ok


def test_an_edited_event_is_named_as_the_first_broken_link(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _store_with_events(db).close()
    with _raw(db) as conn:
        conn.execute("UPDATE events SET actor='mallory' WHERE id=3")
    with Store(db) as store:
        report = store.verify_audit()
    assert not report.ok
    assert report.first_broken.event_id == 3 and report.first_broken.problem == "edited"


def test_an_edited_payload_is_found_even_with_its_digest_untouched(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _store_with_events(db).close()
    with _raw(db) as conn:
        conn.execute("""UPDATE events SET payload_json='{"i": 99}' WHERE id=4""")
    with Store(db) as store:
        first = store.verify_audit().first_broken
    assert (first.event_id, first.problem) == (4, "payload edited")


def test_an_edited_payload_with_a_recomputed_digest_breaks_its_link(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _store_with_events(db).close()
    with _raw(db) as conn:
        conn.execute("""UPDATE events SET payload_json='{"i": 99}',
                        payload_sha256=agility_sha() WHERE id=4""".replace(
            "agility_sha()", repr(__import__("hashlib").sha256(b'{"i": 99}').hexdigest())))
    with Store(db) as store:
        first = store.verify_audit().first_broken
    assert (first.event_id, first.problem) == (4, "edited")


def test_a_removed_event_is_named_by_the_event_after_it(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _store_with_events(db).close()
    with _raw(db) as conn:
        conn.execute("DELETE FROM events WHERE id=3")
    with Store(db) as store:
        first = store.verify_audit().first_broken
    assert (first.event_id, first.problem) == (4, "removed")


def test_removing_the_first_events_is_found(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _store_with_events(db).close()
    with _raw(db) as conn:
        conn.execute("DELETE FROM events WHERE id<=2")
    with Store(db) as store:
        first = store.verify_audit().first_broken
    assert (first.event_id, first.problem) == (3, "removed")


def test_reordered_events_are_named(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _store_with_events(db).close()
    with _raw(db) as conn:  # swap events 3 and 4 by their ids
        conn.execute("UPDATE events SET id=-1 WHERE id=3")
        conn.execute("UPDATE events SET id=3 WHERE id=4")
        conn.execute("UPDATE events SET id=4 WHERE id=-1")
    with Store(db) as store:
        first = store.verify_audit().first_broken
    assert (first.event_id, first.problem) == (3, "reordered")


def test_a_cut_off_tail_is_found_against_a_recorded_head(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    store = _store_with_events(db)
    head = store.verify_audit().head
    store.close()
    with _raw(db) as conn:
        conn.execute("DELETE FROM events WHERE id=6")
    with Store(db) as store:
        assert store.verify_audit().ok  # a chain alone cannot see its end cut off ...
        report = store.verify_audit(expect_head=head)  # ... an anchor kept outside can
    assert report.first_broken.problem == "head missing"


def test_an_event_inserted_around_the_trigger_is_unchained(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _store_with_events(db).close()
    with _raw(db) as conn:
        conn.execute("DROP TRIGGER events_chain")
        conn.execute("INSERT INTO events (kind, payload_json, created_at) "
                     "VALUES ('forged', '{}', '2030-01-01')")
    with Store(db) as store:
        first = store.verify_audit().first_broken
    assert (first.event_id, first.problem) == (7, "unchained")


def test_events_stored_before_the_chain_are_chained_at_the_upgrade(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    from agility.store._schema import AUDIT_CHAIN_STEP, MIGRATIONS

    conn = sqlite3.connect(db)
    for script in MIGRATIONS[:AUDIT_CHAIN_STEP - 1]:
        conn.executescript(script)
    conn.execute(f"PRAGMA user_version={AUDIT_CHAIN_STEP - 1}")
    conn.execute("INSERT INTO events (kind, subject, payload_json, created_at) "
                 "VALUES ('migration.verdict', 'm', '{\"verdict\": \"PASS\"}', '2026-01-01')")
    conn.commit()
    conn.close()
    with Store(db) as store:
        (old,) = store.events()
        assert old.entry_hash and old.actor == "unknown (before the audit chain)"
        assert store.verify_audit().ok


def test_cli_verify_names_the_first_broken_link_and_exits_1(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _store_with_events(db).close()
    ok = runner.invoke(app, ["audit", "verify", "--store", str(db)])
    assert ok.exit_code == 0 and "intact: 6 events" in ok.output
    with _raw(db) as conn:
        conn.execute("UPDATE events SET created_at='2020-01-01' WHERE id=2")
    broken = runner.invoke(app, ["audit", "verify", "--store", str(db)])
    assert broken.exit_code == 1
    assert "first broken link: event 2 (test.step1): edited" in broken.output


def test_cli_verify_and_export_of_a_missing_store_are_errors_not_an_empty_chain(
        tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    for args in (["audit", "verify"], ["audit", "export", "-o", str(tmp_path / "a.jsonl")]):
        done = runner.invoke(app, [*args, "--store", str(missing)])
        assert done.exit_code == 2 and "no store at" in done.output, done.output
        assert "intact" not in done.output
    assert not missing.exists() and not (tmp_path / "a.jsonl").exists()


def test_cli_export_writes_every_link_since_a_time(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    store = Store(db)
    store.log_event(NewEvent(kind="old", created_at="2020-01-01T00:00:00.000+00:00"))
    store.log_event(NewEvent(kind="new", payload={"k": "v"}))
    store.close()
    out = tmp_path / "audit.jsonl"
    done = runner.invoke(app, ["--actor", "erin", "audit", "export", "--since", "2025-01-01",
                               "-o", str(out), "--store", str(db)])
    assert done.exit_code == 0, done.output
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["action"] == "new" and row["payload"] == {"k": "v"}
    assert set(row) >= {"time", "actor", "object", "payload_sha256", "prev_hash", "hash"}
    bad = runner.invoke(app, ["audit", "export", "--since", "last tuesday", "-o", str(out),
                              "--store", str(db)])
    assert bad.exit_code == 2 and "7d" in bad.output


def test_the_actor_flag_names_who_acted(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    Store(db).close()
    runner.invoke(app, ["--actor", "frank", "audit", "verify", "--store", str(db)])
    try:
        with Store(db) as store:
            assert store.log_event(NewEvent(kind="x")).actor == "frank"
    finally:
        set_actor(None)


@pytest.mark.parametrize("since", ["7d", "24h", "2026-01-31", "2026-01-31T09:00:00+02:00"])
def test_since_accepts_dates_times_and_spans(since: str) -> None:
    from agility.governance import parse_since

    assert parse_since(since).endswith("+00:00")
