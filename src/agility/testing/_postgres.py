"""A throwaway PostgreSQL server on 127.0.0.1 for tests and benchmarks (Debian's ``postgresql``).

``initdb`` makes a cluster in a temporary folder, ``pg_ctl`` starts it on a free port with
password (SCRAM) authentication, and :meth:`PostgresServer.stop` removes it all. PostgreSQL
refuses to run as root, so under root the server runs as the ``postgres`` system user the
Debian package creates (``runuser``). Clients get the password through ``PGPASSWORD`` (see
:meth:`PostgresServer.environ`), never in a URL.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["PostgresServer", "postgres_bin_dir"]


def postgres_bin_dir() -> Path | None:
    """The folder of Debian's PostgreSQL server programs (the newest), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name)
                   if Path(p).parent.parent.name.isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """A PostgreSQL cluster of its own, started by :meth:`start`.

    Args:
        durable: keep PostgreSQL's default crash safety (``fsync``, synchronous commits), as a
            benchmark must; False (tests) turns fsync off for speed on a shared disk.
    """

    user = "agility"

    def __init__(self, *, durable: bool = False) -> None:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL's server is not installed "
                               "(apt-get install postgresql)")
        self.bin_dir = bin_dir
        self.durable = durable
        self.port = 0
        self.password = secrets.token_urlsafe(16)
        self._root = Path(tempfile.mkdtemp(prefix="agility-pg-"))
        self.data_dir = self._root / "data"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)

    def start(self) -> PostgresServer:
        """Make the cluster and start the server; returns self."""
        pwfile = self._root / "pw"
        pwfile.write_text(self.password + "\n")
        if self._as_postgres:
            shutil.chown(self._root, "postgres")
            shutil.chown(pwfile, "postgres")
        self._root.chmod(0o700)
        done = self._run("initdb", "-D", str(self.data_dir), "-U", self.user,
                         "--pwfile", str(pwfile), "--auth=scram-sha-256", "-E", "UTF8",
                         "--locale=C")
        pwfile.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()}")
        self.port = _free_port()
        self._serve()
        return self

    def _serve(self) -> None:
        settings = [f"-p {self.port}", "-h 127.0.0.1", f"-k {self._root}", "-N 200"]
        if not self.durable:
            settings += ["-F", "-c synchronous_commit=off", "-c full_page_writes=off"]
        done = self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self._root / "log"),
                         "-w", "-t", "60", "-o", " ".join(settings), "start")
        if done.returncode != 0:
            log = (self._root / "log").read_text(errors="replace")[-2000:] \
                if (self._root / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()} {log}")

    def go_down(self) -> None:
        """Stop the server (fast shutdown: every connection dropped) and keep its data and
        port: a server that went away, for tests (:meth:`come_back` starts it again;
        :meth:`stop` works either way)."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def come_back(self) -> None:
        """Start the server again after :meth:`go_down`, on the same port with the same data."""
        self._serve()

    def restart(self, down_s: float = 0.0) -> None:
        """:meth:`go_down`, stay down ``down_s`` seconds, :meth:`come_back`: a restart or a
        failover, for tests."""
        self.go_down()
        time.sleep(down_s)
        self.come_back()

    def environ(self) -> dict[str, str]:
        """The environment a client needs (the password goes in ``PGPASSWORD``)."""
        return {"PGPASSWORD": self.password}

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL of one database (no password in it)."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create database ``name``; returns its URL."""
        import psycopg

        with psycopg.connect(self.url(), password=self.password, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder."""
        if (self.data_dir / "postmaster.pid").exists():  # not when it went down
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
