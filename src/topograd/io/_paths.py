"""File names and file kinds: topograd writes only safetensors, and says so.

A name ending in ``.safetensors`` (any case) or a name without an extension (what
topograd has always accepted, e.g. a temporary file) is written; any other extension is
refused before anything is written, the way Keras 3 refuses a name it cannot honour, so
``model.save("model.h5")`` never leaves a safetensors file under an HDF5 name. Reading is
judged by content, not by name: :func:`foreign_format` names the format of a file that
is not safetensors (HDF5, a zip archive, a pickle, a NumPy array).

>>> check_save_path("model.safetensors")
>>> try:
...     check_save_path("model.h5")
... except ValueError as e:
...     print(str(e).split("(found ")[1])
'model.h5': HDF5, the format of Keras 2's .h5 files, is not supported)
"""

from __future__ import annotations

import os

EXTENSION = ".safetensors"

# extensions of other libraries' formats, and what to call them in an error
_FOREIGN = {
    ".h5": "HDF5, the format of Keras 2's .h5 files,",
    ".hdf5": "HDF5, the format of Keras 2's .h5 files,",
    ".keras": "the Keras 3 .keras zip archive",
    ".pt": "PyTorch's pickle-based .pt format",
    ".pth": "PyTorch's pickle-based .pth format",
    ".ckpt": "a pickle-based .ckpt checkpoint",
    ".pkl": "pickle", ".pickle": "pickle",
    ".npz": "NumPy's .npz archive", ".npy": "NumPy's .npy format",
    ".onnx": "ONNX (write it with topograd.onnx.export or 'topograd export')",
    ".json": "JSON",
}


def check_save_path(path, what: str = "models") -> None:
    """Refuse a destination whose extension promises a format topograd does not write.

    Args:
        path: the file about to be written (str or os.PathLike).
        what: what is being saved, for the message (``"models"``, ``"weights"``, ...).

    Returns:
        None.

    Raises:
        ValueError: the name ends in an extension other than ``.safetensors``.
        TypeError: ``path`` is not a file path.

    Example:
        >>> check_save_path("checkpoint")  # no extension: allowed
    """
    try:
        name = os.fspath(path)
    except TypeError:
        raise TypeError(f"expected a file path (str or os.PathLike), found "
                        f"{type(path).__name__}") from None
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    ext = os.path.splitext(os.path.basename(name))[1]
    if not ext or ext.lower() == EXTENSION:
        return
    kind = _FOREIGN.get(ext.lower())
    why = (f"{kind} is not supported" if kind else
           f"{ext!r} is not an extension topograd writes")
    raise ValueError(f"topograd saves {what} in the safetensors format; use a {EXTENSION} "
                     f"file name (found {os.path.basename(name)!r}: {why})")


_MAGIC = (
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (Keras 2's .h5 format)"),
    (b"PK\x03\x04", "a zip archive (a Keras 3 .keras file or a PyTorch .pt/.pth file)"),
    (b"\x93NUMPY", "a NumPy .npy file"),
)


def foreign_format(head: bytes) -> str | None:
    """What a file is when it is not safetensors, from its first bytes, or None.

    Example:
        >>> foreign_format(b"\\x89HDF\\r\\n\\x1a\\n\\x00")
        "an HDF5 file (Keras 2's .h5 format)"
    """
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "a Python pickle (e.g. torch.save's legacy format)"
    return None
