"""The safetensors file format, read and written here, every header field checked by hand.

A safetensors file is an 8-byte little-endian header length ``N``, ``N`` bytes of JSON
(``{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
"__metadata__": {"key": "text"}}``), then the raw little-endian tensor bytes, offsets
counted from the end of the header. Nothing in the file is ever executed. Reading and
writing the bytes is the ``safetensors`` package's job (``pip install 'topograd[io]'``);
topograd checks the header against the file's size first, so the package only ever sees a
file whose every field was checked, and a damaged file gets topograd's named error.

Every field is checked, type first, before it is used, and a file beyond these limits is
refused with a :class:`FormatError` naming the file before anything is allocated for it:

- the header (the JSON) is at most :data:`MAX_HEADER` bytes (100 MB, the limit of the
  ``safetensors`` package itself);
- a file holds at most :data:`MAX_TENSORS` tensors (100,000; counted on the raw header
  before the JSON is parsed: a 28 MiB header of 500,000 empty tensors is refused at once);
- a tensor has at most :data:`MAX_DIMS` dimensions (64, NumPy's limit), and its element
  count, zero-length dimensions aside, times its item size fits in 63 bits;
- JSON nested deeper than Python's recursion allows is refused as invalid JSON (a
  safetensors header is three levels deep; the structure of a nested checkpoint is
  limited to 64 levels by :mod:`topograd.io.tree`).

>>> import os, tempfile, numpy as np
>>> p = os.path.join(tempfile.mkdtemp(), "t.safetensors")
>>> write_tensors(p, {"w": np.ones((2, 3), np.float32)}, {"note": "hi"})
>>> tensors, meta = read_tensors(p)
>>> tensors["w"].shape, meta["note"]
((2, 3), 'hi')
"""

from __future__ import annotations

import json
import math
import os
import struct

import numpy as np

from . import _atomic
from ._atomic import atomic_write
from ._paths import foreign_format

# safetensors dtype codes that NumPy can hold, and their item sizes
DTYPES = {
    "BOOL": np.dtype(np.bool_), "U8": np.dtype(np.uint8), "I8": np.dtype(np.int8),
    "U16": np.dtype(np.uint16), "I16": np.dtype(np.int16), "F16": np.dtype(np.float16),
    "U32": np.dtype(np.uint32), "I32": np.dtype(np.int32), "F32": np.dtype(np.float32),
    "U64": np.dtype(np.uint64), "I64": np.dtype(np.int64), "F64": np.dtype(np.float64),
}
CODES = {dt: code for code, dt in DTYPES.items()}
# codes other libraries write that NumPy has no dtype for
_KNOWN_ELSEWHERE = {"BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2",
                    "C64", "I4", "U4"}
MAX_HEADER = 100_000_000  # bytes: the safetensors package refuses more as well
MAX_TENSORS = 100_000
MAX_DIMS = 64  # NumPy's limit (numpy.ndarray.ndim)
_MAX_BYTES = (1 << 63) - 1  # what NumPy can address


class FormatError(ValueError):
    """A file is not a valid safetensors file (truncated, tampered, unsupported).

    The message names the file and, where one is at fault, the tensor.
    """


def _name(path) -> str:
    return os.fspath(path)


def parse_header(buf: bytes | memoryview, path="<bytes>") -> tuple[dict, dict, int]:
    """Check a safetensors header against the bytes that follow it.

    Args:
        buf: the whole file's content.
        path: the file name to put in error messages.

    Returns:
        ``(entries, metadata, data_start)``: ``{name: (dtype, shape, begin, end)}`` with
        offsets relative to ``data_start``, the ``__metadata__`` dict (str to str), and the
        offset where the tensor bytes begin.

    Raises:
        FormatError: naming the file and the tensor, when the length prefix, the JSON,
            a dtype, a shape or an offset does not fit the file.

    Example:
        >>> import safetensors.numpy, numpy as np
        >>> raw = safetensors.numpy.save({"b": np.zeros(3, np.float32)})
        >>> entries, meta, start = parse_header(raw)
        >>> entries["b"]
        (dtype('float32'), (3,), 0, 12)
    """
    name = _name(path)
    size = len(buf)
    if size < 8:
        raise FormatError(f"{name}: truncated file of {size} bytes; a safetensors file starts "
                          f"with an 8-byte header length")
    (n,) = struct.unpack("<Q", bytes(buf[:8]))
    kind = foreign_format(bytes(buf[:8]))
    if kind is not None and (n < 2 or n > MAX_HEADER or 8 + n > size):
        raise FormatError(f"{name}: {kind}, not a safetensors file; topograd reads only "
                          f"safetensors files (.safetensors, as topograd and "
                          f"safetensors.torch.save_file write them)")
    if n < 2 or n > MAX_HEADER:
        raise FormatError(f"{name}: header length {n} is not plausible (expected 2 to "
                          f"{MAX_HEADER} bytes); not a safetensors file?")
    if 8 + n > size:
        raise FormatError(f"{name}: truncated: the header says it is {n} bytes long but only "
                          f"{size - 8} bytes follow the length prefix")
    raw = bytes(buf[8:8 + n])
    # each tensor has exactly one "data_offsets" key (the text inside a JSON string would
    # be escaped), so this bounds the count before the JSON becomes Python objects
    count = raw.count(b'"data_offsets"')
    if count > MAX_TENSORS:
        raise FormatError(f"{name}: the header describes {count} tensors; topograd reads at "
                          f"most {MAX_TENSORS} per file")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except _DuplicateKey as e:
        raise FormatError(f"{name}: the header names tensor {_short(e.args[0])} twice") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise FormatError(f"{name}: the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise FormatError(f"{name}: the header must be a JSON object, found "
                          f"{type(header).__name__}")
    metadata = header.pop("__metadata__", None)
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise FormatError(f"{name}: __metadata__ must map strings to strings")
    if len(header) > MAX_TENSORS:  # the scan above cannot be fooled, but say it plainly
        raise FormatError(f"{name}: the header describes {len(header)} tensors; topograd "
                          f"reads at most {MAX_TENSORS} per file")
    data_len = size - 8 - n
    entries = {key: _check_entry(name, key, info, data_len) for key, info in header.items()}
    # the tensors must tile the data area exactly: no gaps, no overlaps, nothing after
    pos, last = 0, None
    for key, (_, _, begin, end) in sorted(entries.items(), key=lambda kv: kv[1][2:]):
        if begin != pos:
            what = (f"overlaps tensor {last!r}" if begin < pos else
                    f"leaves {begin - pos} unclaimed bytes before it")
            raise FormatError(f"{name}: tensor {key!r}: data_offsets [{begin}, {end}] {what}")
        pos, last = end, key
    if pos != data_len:
        raise FormatError(f"{name}: the tensors cover {pos} bytes but {data_len} bytes of data "
                          f"follow the header (truncated or padded file)")
    return entries, metadata, 8 + n


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _short(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _check_entry(name: str, key: str, info, data_len: int):
    where = f"{name}: tensor {_short(key)}"
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        found = sorted(info) if isinstance(info, dict) else type(info).__name__
        raise FormatError(f"{where}: expected the fields dtype, shape, data_offsets, "
                          f"found {found}")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(code, str):  # checked first: a list is not even hashable
        raise FormatError(f"{where}: dtype {_short(code)} is not a safetensors dtype "
                          f"(expected a string, one of {', '.join(DTYPES)})")
    if code not in DTYPES:
        why = ("has no NumPy equivalent" if code in _KNOWN_ELSEWHERE
               else f"is not a safetensors dtype (expected one of {', '.join(DTYPES)})")
        raise FormatError(f"{where}: dtype {_short(code)} {why}")
    if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
        raise FormatError(f"{where}: shape must be a list of non-negative ints, found "
                          f"{_short(shape)}")
    if len(shape) > MAX_DIMS:
        raise FormatError(f"{where}: shape has {len(shape)} dimensions; at most {MAX_DIMS} "
                          f"are supported")
    if math.prod(d for d in shape if d) * DTYPES[code].itemsize > _MAX_BYTES:
        raise FormatError(f"{where}: shape {_short(shape)} is too large to address")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(_is_int(o) for o in offsets) or not 0 <= offsets[0] <= offsets[1]):
        raise FormatError(f"{where}: data_offsets must be [begin, end] with "
                          f"0 <= begin <= end, found {_short(offsets)}")
    begin, end = offsets
    dtype = DTYPES[code]
    need = math.prod(shape) * dtype.itemsize
    if end - begin != need:
        raise FormatError(f"{where}: data_offsets [{begin}, {end}] span {end - begin} bytes but "
                          f"dtype {code} and shape {shape} need {need}")
    if end > data_len:
        raise FormatError(f"{where}: data_offsets [{begin}, {end}] run past the end of the file "
                          f"({data_len} bytes of data; truncated?)")
    return dtype, tuple(shape), begin, end


def read_header(path) -> tuple[dict, dict]:
    """Read and check only the header of a safetensors file (no tensor bytes are parsed).

    Args:
        path: the file.

    Returns:
        ``(entries, metadata)``: ``{name: (dtype, shape)}`` and the ``__metadata__`` dict.

    Raises:
        FileNotFoundError: no such file.
        FormatError: the header does not fit the file (names the file and the tensor).

    Example:
        >>> import os, tempfile, numpy as np
        >>> p = os.path.join(tempfile.mkdtemp(), "h.safetensors")
        >>> write_tensors(p, {"w": np.zeros((4, 2), np.float64)})
        >>> read_header(p)[0]
        {'w': (dtype('float64'), (4, 2))}
    """
    with _open(path) as f:
        entries, metadata, _ = _checked_header(f, path)
    return {k: (v[0], v[1]) for k, v in entries.items()}, metadata


def _checked_header(f, path) -> tuple[dict, dict, int]:
    """:func:`parse_header` on an open file, reading only the header (the sizes are the
    file's own)."""
    head = f.read(8)
    size = os.fstat(f.fileno()).st_size
    n = struct.unpack("<Q", head)[0] if len(head) == 8 else 0
    raw = head + (f.read(n) if 0 < n <= MAX_HEADER else b"")
    return parse_header(_Sized(raw, size), path)


class _Sized:
    """Bytes of a header that report the whole file's length (the body is not read)."""

    def __init__(self, raw: bytes, size: int):
        self.raw, self.size = raw, size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, s: slice) -> bytes:
        return self.raw[s]


def _open(path):
    name = _name(path)
    if os.path.isdir(name):
        raise IsADirectoryError(f"{name}: is a folder, expected a safetensors file")
    try:
        return open(name, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(f"{name}: no such file") from None


def read_tensors(path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read every tensor of a safetensors file as NumPy arrays, after checking the header.

    Only the header is read first and checked against the file's size; then the
    ``safetensors`` package decodes the checked file.

    Args:
        path: the file.

    Returns:
        ``(tensors, metadata)``: ``{name: ndarray}`` (in file order) and ``__metadata__``.

    Raises:
        FileNotFoundError: no such file.
        FormatError: the file is truncated or its header lies (names the file and tensor).

    Example:
        >>> import os, tempfile, numpy as np
        >>> p = os.path.join(tempfile.mkdtemp(), "r.safetensors")
        >>> write_tensors(p, {"b": np.arange(3, dtype=np.int64)})
        >>> read_tensors(p)[0]["b"].tolist()
        [0, 1, 2]
    """
    numpy_io = _safetensors()
    with _open(path) as f:
        entries, metadata, _ = _checked_header(f, path)
        f.seek(0)
        raw = f.read()
    try:
        arrays = numpy_io.load(raw)
    except Exception as e:  # the header was checked: only a file changed meanwhile gets here
        raise FormatError(f"{_name(path)}: not a readable safetensors file "
                          f"({type(e).__name__}: {e})") from None
    return {key: arrays[key] for key in entries}, metadata


def _safetensors():
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError("reading and writing model files needs the safetensors package: "
                          "pip install 'topograd[io]'") from None
    return safetensors.numpy


def _checked(tensors: dict, metadata: dict | None) -> dict:
    """``tensors`` as C-contiguous little-endian arrays, every name and dtype checked."""
    arrays = {}
    for key, value in tensors.items():
        if not isinstance(key, str) or not key or key == "__metadata__":
            raise ValueError(f"tensor names must be non-empty strings other than "
                             f"'__metadata__', found {key!r}")
        arr = np.asarray(value)
        if CODES.get(arr.dtype.newbyteorder("=")) is None:
            raise TypeError(f"cannot save tensor {key!r}: dtype {arr.dtype} does not fit "
                            f"safetensors (expected bool, int8..int64, uint8..uint64 or "
                            f"float16..float64)")
        arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        # not np.ascontiguousarray: it would turn a 0-d array into shape (1,)
        arrays[key] = arr if arr.flags.c_contiguous else arr.copy(order="C")
    if metadata is not None and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError("metadata must map strings to strings")
    return arrays


def encode_tensors(tensors: dict, metadata: dict | None = None) -> bytes:
    """Serialize ``{name: ndarray}`` and string metadata to safetensors bytes.

    The names, dtypes and metadata are checked here (errors name the tensor); the bytes are
    the ``safetensors`` package's.

    Args:
        tensors: names (non-empty str) to arrays of a dtype in :data:`DTYPES`.
        metadata: optional ``{str: str}`` stored in the header.

    Returns:
        The file content.

    Example:
        >>> import numpy as np
        >>> len(encode_tensors({"x": np.zeros(2, np.float32)})) > 8
        True
    """
    arrays = _checked(tensors, metadata)
    return _safetensors().save(arrays, metadata=dict(metadata) if metadata else None)


def write_tensors(path, tensors: dict, metadata: dict | None = None) -> None:
    """Write ``{name: ndarray}`` to a safetensors file atomically (temporary file + rename).

    Args:
        path: the destination; a crash during the write leaves any previous file intact.
        tensors: names to arrays (see :func:`encode_tensors`).
        metadata: optional ``{str: str}`` stored in the header.

    Returns:
        None.

    Example:
        >>> import os, tempfile, numpy as np
        >>> p = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> write_tensors(p, {"w": np.eye(2, dtype=np.float32)})
        >>> os.path.exists(p)
        True
    """
    raw = encode_tensors(tensors, metadata)
    atomic_write(path, lambda f: _atomic._write_chunks(f, memoryview(raw)))
