"""Crash-safe writes: a temporary file in the target's folder, fsync, then rename into place.

Every file topograd writes (``topograd.save``, weights, whole models, training checkpoints,
ONNX exports) goes through :func:`atomic_write`, so every save fails alike:

- the previous file is never touched until the new one is complete on disk;
- an operating-system error (a full disk, a read-only folder, no permission) is raised as
  an ``OSError`` of the same kind (``PermissionError``, ...) whose message names the target;
- the temporary file is ``.NAME.PID.XXXXXXXX.tmp``: hidden, in the same folder, unique per
  call (a random part, so two threads saving one path never share it) and marked with the
  writer's process id. A save killed midway leaves its temporary file behind; the next save
  of the same target removes such leftovers, but only those that match this naming scheme
  exactly and whose process is gone (``os.kill(pid, 0)``), never a file another live
  process is still writing. (Temporary files of the training checkpoints of earlier
  versions, ``.NAME.tmp-PID``, are cleaned up the same way.)
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable

_CHUNK = 1 << 22  # 4 MiB: big files are written in pieces so no single write() is huge


def _target(path) -> str:
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"expected a file path (str or os.PathLike), found "
                        f"{type(path).__name__}") from None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
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


def temp_name(name: str) -> str:
    """The name of a fresh temporary file for the target file ``name`` (a base name).

    Example:
        >>> t = temp_name("model.safetensors")
        >>> t.startswith(".model.safetensors.") and t.endswith(".tmp")
        True
        >>> _stale_pid("model.safetensors", t) == os.getpid()
        True
    """
    return f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


def _stale_pid(name: str, candidate: str) -> int | None:
    """The writer's pid when ``candidate`` is one of our temporary files for ``name``."""
    esc = re.escape(name)
    m = (re.fullmatch(rf"\.{esc}\.(\d{{1,10}})\.[0-9a-f]{{8}}\.tmp", candidate)
         or re.fullmatch(rf"\.{esc}\.tmp-(\d{{1,10}})", candidate))  # before this version
    return int(m.group(1)) if m else None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return True  # not a pid a writer can have: leave the file alone
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists (another user's), or cannot tell: keep the file
    return True


def remove_stale_temporaries(folder: str, name: str) -> list[str]:
    """Remove temporary files that a killed save of ``folder/name`` left behind.

    Only files named by this module's scheme for that target, whose writing process no
    longer exists, are removed. On Windows nothing is removed (there ``os.kill`` cannot
    probe a process without ending it).

    Args:
        folder: the target's folder.
        name: the target's base name.

    Returns:
        The names removed.

    Example:
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> open(os.path.join(d, ".m.safetensors.999999999.0123abcd.tmp"), "wb").close()
        >>> remove_stale_temporaries(d, "m.safetensors")  # pid 999999999 does not exist
        ['.m.safetensors.999999999.0123abcd.tmp']
    """
    if os.name == "nt":
        return []
    try:
        entries = os.listdir(folder)
    except OSError:
        return []
    removed = []
    prefix = f".{name}."
    for entry in entries:
        if not entry.startswith(prefix):
            continue
        pid = _stale_pid(name, entry)
        if pid is None or pid == os.getpid() or _alive(pid):
            continue
        try:
            os.unlink(os.path.join(folder, entry))
        except OSError:
            continue  # gone already, or not ours to remove
        removed.append(entry)
    return removed


def save_error(path, err: OSError) -> OSError:
    """``err`` (an ``OSError`` from writing ``path``) as the same kind of error naming the target.

    Example:
        >>> import errno
        >>> e = save_error("/ro/m.safetensors", PermissionError(errno.EACCES, "Permission denied"))
        >>> type(e).__name__, str(e)
        ('PermissionError', '[Errno 13] cannot save /ro/m.safetensors: Permission denied')
    """
    where = os.fspath(path)
    if isinstance(where, bytes):
        where = os.fsdecode(where)
    if err.errno is not None:
        why = err.strerror or os.strerror(err.errno)
        return OSError(err.errno, f"cannot save {where}: {why}")  # PermissionError for EACCES...
    try:
        return type(err)(f"cannot save {where}: {err}")
    except Exception:  # a subclass with a constructor of its own
        return OSError(f"cannot save {where}: {err}")


def atomic_write(path, data: bytes | bytearray | memoryview | Callable) -> None:
    """Write a file so that readers see either the old content or the new, never a mix.

    The bytes go to a hidden temporary file in the same folder (``.NAME.PID.XXXXXXXX.tmp``,
    unique per call), are flushed to disk, and the temporary file is renamed over ``path``
    (an atomic step on POSIX and Windows). If the process dies before the rename, ``path``
    is untouched, and the next save of ``path`` removes the temporary file it left; on an
    exception the temporary file is removed at once.

    Args:
        path: the destination file; its folder must exist.
        data: the bytes to write, or a callable ``data(f)`` that writes to the binary file
            object ``f``.

    Returns:
        None.

    Raises:
        FileNotFoundError: the folder does not exist.
        IsADirectoryError: ``path`` is a folder.
        OSError: the system refused the write (``PermissionError`` for a read-only folder,
            ``OSError`` with ``errno.ENOSPC`` for a full disk, ...); the message names
            ``path``, and any previous file at ``path`` is intact.

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
    remove_stale_temporaries(folder, name)
    tmp = os.path.join(folder, temp_name(name))
    try:
        # O_EXCL: never follow or clobber something already there; 0o666 & ~umask, like open()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as e:
        raise save_error(path, e) from e
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)
            else:
                _write_chunks(f, memoryview(data).cast("B"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise save_error(path, e) from e
        raise
    _fsync_dir(folder)


def _write_chunks(f, view: memoryview) -> None:
    for start in range(0, len(view), _CHUNK):
        f.write(view[start:start + _CHUNK])
