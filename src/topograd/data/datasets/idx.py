"""Reader for the IDX format of the MNIST files, with errors that name the file and the fault."""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions (count, rows, cols)
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension (count)
_KIND = {IMAGES_MAGIC: "an image file", LABELS_MAGIC: "a label file"}


class IDXFormatError(ValueError):
    """An IDX file is corrupt, truncated, or not the kind of file expected.

    A ``ValueError`` whose message starts with the file name and says what was expected and
    what was found.

    >>> try:
    ...     parse_idx(bytes(2), "labels.gz", 2049)
    ... except IDXFormatError as err:
    ...     print(err)
    labels.gz: expected an IDX header (magic number 2049), found only 2 bytes
    """


MAX_IDX_BYTES = 2 ** 30  # the most data an IDX file may declare (1 GiB of unsigned bytes)
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_SLACK = 1 << 16  # bytes read past an IDX file's declared size, to report how many more


def _open(path: Path):
    """``path`` opened for reading its (decompressed) bytes: a gzip stream when it starts
    with gzip's magic bytes, else the raw file; a ``.gz`` name must hold gzip data."""
    raw = open(path, "rb")
    head = raw.read(2)
    raw.seek(0)
    if head == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    if path.suffix == ".gz":
        raw.close()
        raise IDXFormatError(f"{path.name}: not a gzip file (it should start with bytes "
                             f"1f 8b, found {head.hex(' ') or 'an empty file'})")
    return raw, raw


def _gzip_errors(path: Path, fn):
    """``fn()``, with a damaged gzip stream reported as an :class:`IDXFormatError`."""
    try:
        return fn()
    except EOFError as err:
        size = path.stat().st_size
        raise IDXFormatError(f"{path.name}: truncated gzip file ({size} compressed bytes, "
                             f"the stream ends early: {err}); delete it and fetch it "
                             "again") from None
    except (OSError, zlib.error) as err:
        raise IDXFormatError(f"{path.name}: corrupt gzip data ({err}); delete it and fetch it "
                             "again") from None


def _read_up_to(f, n: int) -> bytes:
    """At most ``n`` bytes from ``f`` (fewer at the end of the stream), read in chunks."""
    parts, left = [], n
    while left > 0:
        chunk = f.read(min(left, _CHUNK))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def read_bytes(path: str | Path, limit: int = MAX_IDX_BYTES + 64) -> bytes:
    """The contents of ``path``, gunzipped when it is gzip data (at most ``limit`` bytes).

    The gzip stream is read in chunks and abandoned as soon as it exceeds ``limit``, so a
    small file that decompresses to gigabytes (a gzip bomb) costs no more than ``limit``.

    Args:
        path: a raw or gzipped file.
        limit: the most bytes it may hold (decompressed).

    Returns:
        The (decompressed) bytes.

    Raises:
        IDXFormatError: a ``.gz`` file that is not gzip data, a truncated/corrupt gzip
            stream, or more than ``limit`` bytes.

    >>> import gzip, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.gz")
    >>> with gzip.open(p, "wb") as f:
    ...     _ = f.write(b"abc")
    >>> read_bytes(p)
    b'abc'
    """
    path = Path(path)
    f, raw = _open(path)
    with raw, f:
        data = _gzip_errors(path, lambda: _read_up_to(f, limit + 1))
    if len(data) > limit:
        raise IDXFormatError(f"{path.name}: holds more than {limit} bytes (decompressed); "
                             f"not an IDX file topograd reads")
    return data


def _describe(magic: int, dims: tuple[int, ...]) -> str:
    if magic == IMAGES_MAGIC:
        return f"image data for {dims[0]} images of {dims[1]}x{dims[2]}"
    if magic == LABELS_MAGIC:
        return f"label data for {dims[0]} labels"
    return f"data for shape {dims}"


def parse_idx(raw: bytes, name: str, magic: int) -> np.ndarray:
    """Parse IDX bytes of unsigned bytes (``magic`` 2051 images or 2049 labels) into an array.

    Args:
        raw: the decompressed file contents.
        name: the file name, used in error messages.
        magic: the magic number the file must carry.

    Returns:
        A uint8 array shaped by the header's dimensions.

    Raises:
        IDXFormatError: wrong magic number, short header, or a data length that does not
            match the header.

    >>> import numpy as np
    >>> raw = (2049).to_bytes(4, "big") + (3).to_bytes(4, "big") + bytes([7, 2, 1])
    >>> parse_idx(raw, "labels", 2049).tolist()
    [7, 2, 1]
    """
    if len(raw) < 4:
        raise IDXFormatError(f"{name}: expected an IDX header (magic number {magic}), found "
                             f"only {len(raw)} bytes")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        hint = f"; this looks like {_KIND[found]}" if found in _KIND else ""
        raise IDXFormatError(f"{name}: expected magic number {magic} ({_KIND[magic]}), "
                             f"found {found}{hint}")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXFormatError(f"{name}: expected a {header}-byte header, found {len(raw)} bytes")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise IDXFormatError(f"{name}: expected {expected} bytes of {_describe(magic, dims)}, "
                             f"found {len(raw)}")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(dims).copy()


def read_idx(path: str | Path, magic: int, max_dims: tuple | None = None) -> np.ndarray:
    """Read an IDX file (raw or gzipped) holding unsigned bytes.

    The header is read first, and the size it declares is checked before the data is
    read: at most :data:`MAX_IDX_BYTES`, and each dimension at most ``max_dims``'s when
    given (the official MNIST files: 60000 or 10000 images of 28x28). The data must then
    be exactly that size: a gzip stream is decompressed in chunks, and reading stops
    64 KiB past the declared size, so a gzip bomb is refused after at most that much.

    Args:
        path: the file.
        magic: 2051 for images, 2049 for labels.
        max_dims: the largest dimensions the file may declare, or None.

    Returns:
        The uint8 array (``(n, rows, cols)`` for images, ``(n,)`` for labels).

    Raises:
        IDXFormatError: the file is corrupt, truncated, of the wrong kind, larger than it
            may be, or holds more or less data than its header declares; the message
            starts with the file name.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "labels")
    >>> with open(p, "wb") as f:
    ...     _ = f.write((2049).to_bytes(4, "big") + (1).to_bytes(4, "big") + bytes([5]))
    >>> read_idx(p, 2049).tolist()
    [5]
    """
    path = Path(path)
    name = path.name
    f, raw = _open(path)
    with raw, f:
        head = _gzip_errors(path, lambda: _read_up_to(f, 4))
        if len(head) == 4 and int.from_bytes(head, "big") == magic:
            head += _gzip_errors(path, lambda: _read_up_to(f, 4 * (magic & 0xFF)))
        header = 4 + 4 * (magic & 0xFF)
        if len(head) < header:  # parse_idx names what is wrong with a short header
            parse_idx(head, name, magic)
        dims = tuple(int(d) for d in np.frombuffer(head, ">u4", count=magic & 0xFF, offset=4))
        size = math.prod(dims)
        if max_dims is not None and any(d > m for d, m in zip(dims, max_dims)):
            raise IDXFormatError(f"{name}: the header declares {_describe(magic, dims)}, "
                                 f"more than the official file's "
                                 f"{_describe(magic, tuple(max_dims))}")
        if size > MAX_IDX_BYTES:
            raise IDXFormatError(f"{name}: the header declares {_describe(magic, dims)} "
                                 f"({header + size} bytes); topograd reads IDX files of at "
                                 f"most {MAX_IDX_BYTES} bytes of data")
        if f is raw:  # a raw file's size is known before reading it
            found = os.fstat(raw.fileno()).st_size
            if found != header + size:
                raise IDXFormatError(f"{name}: expected {header + size} bytes of "
                                     f"{_describe(magic, dims)}, found {found}")
        # a little past the declared size, to say how much more there is
        body = _gzip_errors(path, lambda: _read_up_to(f, size + _SLACK + 1))
    if len(body) != size:
        found = (f"{header + len(body)}" if len(body) <= size + _SLACK
                 else f"more than {header + size + _SLACK}")
        raise IDXFormatError(f"{name}: expected {header + size} bytes of "
                             f"{_describe(magic, dims)}, found {found}")
    return np.frombuffer(body, np.uint8).reshape(dims).copy()
