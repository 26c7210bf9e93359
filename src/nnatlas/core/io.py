"""File I/O that every layer of nnatlas shares: atomic writes and JSON reads.

A reader, or a process killed mid-write, sees the old file or the new one, never half of one:
every writer here writes a temporary file in the target's folder, flushes it to disk and
renames it over the target. Failures of the file system (not a directory, no permission, disk
full) are raised as :class:`~nnatlas.core.errors.StorageError`, a one-line user error naming
the path, so the command line never shows a traceback for them.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import uuid
from pathlib import Path
from typing import Any

from nnatlas.core.errors import StorageError

__all__ = [
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "check_writable_dir",
    "read_json",
    "storage_error",
]

_WHY = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a path component is a file, not a directory",
    errno.EISDIR: "it is a directory",
    errno.ENOENT: "no such file or directory",
}


def storage_error(exc: OSError, path: str | os.PathLike[str], action: str) -> StorageError:
    """A one-line :class:`StorageError` for an ``OSError`` met while ``action`` on ``path``."""
    why = _WHY.get(exc.errno or -1, exc.strerror or type(exc).__name__)
    err = StorageError(f"cannot {action} {str(path)!r}: {why}")
    err.errno = exc.errno
    return err


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, then rename.

    Raises:
        StorageError: the folder cannot be created or written (the message names the path).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, path.parent, "create the folder") from None
    # A unique name opened with O_EXCL and mode 0o666, so the kernel applies the umask as for a
    # plain open() (mkstemp would make the file 0600, and reading the umask means setting it).
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise storage_error(exc, path, "write") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise storage_error(exc, path, "write") from None
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Parse the JSON file at ``path``.

    Raises:
        FileNotFoundError: the file does not exist (callers often treat that as "not yet").
        json.JSONDecodeError: the file is not JSON (e.g. a write that was never finished).
        StorageError: the path cannot be read (not a directory on the way, no permission).
    """
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise
    except (NotADirectoryError, PermissionError, IsADirectoryError) as exc:
        raise storage_error(exc, path, "read") from None


def check_writable_dir(path: str | os.PathLike[str], what: str = "--out") -> Path:
    """Make sure ``path`` is (or can be created as) a writable directory; return it.

    Raises:
        StorageError: naming ``what``, the path and why it cannot be used.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise StorageError(f"{what} {str(path)!r} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"{what}: {storage_error(exc, path, 'create the folder')}") from None
    probe = path / f".nnatlas-write-test.{os.getpid()}.{uuid.uuid4().hex}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            os.write(fd, b"ok")
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise StorageError(f"{what}: {storage_error(exc, path, 'write in')}") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return path
