"""The audit chain against each kind of tampering, made directly in the database (SQLite's
file, or PostgreSQL through its own client), on both backends; concurrent appenders; a chain
copied by ``store migrate``."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.store import NewEvent, Store, current_actor, set_actor
from agility.store._audit import entry_hash

_register()
runner = CliRunner()


def _store_with_events(location: str | Path, count: int = 6) -> Store:
    store = Store(location)
    for i in range(count):
        store.log_event(NewEvent(kind=f"test.step{i}", subject="mig", payload={"i": i}))
    return store


def _drop_trigger_sql(location: str | Path) -> str:
    if str(location).startswith("postgresql://"):
        return "DROP TRIGGER events_chain ON events"
    return "DROP TRIGGER events_chain"


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


def test_events_written_with_raw_sql_inside_a_transaction_are_chained_too(
        tmp_store: Store) -> None:
    # other table modules insert their event in the same transaction as their rows
    with tmp_store.transaction() as conn:
        conn.execute("INSERT INTO events (kind, subject, payload_json, created_at) "
                     "VALUES ('review.verdict', 'q', '{}', '2026-01-01T00:00:00.000+00:00')")
    tmp_store.log_event(NewEvent(kind="after"))
    events = tmp_store.events()
    assert events[0].entry_hash and events[1].prev_hash == events[0].entry_hash
    # no actor given: SQLite's trigger asks this process; PostgreSQL's names the login
    expected = current_actor() if tmp_store.backend == "sqlite" else "agility"
    assert events[0].actor == expected and events[1].actor == current_actor()
    assert tmp_store.verify_audit().ok


def test_an_edited_event_is_named_as_the_first_broken_link(
        store_location: str, raw_database: Any) -> None:
    db = store_location
    _store_with_events(db).close()
    with raw_database(db) as conn:
        conn.execute("UPDATE events SET actor='mallory' WHERE id=3")
    with Store(db) as store:
        report = store.verify_audit()
    assert not report.ok
    assert report.first_broken.event_id == 3 and report.first_broken.problem == "edited"


def test_an_edited_payload_is_found_even_with_its_digest_untouched(
        store_location: str, raw_database: Any) -> None:
    db = store_location
    _store_with_events(db).close()
    with raw_database(db) as conn:
        conn.execute("""UPDATE events SET payload_json='{"i": 99}' WHERE id=4""")
    with Store(db) as store:
        first = store.verify_audit().first_broken
    assert (first.event_id, first.problem) == (4, "payload edited")


def test_an_edited_payload_with_a_recomputed_digest_breaks_its_link(
        store_location: str, raw_database: Any) -> None:
    db = store_location
    _store_with_events(db).close()
    with raw_database(db) as conn:
        conn.execute("""UPDATE events SET payload_json='{"i": 99}',
                        payload_sha256=agility_sha() WHERE id=4""".replace(
            "agility_sha()", repr(__import__("hashlib").sha256(b'{"i": 99}').hexdigest())))
    with Store(db) as store:
        first = store.verify_audit().first_broken
    assert (first.event_id, first.problem) == (4, "edited")


def test_a_removed_event_is_named_by_the_event_after_it(
        store_location: str, raw_database: Any) -> None:
    db = store_location
    _store_with_events(db).close()
    with raw_database(db) as conn:
        conn.execute("DELETE FROM events WHERE id=3")
    with Store(db) as store:
        first = store.verify_audit().first_broken
    assert (first.event_id, first.problem) == (4, "removed")


def test_removing_the_first_events_is_found(store_location: str, raw_database: Any) -> None:
    db = store_location
    _store_with_events(db).close()
    with raw_database(db) as conn:
        conn.execute("DELETE FROM events WHERE id<=2")
    with Store(db) as store:
        first = store.verify_audit().first_broken
    assert (first.event_id, first.problem) == (3, "removed")


def test_reordered_events_are_named(store_location: str, raw_database: Any) -> None:
    db = store_location
    _store_with_events(db).close()
    with raw_database(db) as conn:  # swap events 3 and 4 by their ids
        conn.execute("UPDATE events SET id=-1 WHERE id=3")
        conn.execute("UPDATE events SET id=3 WHERE id=4")
        conn.execute("UPDATE events SET id=4 WHERE id=-1")
    with Store(db) as store:
        first = store.verify_audit().first_broken
    assert (first.event_id, first.problem) == (3, "reordered")


def test_a_cut_off_tail_is_found_against_a_recorded_head(
        store_location: str, raw_database: Any) -> None:
    db = store_location
    store = _store_with_events(db)
    head = store.verify_audit().head
    store.close()
    with raw_database(db) as conn:
        conn.execute("DELETE FROM events WHERE id=6")
    with Store(db) as store:
        assert store.verify_audit().ok  # a chain alone cannot see its end cut off ...
        report = store.verify_audit(expect_head=head)  # ... an anchor kept outside can
    assert report.first_broken.problem == "head missing"


def test_an_event_inserted_around_the_trigger_is_unchained(
        store_location: str, raw_database: Any) -> None:
    db = store_location
    _store_with_events(db).close()
    with raw_database(db) as conn:
        conn.execute(_drop_trigger_sql(db))
        conn.execute("INSERT INTO events (kind, payload_json, created_at) "
                     "VALUES ('forged', '{}', '2030-01-01')")
    with Store(db) as store:
        first = store.verify_audit().first_broken
    assert (first.event_id, first.problem) == (7, "unchained")


def test_events_stored_before_the_chain_are_chained_at_the_upgrade(store_location: str) -> None:
    from agility.store._pg import PgConnection
    from agility.store._schema import AUDIT_CHAIN_STEP, MIGRATIONS

    db = store_location
    old_event = ("INSERT INTO events (kind, subject, payload_json, created_at) "
                 "VALUES ('migration.verdict', 'm', '{\"verdict\": \"PASS\"}', '2026-01-01')")
    if db.startswith("postgresql://"):  # a store made before the chain existed
        pg = PgConnection(db)
        for script in MIGRATIONS[:AUDIT_CHAIN_STEP - 1]:
            for statement in script.split(";"):
                if statement.strip():
                    pg.execute(statement)
        pg.execute(f"PRAGMA user_version={AUDIT_CHAIN_STEP - 1}")
        pg.execute(old_event)
        pg.close()
    else:
        conn = sqlite3.connect(db)
        for script in MIGRATIONS[:AUDIT_CHAIN_STEP - 1]:
            conn.executescript(script)
        conn.execute(f"PRAGMA user_version={AUDIT_CHAIN_STEP - 1}")
        conn.execute(old_event)
        conn.commit()
        conn.close()
    with Store(db) as store:
        (old,) = store.events()
        assert old.entry_hash and old.actor == "unknown (before the audit chain)"
        new = store.log_event(NewEvent(kind="after.upgrade"))
        assert new.prev_hash == old.entry_hash
        assert store.verify_audit().ok


def test_cli_verify_names_the_first_broken_link_and_exits_1(
        store_location: str, raw_database: Any) -> None:
    db = store_location
    _store_with_events(db).close()
    ok = runner.invoke(app, ["audit", "verify", "--store", db])
    assert ok.exit_code == 0 and "intact: 6 events" in ok.output
    with raw_database(db) as conn:
        conn.execute("UPDATE events SET created_at='2020-01-01' WHERE id=2")
    broken = runner.invoke(app, ["audit", "verify", "--store", db])
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


def test_cli_export_writes_every_link_since_a_time(store_location: str, tmp_path: Path) -> None:
    db = store_location
    store = Store(db)
    store.log_event(NewEvent(kind="old", created_at="2020-01-01T00:00:00.000+00:00"))
    store.log_event(NewEvent(kind="new", payload={"k": "v"}))
    store.close()
    out = tmp_path / "audit.jsonl"
    done = runner.invoke(app, ["--actor", "erin", "audit", "export", "--since", "2025-01-01",
                               "-o", str(out), "--store", db])
    assert done.exit_code == 0, done.output
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["action"] == "new" and row["payload"] == {"k": "v"}
    assert set(row) >= {"time", "actor", "object", "payload_sha256", "prev_hash", "hash"}
    bad = runner.invoke(app, ["audit", "export", "--since", "last tuesday", "-o", str(out),
                              "--store", db])
    assert bad.exit_code == 2 and "7d" in bad.output


def test_the_actor_flag_names_who_acted(store_location: str) -> None:
    db = store_location
    Store(db).close()
    runner.invoke(app, ["--actor", "frank", "audit", "verify", "--store", db])
    try:
        with Store(db) as store:
            assert store.log_event(NewEvent(kind="x")).actor == "frank"
    finally:
        set_actor(None)


@pytest.mark.parametrize("since", ["7d", "24h", "2026-01-31", "2026-01-31T09:00:00+02:00"])
def test_since_accepts_dates_times_and_spans(since: str) -> None:
    from agility.governance import parse_since

    assert parse_since(since).endswith("+00:00")


def test_links_computed_by_the_database_match_pythons_for_awkward_text(tmp_store: Store) -> None:
    # on PostgreSQL the trigger hashes with the server's JSON escaping; the verification
    # recomputes every link in Python: quotes, backslashes, control characters, non-ASCII
    awkward = 'q"uote \\ back\nnew\ttab\x01ctl é 漢字 \u2028 😀 </script>'
    tmp_store.log_event(NewEvent(kind=awkward, subject=awkward, actor=awkward,
                                 payload={"text": awkward}))
    tmp_store.log_event(NewEvent(kind="plain", subject=None))
    report = tmp_store.verify_audit()
    assert report.ok, report.findings
    (first, second) = tmp_store.events()
    assert first.kind == awkward and first.prev_hash == ""
    assert first.entry_hash == entry_hash(first.created_at, awkward, awkward, awkward,
                                          first.payload_sha256, "")
    assert second.prev_hash == first.entry_hash


def test_concurrent_appenders_keep_one_chain(store_location: str) -> None:
    # several processes' connections append at once: on PostgreSQL truly in parallel
    Store(store_location).close()  # migrated once, before the writers start
    writers, each = 4, 15
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def append(n: int) -> None:
        try:
            with Store(store_location) as store:
                start.wait()
                for i in range(each):
                    store.log_event(NewEvent(kind="concurrent", subject=f"w{n}",
                                             payload={"i": i}))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with Store(store_location) as store:
        report = store.verify_audit()
        events = store.events()
    assert report.ok, report.findings[:3]
    assert len(events) == writers * each
    # one chain: every event links to the one just before it by id, none to the same one
    assert [e.prev_hash for e in events[1:]] == [e.entry_hash for e in events[:-1]]
    assert len({e.prev_hash for e in events}) == len(events)


def test_concurrent_results_with_their_call_events_keep_one_chain(store_location: str) -> None:
    # the runner's hot path: a result and its call's event in one write (one statement on
    # PostgreSQL), from several connections at once
    from agility.store import NewRun, ResultRecord, utc_now

    with Store(store_location) as store:
        run = store.create_run(NewRun(name="r", model_spec="mock/echo", tool_version="t",
                                      started_at=utc_now()))
    writers, each = 3, 10
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with Store(store_location) as store:
                for i in range(each):
                    result = ResultRecord(example_id=f"w{n}-{i}", output="answer")
                    store.save_result(run.id, result, NewEvent(
                        kind="model.call", subject="r", payload={"example_id": result.example_id}))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with Store(store_location) as store:
        calls = store.events(kind="model.call")
        assert len(store.results(run.id)) == writers * each == len(calls)
        assert store.verify_audit().ok
    assert {c.payload["example_id"] for c in calls} == {f"w{n}-{i}" for n in range(writers)
                                                          for i in range(each)}


def test_store_migrate_copies_the_chain_so_the_copy_verifies(
        tmp_path: Path, postgres_server: Any, raw_database: Any) -> None:
    from agility.store import copy_store

    source = tmp_path / "pilot.db"
    with _store_with_events(source) as store:
        store.purge(cutoffs={"raw_outputs": "2000-01-01"})  # a tombstone in the chain too
        head = store.verify_audit().head
    url = postgres_server.create_database("copied_chain")
    done = runner.invoke(app, ["store", "migrate", "--from", str(source), "--to", url])
    assert done.exit_code == 0, done.output
    with Store(url) as team:
        report = team.verify_audit(expect_head=head)
        assert report.ok and report.head == head and report.events == 7
        after = team.log_event(NewEvent(kind="after.copy"))  # the chain goes on from the copy
        assert after.prev_hash == head and after.id == 8
        assert team.verify_audit().ok
    with raw_database(url) as conn:  # and a copied event edited later is still found
        conn.execute("UPDATE events SET subject='other' WHERE id=2")
    with Store(url) as team:
        first = team.verify_audit().first_broken
    assert (first.event_id, first.problem) == (2, "edited")
    back = tmp_path / "back.db"  # PostgreSQL → SQLite keeps the links as well
    copy_store(url, back)
    with Store(back) as store:
        assert store.verify_audit().first_broken.event_id == 2
