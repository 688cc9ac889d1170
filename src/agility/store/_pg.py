"""The PostgreSQL backend of the store: a connection that speaks the store's SQLite dialect.

The store's SQL (and its numbered migrations) are written once, for SQLite. This module gives
:class:`~agility.store.Store` a connection with the small part of ``sqlite3.Connection``'s
interface it uses (``execute``, ``executemany``, ``in_transaction``, ``close``; rows that
index by name and by position) and translates each statement to PostgreSQL:

- ``?`` placeholders become ``%s``; ``x IS ?`` becomes ``x IS NOT DISTINCT FROM %s``;
- ``INSERT OR REPLACE`` becomes an upsert on the table's primary key and ``INSERT OR IGNORE``
  ``ON CONFLICT DO NOTHING``; an insert into a table with an ``id`` returns it (``lastrowid``);
- the migrations' ``INTEGER PRIMARY KEY AUTOINCREMENT`` becomes ``SERIAL PRIMARY KEY``,
  ``REAL`` becomes ``DOUBLE PRECISION`` (PostgreSQL's ``REAL`` is 4 bytes), and ``results``
  and ``scores`` get a ``rowid`` column from a sequence, renewed on each replace, so "in the
  order written" means the same on both backends;
- ``PRAGMA user_version`` reads and writes the one-row table ``agility_schema``.

Concurrency: SQLite has one writer at a time; PostgreSQL has many, so the places that read
then write take row locks (``FOR UPDATE``, see :attr:`PgConnection.for_update`), the
migrations run under an advisory lock, and every insert into ``events`` takes a
transaction-scoped advisory lock before it draws its id (the events' id default and chain
trigger, see ``_audit.PG_CHAIN``), so audit events commit in the order of their ids (a reader
that follows ``id > last seen`` never skips one) and each links to the one before it.

Durability: each session sets ``synchronous_commit=off``, the promise of the SQLite store
(WAL with ``synchronous=NORMAL``): a commit survives a crash of agility or of the server, and
only a power loss of the server's machine can drop the last few commits (never a half-written
one). Without it each result waits for a disk flush (29% of SQLite's write speed measured in
``benchmarks/scale_bench.py``).

Batches (:meth:`PgConnection.write_many`: a run's results with their call events, scores):
one autocommitted statement carrying the rows as one JSON document, so a batch is one round
trip. PostgreSQL's text cannot hold NUL: such a character is written as U+FFFD.

Credentials come from libpq's own sources (``PGPASSWORD``, the passfile ``~/.pgpass`` or
``PGPASSFILE``, a service file): a store URL that holds a password is refused, so a password is
never shown in a message, written in the store's lineage, or logged.

Errors are raised as ``sqlite3`` exception classes (:class:`PgError`, :class:`PgIntegrityError`)
carrying a message in the store's words, so the store's one error path serves both backends.

``psycopg`` (v3, the ``postgres`` extra) is imported only when a PostgreSQL store is opened.
"""

from __future__ import annotations

import json
import re
import select
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from agility.errors import StoreError
from agility.store._rows import EVENT_INSERT

__all__ = ["PgAsyncWriter", "PgConnection", "PgError", "PgIntegrityError", "PgUnreachable",
           "batch_statement", "is_postgres_url", "migration_sql", "safe_url"]

_SCHEMES = ("postgresql://", "postgres://")

#: advisory lock keys (any constants unique to agility; the events' lock is taken by the
#: events table's own id default and trigger: ``_audit.EVENTS_LOCK``)
_MIGRATE_LOCK = 7_301_190_001

#: primary key of each table that is written with INSERT OR REPLACE
_PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "results": ("run_id", "example_id", "repeat_index"),
    "scores": ("run_id", "example_id", "repeat_index", "metric"),
    "response_cache": ("key",),
    "migrations": ("name",),
    "auth_keys": ("name",),
    "datasets": ("hash",),
    "canary_rollouts": ("name",),
    "canary_counters": ("rollout", "epoch", "arm"),
}
#: tables whose rows carry a ``rowid`` (write order) on PostgreSQL
_ROWID_TABLES = ("results", "scores")
#: the columns of an appended event, as ``EVENT_INSERT`` lists them
_EVENT_COLS = tuple(c.strip() for c in
                    EVENT_INSERT[EVENT_INSERT.index("(") + 1:EVENT_INSERT.index(")")].split(","))
#: tables with an ``id SERIAL`` key: an insert returns it
_ID_TABLES = frozenset({"runs", "reviews", "events", "accounts", "review_queues",
                        "review_flags"})


def is_postgres_url(location: object) -> bool:
    """True when ``location`` names a PostgreSQL store (``postgresql://…``)."""
    return isinstance(location, str) and location.startswith(_SCHEMES)


def safe_url(url: str) -> str:
    """``url`` after checking it holds no password (raises :class:`StoreError` if it does).

    The store keeps and shows its URL (messages, a migration's lineage), so a password in it
    would leak; libpq reads one from ``PGPASSWORD`` or the passfile instead.
    """
    try:
        parts = urlsplit(url)
        has_password = parts.password is not None
    except ValueError:
        # the parser's message may quote the URL, password and all: not shown
        raise StoreError("the store URL is not a valid postgresql:// URL "
                         "(postgresql://user@host:port/database).") from None
    if has_password or re.search(r"(?:^|[?&])password=", parts.query):
        host = parts.hostname or "localhost"
        raise StoreError(
            f"the store URL for {host} holds a password; agility never keeps or shows one. "
            f"Remove it from the URL and put it in PGPASSWORD or a passfile "
            f"(~/.pgpass, or the file PGPASSFILE names).")
    return url


def migration_sql(statement: str) -> str:
    """One statement of a (SQLite) migration, in PostgreSQL's dialect."""
    sql = re.sub(r"INTEGER PRIMARY KEY AUTOINCREMENT", "SERIAL PRIMARY KEY", statement)
    sql = re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql)
    for table in _ROWID_TABLES:
        sql = re.sub(rf"(CREATE TABLE {table} \()", r"\1\n        rowid BIGSERIAL,", sql)
    return sql


@lru_cache(maxsize=512)
def _translate(sql: str) -> tuple[str, bool]:
    """``(PostgreSQL text, returns an id)`` of one store statement."""
    text = sql.replace("%", "%%")
    returns_id = False
    m = re.match(r"\s*INSERT OR (REPLACE|IGNORE) INTO (\w+)\s*(?:\(([^)]*)\))?", text, re.I)
    if m:
        kind, table, cols = m.group(1).upper(), m.group(2), m.group(3)
        text = re.sub(r"^\s*INSERT OR (REPLACE|IGNORE) INTO", "INSERT INTO", text, flags=re.I)
        if kind == "IGNORE":
            text += " ON CONFLICT DO NOTHING"
        else:
            if cols is None or table not in _PRIMARY_KEYS:
                raise ValueError(f"INSERT OR REPLACE into {table} needs its columns listed "
                                 f"and its primary key known")
            key = _PRIMARY_KEYS[table]
            names = [c.strip() for c in cols.split(",")]
            sets = [f"{c}=EXCLUDED.{c}" for c in names if c not in key]
            if table in _ROWID_TABLES:
                sets.append("rowid=DEFAULT")  # a replaced row moves to the end, as in SQLite
            text += f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {', '.join(sets)}"
    else:
        m = re.match(r"\s*INSERT INTO (\w+)", text, re.I)
        if m and m.group(1) in _ID_TABLES:
            text += " RETURNING id"
            returns_id = True
    text = re.sub(r"\bIS \?", "IS NOT DISTINCT FROM ?", text)
    return text.replace("?", "%s"), returns_id


@lru_cache(maxsize=1)
def _bool_dumper(psycopg: Any) -> type:
    """A dumper that sends ``True``/``False`` as the integers 1/0: the store keeps booleans
    in INTEGER columns, as SQLite does (done by psycopg in C-speed, not a loop over every
    parameter in Python)."""
    from psycopg.adapt import Dumper

    class BoolAsInt(Dumper):
        oid = psycopg.adapters.types["int2"].oid  # as psycopg sends a small int

        def dump(self, obj: bool) -> bytes:
            return b"1" if obj else b"0"

    return BoolAsInt


@lru_cache(maxsize=64)
def _copy_of(sql: str) -> str | None:
    """``COPY table (columns) FROM STDIN`` for a plain ``INSERT INTO table (columns) VALUES
    (?, ...)`` of placeholders only; None for any other statement (an upsert, an expression)."""
    m = re.fullmatch(r"\s*INSERT INTO (\w+) \(([\w\s,]+)\)\s*VALUES\s*\(([?,\s]+)\)\s*", sql,
                     re.I)
    if m is None or m.group(3).count("?") != len(m.group(2).split(",")):
        return None
    return f"COPY {m.group(1)} ({m.group(2).strip()}) FROM STDIN"


#: PostgreSQL's text cannot hold the NUL character (SQLite's can): a model's answer holding
#: one is kept with U+FFFD in its place, rather than failing the run that paid for it
_NUL, _NUL_KEPT_AS = "\x00", "\ufffd"
#: a JSON escape of NUL, not an escaped backslash followed by "u0000"
_JSON_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def _without_nul(values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(v.replace(_NUL, _NUL_KEPT_AS) if v.__class__ is str and _NUL in v else v
                 for v in values)


def batch_statement(sql: str, rows: Sequence[Sequence[Any]], events: Sequence[Sequence[Any]]
                    ) -> tuple[str, tuple[str, ...]] | None:
    """The one PostgreSQL statement (text, parameters) of :meth:`PgConnection.write_many`;
    None when a value has no JSON spelling (NaN, an infinity)."""
    m = re.match(r"\s*INSERT (?:OR (REPLACE|IGNORE) )?INTO (\w+)\s*\(([^)]*)\)", sql,
                 re.I)
    if m is None:
        raise ValueError(f"write_many needs an INSERT with its columns listed: {sql!r}")
    table, names = m.group(2), [c.strip() for c in m.group(3).split(",")]
    key = [names.index(c) for c in _PRIMARY_KEYS.get(table, ())] \
        if (m.group(1) or "").upper() == "REPLACE" else []
    if key and len(rows) > 1:
        seen: set[tuple[Any, ...]] = set()
        kept = []
        for row in reversed(rows):
            k = tuple(row[i] for i in key)
            if k not in seen:
                seen.add(k)
                kept.append(row)
        if len(kept) < len(rows):
            rows = kept[::-1]
    try:
        # booleans as 0/1 (the store's INTEGER columns); NaN and infinities have no JSON
        # spelling: such a batch takes the statement-per-row path
        doc = json.dumps([{n: int(v) if v.__class__ is bool else v
                           for n, v in zip(names, row, strict=True)} for row in rows],
                         allow_nan=False, ensure_ascii=False)
        event_doc = json.dumps([dict(zip(_EVENT_COLS, e, strict=True)) for e in events],
                               allow_nan=False, ensure_ascii=False)
    except ValueError:
        return None
    doc, event_doc = (_JSON_NUL.sub(r"\1\\ufffd", d) if "\\u0000" in d else d
                      for d in (doc, event_doc))
    text, returns_id = _translate(sql)
    if returns_id:  # a batch's ids are not read back
        text = text.removesuffix(" RETURNING id")
    head, _, tail = text.partition(" VALUES ")
    conflict = tail[tail.index(")") + 1:]
    listed = ", ".join(names)
    # in the document's order: ids, rowids and the events' chain follow it
    write = (f"{head} SELECT {listed} FROM json_populate_recordset(NULL::{table}, "
             f"%s::json) WITH ORDINALITY ORDER BY ordinality{conflict}")
    params: tuple[str, ...] = (doc,)
    if events:
        write = (f"WITH written AS ({write}) "
                 f"INSERT INTO events ({', '.join(_EVENT_COLS)}) "
                 f"SELECT {', '.join(_EVENT_COLS)} FROM "
                 "json_populate_recordset(NULL::events, %s::json) WITH ORDINALITY "
                 "ORDER BY ordinality")
        params = (doc, event_doc)
    return write, params


class PgRow:
    """A row as ``sqlite3.Row`` is one: read by column name (``row["name"]``) or position
    (``row[0]``), iterated over its values; ``dict(row)`` gives its columns."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: Sequence[Any]) -> None:
        self._index = index
        self._values = tuple(values)

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._index)

    def __getitem__(self, key: str | int) -> Any:
        if isinstance(key, int):
            return self._values[key]
        try:
            return self._values[self._index[key]]
        except KeyError:
            raise IndexError(f"no column named {key}") from None

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._index, self._values))!r})"


class PgCursor:
    """The result of one statement: its rows, ``rowcount`` and ``lastrowid``."""

    def __init__(self, rows: list[PgRow], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    def fetchone(self) -> PgRow | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[PgRow]:
        return list(self._rows)

    def __iter__(self) -> Iterator[PgRow]:
        return iter(self._rows)


class PgError(sqlite3.OperationalError):
    """PostgreSQL failed; the message says what in the store's words."""


class PgUnreachable(PgError):
    """The server cannot be reached or dropped the connection (a restart, a failover): the
    same statement may succeed once it is back."""


class PgIntegrityError(sqlite3.IntegrityError):
    """A PostgreSQL constraint was violated (a taken name, a missing reference)."""


def _unreachable(exc: Exception) -> bool:
    """Whether ``exc`` says the server cannot be reached or dropped the connection (a restart,
    a failover), not that it refused the statement."""
    state = getattr(exc, "sqlstate", None) or ""
    return (state.startswith("08") or state in ("57P01", "57P02", "57P03")
            or (not state and type(exc).__name__ == "OperationalError"
                and "authentication failed" not in str(exc)))


def _what_failed(exc: Exception) -> str:
    state = getattr(exc, "sqlstate", None) or ""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if state == "53100":
        return "the database server's disk is full; free some space and run the command again"
    if state == "25006":
        return f"it is read-only ({text})"
    if state.startswith("28") or "authentication failed" in text:
        return (f"the database server refused the login ({text}); check PGUSER and the "
                f"password in PGPASSWORD or the passfile")
    if _unreachable(exc):
        return f"the database server cannot be reached or dropped the connection ({text})"
    return text


def _session_options(read_only: bool) -> str:
    # synchronous_commit=off: a commit returns once its WAL is written, not flushed -- the
    # durability of the SQLite store (WAL, synchronous=NORMAL): a crash of either process
    # loses nothing committed; only a power loss can drop the last commits.
    options = "-c synchronous_commit=off"
    return options + " -c default_transaction_read_only=on" if read_only else options


def _wrapped(psycopg: Any, exc: Exception) -> sqlite3.Error:
    if isinstance(exc, psycopg.IntegrityError):
        return PgIntegrityError(_what_failed(exc))
    return (PgUnreachable if _unreachable(exc) else PgError)(_what_failed(exc))


class PgAsyncWriter:
    """Writes batches (:func:`batch_statement`) from an event loop over a connection of its
    own, opened on first use and again after the server dropped it.

    The runner's writer used a thread: each batch's wait for the server handed the
    interpreter lock from the event loop to the thread and back, and both sat idle in the
    hand-offs (PostgreSQL at 80-90% of SQLite's speed against 100% for this, alternated in
    ``benchmarks/scale_bench.py store``). Bound to the loop it is first used on; close it with
    :meth:`aclose` on that loop.
    """

    def __init__(self, url: str) -> None:
        import psycopg

        self._psycopg = psycopg
        self._url = url
        self._conn: Any = None

    async def write(self, sql: str, rows: Sequence[Sequence[Any]],
                    events: Sequence[Sequence[Any]] = ()) -> bool:
        """Write ``rows`` and append ``events`` in one autocommitted statement; False (and
        nothing written) when a value has no JSON spelling: write them another way.

        Raises:
            PgError, PgIntegrityError: the server refused the statement or cannot be reached.
        """
        if not rows and not events:
            return True
        statement = batch_statement(sql, rows, events)
        if statement is None:
            return False
        try:
            await (await self._connection()).execute(*statement)
        except self._psycopg.Error as exc:
            raise _wrapped(self._psycopg, exc) from None
        return True

    async def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._conn = await self._psycopg.AsyncConnection.connect(
                self._url, autocommit=True, connect_timeout=10, options=_session_options(False))
        return self._conn

    async def holds(self, table: str, key: dict[str, Any]) -> bool:
        """Whether ``table`` has a row with exactly these column values (did a write whose
        answer was lost to a dropped connection commit?).

        Raises:
            PgError, PgUnreachable: as :meth:`write`.
        """
        where = " AND ".join(f"{column} = %s" for column in key)
        try:
            cur = await (await self._connection()).execute(
                f"SELECT 1 FROM {table} WHERE {where}", tuple(key.values()))
            return await cur.fetchone() is not None
        except self._psycopg.Error as exc:
            raise _wrapped(self._psycopg, exc) from None

    async def aclose(self) -> None:
        """Close the connection (opened again by the next write)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()


class PgConnection:
    """A PostgreSQL connection with the part of ``sqlite3.Connection`` the store uses.

    Not thread-safe by itself: the store serialises calls with its lock, as for SQLite.

    Args:
        url: ``postgresql://…`` without a password.
        read_only: every transaction is read-only.

    Raises:
        StoreError: ``psycopg`` is not installed (the ``postgres`` extra).
        PgError: the server cannot be reached or refused the login.
    """

    for_update = " FOR UPDATE"

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise StoreError("a postgresql:// store needs psycopg: "
                             "pip install 'agility[postgres]'") from exc
        self._psycopg = psycopg
        self.url = url
        self.read_only = read_only
        self._conn = self._connect()
        #: inside a BEGIN of ours (what a dropped connection took with it)
        self._began = False
        if not read_only:
            self._ensure_version_table()

    def _connect(self) -> Any:
        psycopg = self._psycopg
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=30,
                                   options=_session_options(self.read_only))
        except psycopg.Error as exc:
            raise PgError(_what_failed(exc)) from None
        conn.adapters.register_dumper(bool, _bool_dumper(psycopg))
        return conn

    def _ensure_version_table(self) -> None:
        self.execute("BEGIN")
        try:
            self.execute(f"SELECT pg_advisory_xact_lock({_MIGRATE_LOCK})")
            self.execute("CREATE TABLE IF NOT EXISTS agility_schema (version INTEGER NOT NULL)")
            self.execute("INSERT INTO agility_schema SELECT 0 WHERE NOT EXISTS "
                         "(SELECT 1 FROM agility_schema)")
        except BaseException:
            self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        """True inside BEGIN … COMMIT/ROLLBACK (a connection the server dropped: inside the
        BEGIN it took with it, until its ROLLBACK)."""
        if self._conn.closed:
            return self._began
        idle = self._psycopg.pq.TransactionStatus.IDLE
        return bool(self._conn.info.transaction_status != idle)

    def lock_migrations(self) -> None:
        """Hold the migrations' advisory lock until this transaction ends."""
        self.execute(f"SELECT pg_advisory_xact_lock({_MIGRATE_LOCK})")

    def sync_id_sequence(self, table: str) -> None:
        """Move ``table``'s id sequence past its largest id (after rows were copied in with
        their ids, the next insert must not reuse one)."""
        if table in _ID_TABLES:
            self._raw(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                      f"GREATEST(COALESCE(MAX(id), 0), 1), MAX(id) IS NOT NULL) FROM {table}")

    def execute(self, sql: str, params: Iterable[Any] = ()) -> PgCursor:
        """Run one store statement (SQLite dialect) on PostgreSQL."""
        head = sql.lstrip()[:40].upper()
        if head.startswith("BEGIN"):
            return self._raw("BEGIN")
        if head.startswith("PRAGMA USER_VERSION"):
            if "=" in sql:
                version = int(sql.split("=", 1)[1])
                return self._raw(f"UPDATE agility_schema SET version={version}")
            return self._raw("SELECT COALESCE((SELECT version FROM agility_schema), 0) "
                             "AS user_version" if self._has_version_table() else
                             "SELECT 0 AS user_version")
        if head.startswith("PRAGMA"):
            raise PgError(f"{sql.strip()} is SQLite's; this store is PostgreSQL")
        if head.startswith(("CREATE ", "ALTER ")):
            return self._raw(migration_sql(sql))
        text, returns_id = _translate(sql)
        cur = self._raw(text, tuple(params))
        if returns_id:
            row = cur.fetchone()
            cur.lastrowid = None if row is None else int(row[0])
            cur._rows = []
        return cur

    def write_many(self, sql: str, rows: Sequence[Sequence[Any]],
                   events: Sequence[Sequence[Any]] = ()) -> None:
        """Run an ``INSERT [OR REPLACE] INTO table (columns) VALUES (?, ...)`` for every row
        of ``rows`` and append ``events`` (:func:`event_values` rows, in order) in ONE
        statement: the rows go as one JSON document that the server turns back into rows of
        the table's own types. In autocommit the statement is its own transaction: one round
        trip for the whole batch, where BEGIN, a pipelined upsert, a COPY and COMMIT took four
        and about sixty socket waits (each a hand-off of the interpreter lock between the
        writer thread and the event loop, which left both idle). Rows with the same primary
        key keep the last one, at its place, as SQLite's INSERT OR REPLACE does (an upsert may
        not touch a row twice)."""
        if not rows and not events:
            return
        statement = batch_statement(sql, rows, events)
        if statement is None:
            self._write_many_slowly(sql, rows, events)
        else:
            self._raw(*statement)

    def _write_many_slowly(self, sql: str, rows: Sequence[Sequence[Any]],
                           events: Sequence[Sequence[Any]]) -> None:
        """The rows, then the events, one statement each, in a transaction (the caller's if
        one is open)."""
        def write() -> None:
            self.executemany(sql, list(rows))
            if events:
                self.executemany(EVENT_INSERT, list(events))

        if self.in_transaction:
            write()
            return
        self._raw("BEGIN")
        try:
            write()
        except BaseException:
            self._raw("ROLLBACK")
            raise
        self._raw("COMMIT")

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one store statement for each parameter row."""
        text, _ = _translate(sql)
        data = rows if isinstance(rows, list) else list(rows)
        if not data:
            return
        copy = _copy_of(sql) if len(data) > 1 else None
        self._reopen_if_dropped()  # (see _raw)
        try:
            with self._conn.cursor() as cur:
                if copy is None:
                    cur.executemany(text, [_without_nul(row) for row in data])
                    return
                # a plain insert of several rows: COPY sends them in one stream, at a third
                # less client CPU than a pipelined executemany (row triggers and defaults run
                # the same: the events' chain does)
                with cur.copy(copy) as stream:
                    for row in data:
                        stream.write_row(_without_nul(row))
        except self._psycopg.Error as exc:
            raise self._wrap(exc) from None

    def _has_version_table(self) -> bool:
        cur = self._raw("SELECT to_regclass('agility_schema') IS NOT NULL")
        row = cur.fetchone()
        return bool(row and row[0])

    def _dropped_while_idle(self) -> bool:
        """Whether the server dropped this connection since its last statement (a restart, a
        failover, ``pg_terminate_backend``): it then sent its notice and closed the socket,
        so the socket is readable, where an idle connection of ours receives nothing (no
        LISTEN). One poll, no round trip: a write is then sent on a new connection instead
        of failing once on the old one (the server cannot have done it there)."""
        conn = self._conn
        if conn.closed:
            return True
        for _ in range(4):  # the server's notice, then the end of the stream
            try:
                ready, _, _ = select.select([conn.fileno()], [], [], 0)
            except (OSError, ValueError):
                return True
            if not ready:
                return False
            try:
                conn.pgconn.consume_input()
            except self._psycopg.OperationalError:
                return True
            if conn.pgconn.status != self._psycopg.pq.ConnStatus.OK:
                return True
        return False

    def _reopen_if_dropped(self) -> None:
        """Outside a transaction of ours, a connection the server dropped while idle is
        replaced before the next statement."""
        if not self._began and self._dropped_while_idle():
            self._conn.close()
            self._conn = self._connect()

    def _raw(self, text: str, params: tuple[Any, ...] | None = None) -> PgCursor:
        head = text.lstrip()[:8].upper()
        ends = head.startswith(("COMMIT", "ROLLBACK", "END"))
        # the server dropped the connection (a restart, a failover, an administrator's
        # pg_terminate_backend): a statement outside a transaction of ours runs on a new one;
        # a transaction that was open is gone with it, so its next statements fail and its
        # ROLLBACK has nothing left to do
        self._reopen_if_dropped()
        if self._conn.closed and head.startswith("ROLLBACK"):
            self._began = False
            self._conn = self._connect()
            return PgCursor([], -1, None)
        try:
            cursor = self._run(text, params)
        except self._psycopg.OperationalError as exc:
            # a drop noticed only by this statement: BEGIN and a read did nothing, so they are
            # sent again on a new connection; a write may have been done, so it is not
            if not (self._conn.closed and not self._began
                    and head.startswith(("BEGIN", "SELECT"))):
                self._began = self._began and not ends
                raise self._wrap(exc) from None
            self._conn = self._connect()
            try:
                cursor = self._run(text, params)
            except self._psycopg.Error as again:
                raise self._wrap(again) from None
        except self._psycopg.Error as exc:
            self._began = self._began and not ends
            raise self._wrap(exc) from None
        if head.startswith("BEGIN"):
            self._began = True
        elif ends:
            self._began = False
        return cursor

    def _run(self, text: str, params: tuple[Any, ...] | None) -> PgCursor:
        with self._conn.cursor() as cur:
            cur.execute(text, None if params is None else _without_nul(params))
            rows: list[PgRow] = []
            if cur.description is not None:
                index = {d.name: i for i, d in enumerate(cur.description)}
                rows = [PgRow(index, values) for values in cur.fetchall()]
            return PgCursor(rows, cur.rowcount, None)

    def _wrap(self, exc: Exception) -> sqlite3.Error:
        return _wrapped(self._psycopg, exc)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()
