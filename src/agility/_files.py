"""Files agility produces are written atomically, and what went wrong is said plainly.

Every report, export, manifest, dataset and graded file goes through :func:`atomic_path` (or
:func:`atomic_write` / :func:`atomic_open` on top of it): the content is written to a temporary
file in the target's folder, flushed and fsynced, then renamed over the target with
``os.replace``. A reader therefore sees the old file or the new one, never half of one; on a
full disk the old file survives intact and no empty or truncated file is left behind (a 0-byte
freeze manifest used to block every later command on its dataset).

:func:`describe_os_error` turns an ``OSError`` into the few words a user needs ("the disk is
full"), for the one-line errors the CLI prints.
"""

from __future__ import annotations

import errno
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_open", "atomic_path", "atomic_write", "describe_os_error"]

_UMASK_LOCK = threading.Lock()
_UMASK: int | None = None


def _umask() -> int:
    # os.umask can only be read by setting it; do it once, under a lock
    global _UMASK
    with _UMASK_LOCK:
        if _UMASK is None:
            current = os.umask(0o022)
            os.umask(current)
            _UMASK = current
        return _UMASK


def _fsync_dir(folder: Path) -> None:
    # the rename is durable once the folder's entry is on disk; not every platform allows it
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``target``; on a clean exit it is fsynced and renamed over it.

    For libraries that write to a path themselves (``pyarrow.parquet.write_table``)::

        with atomic_path(out) as tmp:
            pq.write_table(table, tmp)

    The target's folder is created. If the block raises, the temporary file is removed and
    ``target`` is left as it was.

    Raises:
        OSError: the folder cannot be created or the file cannot be written, fsynced or
            renamed (``errno.ENOSPC`` on a full disk).
    """
    target = Path(target)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        os.close(fd)
        yield tmp
        try:
            mode = target.stat().st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    _fsync_dir(folder)


@contextmanager
def atomic_open(target: str | os.PathLike[str], mode: str = "w", *, encoding: str = "utf-8",
                newline: str | None = None) -> Iterator[IO[Any]]:
    """Open a file for writing that replaces ``target`` atomically when the block ends.

    Args:
        target: the file to produce.
        mode: ``"w"`` (text) or ``"wb"`` (binary).
        encoding: the text encoding (text mode only).
        newline: as for :func:`open` (text mode only).

    Raises:
        OSError: as :func:`atomic_path`.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes a whole file: mode 'w' or 'wb', not {mode!r}")
    with atomic_path(target) as tmp:
        if mode == "wb":
            with tmp.open("wb") as handle:
                yield handle
        else:
            with tmp.open("w", encoding=encoding, newline=newline) as handle:
                yield handle


def atomic_write(target: str | os.PathLike[str], data: str | bytes, *,
                 encoding: str = "utf-8", newline: str | None = None) -> Path:
    """Write ``data`` to ``target`` atomically (temporary file, fsync, rename).

    Returns:
        ``target`` as a Path.

    Raises:
        OSError: as :func:`atomic_path`.
    """
    if isinstance(data, bytes):
        with atomic_open(target, "wb") as handle:
            handle.write(data)
    else:
        with atomic_open(target, "w", encoding=encoding, newline=newline) as handle:
            handle.write(data)
    return Path(target)


_PLAIN = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file is larger than this system allows (file size limit)",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "no such file or folder",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOTDIR: "a part of the path is not a folder",
}


def describe_os_error(exc: OSError) -> str:
    """A few plain words for ``exc``: "the disk is full", "permission denied", ..."""
    plain = _PLAIN.get(exc.errno or -1)
    if plain is not None:
        return plain
    return exc.strerror or str(exc) or type(exc).__name__
