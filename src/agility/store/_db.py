"""The embedded SQLite store.

WAL mode lets readers run beside one writer; ``busy_timeout`` plus ``BEGIN IMMEDIATE`` make
concurrent writers (threads or processes) queue instead of failing or corrupting the file.
Every write is its own committed transaction, so a crash (even ``kill -9``) loses at most the
row being written. ``synchronous=NORMAL`` in WAL mode survives process crashes; only a power
loss can drop the last few commits.

A store can also live in PostgreSQL (``Store("postgresql://host/db")``, the ``postgres``
extra): the same schema and migrations, translated by :mod:`agility.store._pg`, for a team or
several services sharing one store.

A store can be opened read-only (``Store(path, read_only=True)``, ``--read-only``); one whose
file or folder cannot be written (an archived store) is opened read-only by itself, so the
commands that only read it still work. Whatever SQLite reports (a full disk, a damaged page, a
read-only file) becomes one :class:`~agility.errors.StoreError` saying so.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from agility.errors import RunExists, RunInProgress, RunNotFound, StoreError
from agility.store._accounts import AccountTables
from agility.store._audit import (
    AuditReport,
    chain_existing,
    chain_setup,
    event_row,
    register_functions,
    verify_chain,
)
from agility.store._batch_writer import BatchWriter
from agility.store._canary_tables import CanaryTables
from agility.store._embedding_tables import EmbeddingTables
from agility.store._pg import PgConnection, PgUnreachable, is_postgres_url, safe_url
from agility.store._purge import PurgeReport, purge_rows
from agility.store._records import (
    EventRecord,
    MigrationRecord,
    NewEvent,
    NewReview,
    NewRun,
    ResultRecord,
    ReviewRecord,
    RunRecord,
    ScoreRecord,
)
from agility.store._review_tables import ReviewTables, insert_review, review_from_row
from agility.store._rows import EVENT_INSERT, dump_json, event_values, insert_event, utc_now
from agility.store._schema import AUDIT_CHAIN_STEP, MIGRATIONS, SCHEMA_VERSION

__all__ = ["LEASE_HEARTBEAT_S", "LEASE_STALE_AFTER_S", "Store", "default_store_location",
           "default_store_path",
           "new_lease_owner", "shown_status", "utc_now"]

#: a running run beats its heartbeat this often; a lease older than the stale limit lapses
LEASE_HEARTBEAT_S = 2.0
LEASE_STALE_AFTER_S = 15.0

DEFAULT_DIR = ".agility"
DEFAULT_FILE = "agility.db"
#: bound parameters per query when selecting by a list of ids (SQLite's old default limit)
_MAX_PARAMS = 900


def default_store_path() -> Path:
    """``$AGILITY_STORE`` if set, else ``.agility/agility.db`` in the working directory."""
    env = os.environ.get("AGILITY_STORE")
    return Path(env) if env else Path.cwd() / DEFAULT_DIR / DEFAULT_FILE


def default_store_location() -> Path | str:
    """Where the default store is: ``$AGILITY_STORE`` (a path or a ``postgresql://`` URL), else
    ``.agility/agility.db`` in the working directory."""
    env = os.environ.get("AGILITY_STORE")
    if env is not None and is_postgres_url(env):
        return env
    return default_store_path()


_json = dump_json


def _statements(script: str) -> list[str]:
    """The statements of a migration script (a trigger's body holds semicolons of its own)."""
    out, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n\t;"):
                out.append(pending)
            pending = ""
    if pending.strip(" \n\t;"):
        out.append(pending)
    return out


def _what_failed(exc: sqlite3.Error) -> str:
    """SQLite's error in the words a user acts on."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    text = str(exc)
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return "the disk is full; free some space and run the command again"
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text \
            or "not a database" in text:
        return (f"the store file is damaged ({text}); restore it from a backup, or copy out "
                f"what is readable with `sqlite3 <file> .recover`")
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return f"it is read-only ({text})"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return f"another process holds it ({text}); try again when it has finished"
    if name.startswith("SQLITE_IOERR"):
        return f"a disk I/O error ({text}); check the disk (is it full or failing?)"
    return text


class Store(AccountTables, CanaryTables, ReviewTables, EmbeddingTables):
    """A connection to the agility store. Thread-safe; one instance per process is enough.

    Table groups beyond runs and scores live in their own modules as mixins (accounts and
    login sessions: ``_accounts.py``; SME review queues: ``_review_tables.py``).

    Args:
        path: the database file, or a ``postgresql://`` URL (no password in it: libpq takes
            it from ``PGPASSWORD`` or the passfile); ``None`` for
            :func:`default_store_location`.
        read_only: open it for reading only (every write raises :class:`StoreError`). A store
            whose file or folder cannot be written is opened read-only whatever this says.

    Raises:
        StoreError: the file cannot be created, opened or migrated (or, read-only, does not
            exist or needs a schema upgrade).
    """

    #: the SQLite file (a ``Path``) or the PostgreSQL URL (a ``str``, without a password)
    path: Path | str

    def __init__(self, path: str | os.PathLike[str] | None = None, *,
                 read_only: bool = False) -> None:
        location = path if path is not None else default_store_location()
        self._lock = threading.RLock()
        self._conn: Any
        if is_postgres_url(location):
            self._open_postgres(str(location), read_only)
            return
        self.backend = "sqlite"
        self.path = file = Path(location)
        #: why the store is read-only ("" when it is writable)
        self.read_only_reason = "opened with read_only" if read_only else self._unwritable()
        if not self.read_only_reason:
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the store's folder {file.parent}: {exc.strerror}. "
                    f"Choose a writable store path.", path=str(file)
                ) from exc
            if not os.access(file.parent, os.W_OK):
                raise StoreError(
                    f"the store's folder {file.parent} is not writable. "
                    f"Choose a writable store path.", path=str(file)
                )
        elif not file.is_file():
            raise StoreError(f"there is no store at {file} to read. Check the store path.",
                             path=str(file))
        try:
            self._conn = self._connect()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store at {self.path}: {_what_failed(exc)}.",
                             path=str(self.path)) from exc
        try:
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    def _open_postgres(self, url: str, read_only: bool) -> None:
        self.backend = "postgres"
        self.path = safe_url(url)
        self.read_only_reason = "opened with read_only" if read_only else ""
        try:
            self._conn = PgConnection(self.path, read_only=read_only)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store at {self.path}: {_what_failed(exc)}.",
                             path=self.path) from exc
        try:
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    @property
    def read_only(self) -> bool:
        """True when writes are refused (see :attr:`read_only_reason`)."""
        return bool(self.read_only_reason)

    def _unwritable(self) -> str:
        """Why an existing store cannot be written, or ``""``."""
        file = Path(self.path)
        if not file.is_file():
            return ""
        if not os.access(file, os.W_OK):
            return "the store file is not writable"
        if not os.access(file.parent, os.W_OK):
            return "the store's folder is not writable"
        return ""

    def _connect(self) -> sqlite3.Connection:
        file = Path(self.path)
        if not self.read_only:
            conn = sqlite3.connect(file, timeout=30.0, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            register_functions(conn)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            return conn
        uri = f"file:{quote(str(file.resolve()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=30.0, isolation_level=None,
                               check_same_thread=False)
        try:
            conn.execute("PRAGMA user_version").fetchone()
        except sqlite3.OperationalError:
            # a WAL store in a folder we cannot write has no -shm file to share: read it as
            # an immutable file (nobody can be writing it: they could not create the -wal)
            conn.close()
            conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None,
                                   check_same_thread=False)
        conn.row_factory = sqlite3.Row
        register_functions(conn)
        conn.execute("PRAGMA query_only=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    # -- plumbing -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A write transaction taken with ``BEGIN IMMEDIATE`` (waits for other writers).

        Raises:
            StoreError: the store is read-only, or SQLite failed (a full disk, a damaged
                file); the message says which. ``sqlite3.IntegrityError`` from the block is
                re-raised as it is, for the caller to word.
        """
        with self._lock:
            self._refuse_if_read_only()
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot write to the store at {self.path}: "
                                 f"{_what_failed(exc)}.", path=str(self.path)) from exc
            try:
                yield self._conn
            except BaseException as exc:
                self._rollback()
                if isinstance(exc, sqlite3.Error) and not isinstance(exc, sqlite3.IntegrityError):
                    raise StoreError(f"cannot write to the store at {self.path}: "
                                     f"{_what_failed(exc)}. Nothing of this write was kept.",
                                     path=str(self.path)) from exc
                raise
            else:
                try:
                    self._conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    self._rollback()
                    raise StoreError(f"cannot write to the store at {self.path}: "
                                     f"{_what_failed(exc)}. Nothing of this write was kept.",
                                     path=str(self.path)) from exc

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise StoreError(f"the store at {self.path} is open read-only "
                             f"({self.read_only_reason}) and this step writes to it. Use "
                             f"a writable copy of the store.", path=str(self.path))

    def _rollback(self) -> None:
        # SQLite rolls back by itself after some errors (a full disk, an I/O error): a second
        # ROLLBACK would then fail and hide the real error behind "no transaction is active"
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        """Run a read-only query and return all rows.

        Raises:
            StoreError: SQLite failed (a damaged page, an I/O error).
        """
        with self._lock:
            try:
                return list(self._conn.execute(sql, tuple(params)))
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the store at {self.path}: {_what_failed(exc)}.",
                                 path=str(self.path)) from exc

    def sync_id_sequence(self, table: str) -> None:
        """After rows were inserted with their own ids (a copy), make the next id follow the
        largest one (PostgreSQL; SQLite's AUTOINCREMENT follows by itself)."""
        if self.backend == "postgres":
            with self._lock:
                try:
                    self._conn.sync_id_sequence(table)
                except sqlite3.Error as exc:
                    raise StoreError(f"cannot write to the store at {self.path}: "
                                     f"{_what_failed(exc)}.", path=str(self.path)) from exc

    @property
    def _for_update(self) -> str:
        """`` FOR UPDATE`` on PostgreSQL (a read that a write in the same transaction
        depends on); SQLite's write transaction already excludes other writers."""
        return " FOR UPDATE" if self.backend == "postgres" else ""

    @property
    def schema_version(self) -> int:
        return int(self.query("PRAGMA user_version")[0][0])

    def _migrate(self) -> None:
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"the store at {self.path} has schema version {current}, newer than this "
                f"agility knows ({SCHEMA_VERSION}). Upgrade agility."
            )
        if self.read_only and current < SCHEMA_VERSION:
            raise StoreError(
                f"the store at {self.path} has schema version {current} and needs upgrading to "
                f"{SCHEMA_VERSION}, which a read-only store cannot do. Open it once writable.",
                path=str(self.path)
            )
        for version in range(current, SCHEMA_VERSION):
            with self.transaction() as conn:
                if self.backend == "postgres":
                    conn.lock_migrations()  # SQLite's BEGIN IMMEDIATE already excludes others
                # re-check under the write lock: another process may have migrated meanwhile
                if int(conn.execute("PRAGMA user_version").fetchone()[0]) > version:
                    continue
                for statement in _statements(MIGRATIONS[version]):
                    conn.execute(statement)
                if version + 1 == AUDIT_CHAIN_STEP:
                    for statement in chain_setup(self.backend):
                        conn.execute(statement)
                    chain_existing(conn)
                conn.execute(f"PRAGMA user_version={version + 1}")

    # -- datasets -------------------------------------------------------------------------

    def save_dataset(
        self,
        dataset_hash: str,
        name: str,
        path: str | None,
        schema_version: int,
        manifest: dict[str, Any],
        rows: Iterable[tuple[str, str, str | None, str | None, str]],
    ) -> bool:
        """Record a dataset by its content hash. ``rows`` holds
        ``(example_id, row_hash, split, stratum, row_json)`` in file order.

        Returns False when the same content was already stored (nothing is written).
        """
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM datasets WHERE hash=?", (dataset_hash,)).fetchone():
                return False
            rows = list(rows)
            # OR IGNORE: on PostgreSQL a writer saving the same content at once is not seen by
            # the SELECT; its uncommitted row makes this insert wait, then do nothing
            added = conn.execute(
                "INSERT OR IGNORE INTO datasets VALUES (?,?,?,?,?,?,?)",
                (dataset_hash, name, path, schema_version, len(rows), _json(manifest), utc_now()),
            )
            if added.rowcount == 0:
                return False
            conn.executemany(
                "INSERT INTO dataset_rows VALUES (?,?,?,?,?,?,?)",
                [(dataset_hash, i, *row) for i, row in enumerate(rows)],
            )
            return True

    def get_dataset(self, dataset_hash: str) -> dict[str, Any] | None:
        """The dataset's header (name, path, manifest, ...) or None."""
        rows = self.query("SELECT * FROM datasets WHERE hash=?", (dataset_hash,))
        if not rows:
            return None
        data = dict(rows[0])
        data["manifest"] = json.loads(data.pop("manifest_json"))
        return data

    def dataset_rows(self, dataset_hash: str,
                     ids: Collection[str] | None = None) -> list[dict[str, Any]]:
        """The stored rows of a dataset, in file order, as dicts (only ``ids`` when given)."""
        if ids is None:
            rows = self.query(
                "SELECT row_json FROM dataset_rows WHERE dataset_hash=? ORDER BY position",
                (dataset_hash,),
            )
            return [json.loads(r["row_json"]) for r in rows]
        wanted = list(dict.fromkeys(ids))
        found: list[sqlite3.Row] = []
        for start in range(0, len(wanted), _MAX_PARAMS):
            part = wanted[start:start + _MAX_PARAMS]
            found += self.query(
                f"SELECT position, row_json FROM dataset_rows WHERE dataset_hash=? AND "
                f"example_id IN ({','.join('?' * len(part))})", (dataset_hash, *part))
        return [json.loads(r["row_json"]) for r in sorted(found, key=lambda r: r["position"])]

    # -- runs -----------------------------------------------------------------------------

    _RUN_JSON = ("provider_options", "config", "prices", "meta")

    def create_run(self, run: NewRun) -> RunRecord:
        """Insert a new run and return it with its id.

        Raises:
            RunExists: the name is taken.
        """
        new = NewRun.model_validate(run.model_dump(exclude={"id"}))
        data = new.model_dump()
        for key in self._RUN_JSON:
            data[f"{key}_json"] = _json(data.pop(key))
        cols = ", ".join(data)
        marks = ", ".join("?" for _ in data)
        try:
            with self.transaction() as conn:
                cur = conn.execute(f"INSERT INTO runs ({cols}) VALUES ({marks})", tuple(data.values()))
                run_id = cur.lastrowid
        except sqlite3.IntegrityError as exc:
            raise RunExists(run.name, str(self.path)) from exc
        assert run_id is not None  # an INSERT into a rowid table always yields one
        return RunRecord(**new.model_dump(), id=run_id)

    def _run_from_row(self, row: Any) -> RunRecord:
        data = dict(row)
        for key in self._RUN_JSON:
            data[key] = json.loads(data.pop(f"{key}_json"))
        return RunRecord(**data)

    def get_run(self, name: str) -> RunRecord | None:
        """The run called ``name``, or None."""
        rows = self.query("SELECT * FROM runs WHERE name=?", (name,))
        return self._run_from_row(rows[0]) if rows else None

    def require_run(self, name: str) -> RunRecord:
        """The run called ``name``.

        Raises:
            RunNotFound: there is none (the error lists the known runs).
        """
        run = self.get_run(name)
        if run is None:
            raise RunNotFound(name, str(self.path), [r.name for r in self.list_runs()])
        return run

    def list_runs(self) -> list[RunRecord]:
        """All runs, oldest first."""
        return [self._run_from_row(r) for r in self.query("SELECT * FROM runs ORDER BY id")]

    # -- leases: one writer per run -------------------------------------------------------

    def take_lease(self, run_id: int, owner: str, stale_after_s: float) -> None:
        """Make ``owner`` the run's only writer.

        Raises:
            RunInProgress: another owner's lease is alive (a recent heartbeat, and when it
                runs on this host, a live process).
        """
        with self.transaction() as conn:
            row = conn.execute("SELECT name, lease_owner, heartbeat_s FROM runs WHERE id=?"
                               + self._for_update, (run_id,)).fetchone()
            holder, beat = row["lease_owner"], row["heartbeat_s"]
            now = time.time()
            if holder and holder != owner and beat is not None \
                    and now - beat <= stale_after_s and _owner_alive(holder):
                raise RunInProgress(row["name"], _owner_label(holder), now - beat)
            conn.execute("UPDATE runs SET lease_owner=?, heartbeat_s=? WHERE id=?",
                         (owner, now, run_id))
        _HELD.add(owner)

    def renew_lease(self, run_id: int, owner: str) -> bool:
        """Beat the run's heartbeat; False when ``owner`` no longer holds the lease."""
        with self.transaction() as conn:
            cur = conn.execute("UPDATE runs SET heartbeat_s=? WHERE id=? AND lease_owner=?",
                               (time.time(), run_id, owner))
            return bool(cur.rowcount == 1)

    def release_lease(self, run_id: int, owner: str) -> None:
        """Give the lease up (a finished or interrupted run).

        This process forgets the lease first, so even when the write fails (a full disk) a
        resume in the same process is not refused by its own dead lease.
        """
        _HELD.discard(owner)
        with self.transaction() as conn:
            conn.execute("UPDATE runs SET lease_owner=NULL, heartbeat_s=NULL "
                         "WHERE id=? AND lease_owner=?", (run_id, owner))

    def update_run(self, run_id: int, **fields: Any) -> None:
        """Set columns of a run (``status``, ``finished_at``, ``meta``, ...)."""
        data = dict(fields)
        for key in self._RUN_JSON:
            if key in data:
                data[f"{key}_json"] = _json(data.pop(key))
        sets = ", ".join(f"{k}=?" for k in data)
        with self.transaction() as conn:
            conn.execute(f"UPDATE runs SET {sets} WHERE id=?", (*data.values(), run_id))

    # -- results --------------------------------------------------------------------------

    _RESULT_COLS = (
        "run_id", "example_id", "repeat_index", "output", "ttft_ms", "latency_ms",
        "input_tokens", "output_tokens", "cached_input_tokens", "tokens_estimated", "cost_usd",
        "extra_cost_usd", "finish_reason", "request_id", "error", "attempts", "cached",
        "created_at", "extra_json",
    )
    #: result fields kept together in the ``extra_json`` column
    _RESULT_DETAILS = tuple(set(ResultRecord.model_fields) - set(_RESULT_COLS))

    def save_result(self, run_id: int, result: ResultRecord,
                    event: NewEvent | None = None) -> None:
        """Write one result, replacing an earlier one for the same (example, repeat), and its
        audit event (the call's prompt and answer) in the same transaction."""
        self.save_results(run_id, [result], [] if event is None else [event])

    #: how a result is written (SQLite dialect; the PostgreSQL backend translates it)
    _RESULT_INSERT = (f"INSERT OR REPLACE INTO results ({', '.join(_RESULT_COLS)}) "
                      f"VALUES ({', '.join('?' for _ in _RESULT_COLS)})")

    def _result_rows(self, run_id: int, results: Iterable[ResultRecord],
                    events: Iterable[NewEvent] = ()
                    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The parameter rows of :attr:`_RESULT_INSERT` for ``results`` and of
        ``EVENT_INSERT`` for ``events`` (what :meth:`save_results` writes)."""
        now = utc_now()
        rows = []
        for r in results:
            d = r.model_dump(mode="json")
            d["run_id"] = run_id
            d["created_at"] = d["created_at"] or now
            # a value equal to its field's default is left out (read back as the default);
            # anything else is kept, so a recorded empty list differs from "not recorded"
            d["extra_json"] = _json({k: d[k] for k in self._RESULT_DETAILS
                                     if d[k] != _RESULT_DEFAULTS[k]})
            rows.append(tuple(d[c] for c in self._RESULT_COLS))
        return rows, [event_values(e, now) for e in events]

    def save_results(self, run_id: int, results: Iterable[ResultRecord],
                     events: Iterable[NewEvent] = ()) -> None:
        """Write several results (and their audit events) in one transaction."""
        rows, event_rows = self._result_rows(run_id, results, events)
        sql = self._RESULT_INSERT
        if self.backend == "postgres":
            self._write_many(sql, rows, event_rows)
            return
        with self.transaction() as conn:
            conn.executemany(sql, rows)
            conn.executemany(EVENT_INSERT, event_rows)

    def _write_many(self, sql: str, rows: list[tuple[Any, ...]],
                    events: list[tuple[Any, ...]]) -> None:
        """PostgreSQL: rows and their events in one autocommitted statement."""
        with self._lock:
            self._refuse_if_read_only()
            try:
                self._conn.write_many(sql, rows, events)
            except sqlite3.Error as exc:
                raise self._write_failed(exc) from exc

    def _write_failed(self, exc: sqlite3.Error) -> Exception:
        """What a failed write raises: an integrity error as it is (for the caller to word),
        anything else as a :class:`StoreError` saying nothing was kept."""
        if isinstance(exc, sqlite3.IntegrityError):
            return exc
        return StoreError(f"cannot write to the store at {self.path}: {_what_failed(exc)}. "
                          f"Nothing of this write was kept.", path=str(self.path),
                          unreachable=isinstance(exc, PgUnreachable))

    def batch_writer(self, *, outage_s: float = 60.0) -> BatchWriter:
        """A writer of result batches for the running event loop (see :class:`BatchWriter`:
        ``outage_s`` is how long it waits for an unreachable PostgreSQL server)."""
        return BatchWriter(self, outage_s=outage_s)

    def results(self, run_id: int) -> list[ResultRecord]:
        """All results of a run, ordered by example id and repeat."""
        return [_result_from_row(row) for row in self.query(
            "SELECT * FROM results WHERE run_id=? ORDER BY rowid", (run_id,))]

    def finished_keys(self, run_id: int, example_ids: Collection[str] | None = None
                      ) -> set[tuple[str, int]]:
        """(example_id, repeat_index) of the results that succeeded: resume skips these.
        With ``example_ids``, only theirs (a Ray shard asks for its own examples, not for
        every result of a run of 100,000)."""
        sql = "SELECT example_id, repeat_index FROM results WHERE run_id=? AND error IS NULL"
        params: list[Any] = [run_id]
        if example_ids is not None:
            if self.backend == "postgres":
                sql += " AND example_id = ANY(?)"
                params.append(list(example_ids))
            else:
                sql += " AND example_id IN (SELECT value FROM json_each(?))"
                params.append(json.dumps(list(example_ids)))
        return {(r["example_id"], r["repeat_index"]) for r in self.query(sql, params)}

    # -- scores ---------------------------------------------------------------------------

    _SCORE_COLS = (
        "run_id", "example_id", "repeat_index", "metric", "metric_version", "score", "verdict",
        "passed", "reason", "judge_model", "judge_prompt_version", "raw_json", "error",
        "created_at",
    )

    def save_scores(self, run_id: int, scores: Iterable[ScoreRecord]) -> None:
        """Write scores, replacing earlier ones for the same (example, repeat, metric)."""
        now = utc_now()
        rows = []
        for s in scores:
            d = s.model_dump()
            d["run_id"] = run_id  # the run is the caller's argument, not part of the record
            d["created_at"] = d["created_at"] or now
            d["raw_json"] = None if d.get("raw") is None else _json(d.pop("raw"))
            d.pop("raw", None)
            rows.append(tuple(d[c] for c in self._SCORE_COLS))
        sql = (f"INSERT OR REPLACE INTO scores ({', '.join(self._SCORE_COLS)}) "
               f"VALUES ({', '.join('?' for _ in self._SCORE_COLS)})")
        if self.backend == "postgres":
            self._write_many(sql, rows, [])
            return
        with self.transaction() as conn:
            conn.executemany(sql, rows)

    def scores(self, run_id: int, metric: str | None = None) -> list[ScoreRecord]:
        """Scores of a run, optionally of one metric."""
        sql = "SELECT * FROM scores WHERE run_id=?"
        params: list[Any] = [run_id]
        if metric is not None:
            sql += " AND metric=?"
            params.append(metric)
        return [_score_from_row(row) for row in self.query(sql + " ORDER BY rowid", params)]

    # -- paged reads (scoring a large run holds one page at a time) ---------------------------

    def iter_results(self, run_id: int, *, ok: bool | None = None,
                     page: int = 500) -> Iterator[list[ResultRecord]]:
        """The results of a run, a page at a time, in the order they were written.

        Args:
            run_id: the run.
            ok: only the successful (True) or failed (False) results; None for all.
            page: results per page.
        """
        where = {None: "", True: " AND error IS NULL", False: " AND error IS NOT NULL"}[ok]
        after = 0
        while True:
            rows = self.query(f"SELECT rowid AS position_, * FROM results WHERE run_id=? AND "
                              f"rowid>?{where} ORDER BY rowid LIMIT ?", (run_id, after, page))
            if not rows:
                return
            after = rows[-1]["position_"]
            yield [_result_from_row(row) for row in rows]

    def count_results(self, run_id: int, *, ok: bool | None = None) -> int:
        """How many results a run has (only successful or failed ones with ``ok``)."""
        where = {None: "", True: " AND error IS NULL", False: " AND error IS NOT NULL"}[ok]
        return int(self.query(f"SELECT COUNT(*) AS n FROM results WHERE run_id=?{where}",
                              (run_id,))[0]["n"])

    def scored_keys(self, run_id: int, metric: str, example_ids: Collection[str], *,
                    metric_version: str, judge_model: str | None) -> set[tuple[str, int]]:
        """(example_id, repeat_index) among ``example_ids`` holding a valid score of
        ``metric`` made with this version and judge (what a second scoring skips)."""
        wanted = list(dict.fromkeys(example_ids))
        keys: set[tuple[str, int]] = set()
        for start in range(0, len(wanted), _MAX_PARAMS):
            part = wanted[start:start + _MAX_PARAMS]
            rows = self.query(
                f"SELECT example_id, repeat_index FROM scores WHERE run_id=? AND metric=? AND "
                f"error IS NULL AND metric_version=? AND judge_model IS ? AND example_id IN "
                f"({','.join('?' * len(part))})",
                (run_id, metric, metric_version, judge_model, *part))
            keys.update((r["example_id"], r["repeat_index"]) for r in rows)
        return keys

    def count_unscored(self, run_id: int, metric: str, *, metric_version: str,
                       judge_model: str | None) -> int:
        """Successful results of a run with no valid score of ``metric`` made with this
        version and judge (what a scoring call has to do)."""
        rows = self.query(
            "SELECT COUNT(*) AS n FROM results r WHERE r.run_id=? AND r.error IS NULL AND NOT "
            "EXISTS (SELECT 1 FROM scores s WHERE s.run_id=r.run_id AND "
            "s.example_id=r.example_id AND s.repeat_index=r.repeat_index AND s.metric=? AND "
            "s.error IS NULL AND s.metric_version=? AND s.judge_model IS ?)",
            (run_id, metric, metric_version, judge_model))
        return int(rows[0]["n"])

    def iter_scores(self, run_id: int, metric: str, *, of_ok_results: bool = False,
                    page: int = 1000) -> Iterator[list[ScoreRecord]]:
        """The scores of one metric of a run, a page at a time.

        Args:
            run_id: the run.
            metric: the metric.
            of_ok_results: only scores of the run's current successful results.
            page: scores per page.
        """
        join = (" AND EXISTS (SELECT 1 FROM results r WHERE r.run_id=s.run_id AND "
                "r.example_id=s.example_id AND r.repeat_index=s.repeat_index AND "
                "r.error IS NULL)") if of_ok_results else ""
        after = 0
        while True:
            rows = self.query(f"SELECT s.rowid AS position_, s.* FROM scores s WHERE "
                              f"s.run_id=? AND s.metric=? AND s.rowid>?{join} ORDER BY s.rowid "
                              f"LIMIT ?", (run_id, metric, after, page))
            if not rows:
                return
            after = rows[-1]["position_"]
            yield [_score_from_row(row) for row in rows]

    def metrics_of(self, run_id: int) -> list[str]:
        """Names of the metrics scored for a run."""
        rows = self.query("SELECT DISTINCT metric FROM scores WHERE run_id=? ORDER BY metric",
                          (run_id,))
        return [r["metric"] for r in rows]

    # -- response cache -------------------------------------------------------------------

    def cache_get(self, key: str) -> dict[str, Any] | None:
        rows = self.query("SELECT completion_json FROM response_cache WHERE key=?", (key,))
        return json.loads(rows[0]["completion_json"]) if rows else None

    def cache_put(self, key: str, completion: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO response_cache (key, completion_json, "
                         "created_at) VALUES (?,?,?)",
                         (key, _json(completion), utc_now()))

    # -- reviews, migrations, events ------------------------------------------------------

    def add_review(self, review: NewReview) -> ReviewRecord:
        """Record an expert's review of one result; returns it with its id."""
        with self.transaction() as conn:
            return insert_review(conn, review)

    def reviews(self, run_id: int) -> list[ReviewRecord]:
        """The reviews of a run's results, oldest first."""
        return [review_from_row(r) for r in
                self.query("SELECT * FROM reviews WHERE run_id=? ORDER BY id", (run_id,))]

    def save_migration(self, record: MigrationRecord) -> None:
        now = utc_now()
        existing = self.get_migration(record.name)
        d = record.model_dump()
        d["created_at"] = existing.created_at if existing else now
        d["updated_at"] = now
        d["lineage_json"] = _json(d.pop("lineage"))
        with self.transaction() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO migrations ({', '.join(d)}) "
                f"VALUES ({', '.join('?' for _ in d)})",
                tuple(d.values()),
            )

    def get_migration(self, name: str) -> MigrationRecord | None:
        rows = self.query("SELECT * FROM migrations WHERE name=?", (name,))
        if not rows:
            return None
        d = dict(rows[0])
        d["lineage"] = json.loads(d.pop("lineage_json"))
        return MigrationRecord(**d)

    def log_event(self, event: NewEvent) -> EventRecord:
        """Append an audit event; returns it as stored, chained (see :mod:`._audit`).

        An event without an actor gets the process's (``--actor``, ``$AGILITY_ACTOR``, the
        OS user). Events are never updated; retention may empty a payload (its digest stays).
        """
        with self.transaction() as conn:
            stored = insert_event(conn, event)
            row = conn.execute("SELECT * FROM events WHERE id=?", (stored.id,)).fetchone()
        return _event_from_row(row)

    def log_events(self, events: Iterable[NewEvent]) -> int:
        """Append several audit events in one transaction, chained in the given order (a
        batch of a writer that keeps them off a request path); returns how many."""
        now = utc_now()
        rows = [event_values(e, now) for e in events]
        if rows and self.backend == "postgres":
            self._write_many(EVENT_INSERT, rows, [])  # one statement, one round trip
        elif rows:
            with self.transaction() as conn:
                conn.executemany(EVENT_INSERT, rows)
        return len(rows)

    def events(self, subject: str | None = None, kind: str | None = None, *,
               since: str | None = None, until: str | None = None) -> list[EventRecord]:
        """Stored events, oldest first, optionally of one subject, kind or time window
        (``since``/``until``: ISO 8601 times or dates, ``since`` included, ``until`` not)."""
        sql, params = "SELECT * FROM events WHERE 1=1", []
        for column, op, value in (("subject", "=", subject), ("kind", "=", kind),
                                  ("created_at", ">=", since), ("created_at", "<", until)):
            if value is not None:
                sql += f" AND {column} {op} ?"
                params.append(value)
        return [_event_from_row(row) for row in self.query(sql + " ORDER BY id", params)]

    def audit_rows(self, since: str | None = None) -> list[dict[str, Any]]:
        """Events as the audit export writes them (time, actor, action, object, payload,
        digests and links), oldest first, from ``since`` (ISO 8601) on."""
        sql, params = "SELECT * FROM events", []
        if since is not None:
            sql += " WHERE created_at >= ?"
            params.append(since)
        return [event_row(row) for row in self.query(sql + " ORDER BY id", params)]

    def purge(self, *, cutoffs: dict[str, str], run: str | None = None,
              retention: dict[str, Any] | None = None, now: str | None = None) -> PurgeReport:
        """Delete what was created before each kind's cut-off (and the run ``run``), in one
        transaction, leaving a ``store.purge`` tombstone event (see :mod:`._purge`).

        Raises:
            RunNotFound: ``run`` names no run.
        """
        if run is not None:
            self.require_run(run)
        with self.transaction() as conn:
            return purge_rows(conn, now=now or utc_now(), cutoffs=cutoffs, run=run,
                              retention=retention)

    def verify_audit(self, *, expect_head: str | None = None) -> AuditReport:
        """Recompute the audit chain and report every broken link (see :mod:`._audit`).

        Args:
            expect_head: a head hash recorded earlier, which must still be in the chain.
        """
        with self._lock:
            try:
                return verify_chain(self._conn, expect_head=expect_head)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the store at {self.path}: {_what_failed(exc)}.",
                                 path=str(self.path)) from exc


def _event_from_row(row: sqlite3.Row) -> EventRecord:
    d = dict(row)
    d["payload"] = json.loads(d.pop("payload_json") or "{}")
    return EventRecord(**d)


#: each result field's default, as ``model_dump(mode="json")`` writes it
_RESULT_DEFAULTS: dict[str, Any] = {
    name: field.get_default(call_default_factory=True)
    for name, field in ResultRecord.model_fields.items()}

#: keys older stores wrote in a result's ``extra_json`` under other names
_OLD_DETAIL_KEYS = {"retrieval": "retrieved"}


def _score_from_row(row: Any) -> ScoreRecord:
    d = dict(row)
    del d["run_id"]
    d.pop("position_", None)
    d.pop("rowid", None)  # PostgreSQL keeps the write order in a column
    raw = d.pop("raw_json")
    d["raw"] = None if raw is None else json.loads(raw)
    d["passed"] = None if d["passed"] is None else bool(d["passed"])
    return ScoreRecord(**d)


def _result_from_row(row: Any) -> ResultRecord:
    d = dict(row)
    del d["run_id"]
    d.pop("position_", None)
    d.pop("rowid", None)  # PostgreSQL keeps the write order in a column
    details = json.loads(d.pop("extra_json") or "{}")
    for old, new in _OLD_DETAIL_KEYS.items():
        if old in details:
            details.setdefault(new, details.pop(old))
    known = ResultRecord.model_fields
    d.update({k: v for k, v in details.items() if k in known})
    d["tokens_estimated"] = bool(d["tokens_estimated"])
    d["cached"] = bool(d["cached"])
    return ResultRecord(**d)


def shown_status(run: RunRecord, now_s: float | None = None) -> str:
    """A run's status as it stands: a 'running' run whose writer is gone (no heartbeat for
    the stale interval, or its process on this host has died) is 'interrupted'."""
    if run.status != "running":
        return run.status
    now_s = time.time() if now_s is None else now_s
    if run.lease_owner is None or run.heartbeat_s is None \
            or now_s - run.heartbeat_s > LEASE_STALE_AFTER_S or not _owner_alive(run.lease_owner):
        return "interrupted"
    return "running"


def new_lease_owner() -> str:
    """A writer's identity: ``host:pid:token`` (the token tells two writers of one process
    apart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


def _owner_label(owner: str) -> str:
    return ":".join(owner.split(":")[:2])


#: the leases this process holds now (a lease of this process that is not here was released,
#: even if writing the release failed)
_HELD: set[str] = set()


def _owner_alive(owner: str) -> bool:
    """False when the owner ran on this host and its process is gone (a kill -9): its lease
    lapses at once instead of after the stale interval. A lease of this very process is
    alive only while this process still holds it."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    if int(pid_text) == os.getpid():
        return owner in _HELD
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
