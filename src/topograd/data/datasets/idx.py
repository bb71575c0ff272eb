"""Reader for the IDX format of the MNIST files, with errors that name the file and the fault."""

from __future__ import annotations

import gzip
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


def read_bytes(path: str | Path) -> bytes:
    """The contents of ``path``, gunzipped when it is gzip data.

    Args:
        path: a raw or gzipped file.

    Returns:
        The (decompressed) bytes.

    Raises:
        IDXFormatError: a ``.gz`` file that is not gzip data, or a truncated/corrupt gzip stream.

    >>> import gzip, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.gz")
    >>> with gzip.open(p, "wb") as f:
    ...     _ = f.write(b"abc")
    >>> read_bytes(p)
    b'abc'
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        if path.suffix == ".gz":
            raise IDXFormatError(f"{path.name}: not a gzip file (it should start with bytes "
                                 f"1f 8b, found {raw[:2].hex(' ') or 'an empty file'})")
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError as err:
        raise IDXFormatError(f"{path.name}: truncated gzip file ({len(raw)} compressed bytes, "
                             f"the stream ends early: {err}); delete it and fetch it "
                             "again") from None
    except (OSError, zlib.error) as err:
        raise IDXFormatError(f"{path.name}: corrupt gzip data ({err}); delete it and fetch it "
                             "again") from None


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


def read_idx(path: str | Path, magic: int) -> np.ndarray:
    """Read an IDX file (raw or gzipped) holding unsigned bytes.

    Args:
        path: the file.
        magic: 2051 for images, 2049 for labels.

    Returns:
        The uint8 array (``(n, rows, cols)`` for images, ``(n,)`` for labels).

    Raises:
        IDXFormatError: the file is corrupt, truncated or of the wrong kind; the message
            starts with the file name.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "labels")
    >>> with open(p, "wb") as f:
    ...     _ = f.write((2049).to_bytes(4, "big") + (1).to_bytes(4, "big") + bytes([5]))
    >>> read_idx(p, 2049).tolist()
    [5]
    """
    path = Path(path)
    return parse_idx(read_bytes(path), path.name, magic)
