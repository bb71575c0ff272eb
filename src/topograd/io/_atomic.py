"""Crash-safe writes: a temporary file in the target's folder, fsync, then rename into place."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable

_CHUNK = 1 << 22  # 4 MiB: big files are written in pieces so no single write() is huge


def _target(path) -> str:
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"expected a file path (str or os.PathLike), found "
                        f"{type(path).__name__}") from None
    if not path:
        raise ValueError("expected a file path, found an empty string")
    # write through a symlink to the file it names, so the link survives the rename
    return os.path.realpath(path)


def _fsync_dir(folder: str) -> None:
    # make the rename itself durable; not possible (or needed) on every platform
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


def atomic_write(path, data: bytes | bytearray | memoryview | Callable) -> None:
    """Write a file so that readers see either the old content or the new, never a mix.

    The bytes go to a hidden temporary file in the same folder (``.NAME.XXXXXXXX.tmp``),
    are flushed to disk, and the temporary file is renamed over ``path`` (an atomic step on
    POSIX and Windows). If the process dies before the rename, ``path`` is untouched; on an
    exception the temporary file is removed.

    Args:
        path: the destination file; its folder must exist.
        data: the bytes to write, or a callable ``data(f)`` that writes to the binary file
            object ``f``.

    Returns:
        None.

    Raises:
        FileNotFoundError: the folder does not exist.
        IsADirectoryError: ``path`` is a folder.

    Example:
        >>> import os, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "a.bin")
        >>> atomic_write(p, b"hello")
        >>> open(p, "rb").read()
        b'hello'
    """
    target = _target(path)
    folder, name = os.path.split(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {os.fspath(path)}: folder {folder} does not exist")
    if os.path.isdir(target):
        raise IsADirectoryError(f"cannot write {os.fspath(path)}: it is a folder")
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
    # O_EXCL: never follow or clobber something already there; 0o666 & ~umask, like open()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)
            else:
                _write_chunks(f, memoryview(data).cast("B"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


def _write_chunks(f, view: memoryview) -> None:
    for start in range(0, len(view), _CHUNK):
        f.write(view[start:start + _CHUNK])
