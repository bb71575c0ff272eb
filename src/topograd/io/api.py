"""Nested objects in one safetensors file: ``topograd.save(obj, path)`` / ``topograd.load(path)``.

The arrays are the file's tensors and the rest of the object is a JSON skeleton in the
header (:mod:`topograd.io.tree`). The faces build their own files on the same two calls
(:func:`save_tree` / :func:`load_tree`), which add a format name to the header
(``topograd.format``: ``"checkpoint"`` for :func:`topograd.train.save_checkpoint`), so a
training checkpoint is read through the same header checks as ``topograd.load`` and
:func:`topograd.load` reads any of them.
"""

from __future__ import annotations

import json
import os

import numpy as np

from ._paths import check_save_path
from .tensorfile import FormatError, read_tensors, write_tensors
from .tree import flatten, unflatten

TREE_KEY = "topograd.tree"
VERSION_KEY = "topograd.version"
FORMAT_KEY = "topograd.format"  # what kind of topograd file: "checkpoint", "keras-model"
RESERVED_PREFIX = "topograd."


class MismatchError(ValueError):
    """A file's tensors do not fit a model: a tensor missing, extra, or of the wrong shape/dtype.

    The message names the file and the tensor.
    """


def _version() -> str:
    from topograd import __version__

    return __version__


def encode(obj, metadata: dict | None = None) -> tuple[dict, dict]:
    """Turn a checkpoint object into ``(tensors, header metadata)`` for a safetensors file.

    Args:
        obj: a state dict or any nesting of dicts/lists/tuples, numbers, strings, None,
            arrays and Tensors.
        metadata: extra ``{str: str}`` for the header (keys may not start with ``topograd.``).

    Returns:
        ``({name: ndarray}, {str: str})``.

    Example:
        >>> t, m = encode({"w": np.zeros(2, np.float32)}, {"author": "me"})
        >>> list(t), m["author"]
        (['w'], 'me')
    """
    meta = {}
    for k, v in (metadata or {}).items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"metadata must map str to str, found {k!r}: {type(v).__name__}")
        if k.startswith(RESERVED_PREFIX):
            raise ValueError(f"metadata key {k!r}: keys starting with 'topograd.' are reserved")
        meta[k] = v
    tensors, skeleton = flatten(obj)
    meta[TREE_KEY] = json.dumps(skeleton, separators=(",", ":"), allow_nan=False)
    meta[VERSION_KEY] = _version()
    return tensors, meta


def decode(tensors: dict, metadata: dict, where: str = "<file>", as_numpy: bool = False):
    """Rebuild the object :func:`encode` split (files without a structure give a flat dict).

    Args:
        tensors: ``{name: ndarray}`` read from the file.
        metadata: the file's ``__metadata__``.
        where: the file name for error messages.
        as_numpy: give tensors back as ndarrays instead of topograd Tensors.

    Returns:
        The saved object.

    Example:
        >>> t, m = encode([1, np.ones(2)])
        >>> decode(t, m)[0]
        1
    """
    tree = metadata.get(TREE_KEY)
    if tree is None:  # a plain safetensors file (e.g. from PyTorch): a flat state dict
        if as_numpy:
            return dict(tensors)
        from topograd.tensor import Tensor

        return {k: Tensor._from_array(v) for k, v in tensors.items()}
    try:
        skeleton = json.loads(tree)
    except (ValueError, RecursionError) as e:
        raise FormatError(f"{where}: metadata {TREE_KEY!r} is not valid JSON ({e})") from None
    try:
        return unflatten(skeleton, tensors, as_tensor=not as_numpy, where=where)
    except ValueError as e:
        raise FormatError(str(e)) from None


def save(obj, path, metadata: dict | None = None) -> None:
    """Save a state dict (or a nested checkpoint) to a safetensors file, atomically.

    A flat ``{name: tensor}`` dict is stored under exactly those names, so
    ``safetensors.torch.load_file(path)`` gives a state dict PyTorch can load. Nested
    objects (``{"model": ..., "optimizer": opt.state_dict(), "epoch": 3}``) keep their
    structure as JSON in the header; arrays are stored under dotted names. Nothing is pickled.

    Args:
        obj: the object to save (see :func:`encode` for what it may hold).
        path: the destination, a ``.safetensors`` file name (or one without an extension;
            another extension such as ``.pt`` is refused with a ValueError); written to a
            temporary file in the same folder and renamed into place, so a crash mid-save
            leaves the previous file intact.
        metadata: optional ``{str: str}`` stored in the header.

    Returns:
        None.

    Example:
        >>> import os, tempfile, topograd
        >>> p = os.path.join(tempfile.mkdtemp(), "sd.safetensors")
        >>> topograd.save({"weight": topograd.ones(2, 3)}, p)
        >>> topograd.load(p)["weight"].shape
        topograd.Size([2, 3])
    """
    check_save_path(path, "checkpoints")
    tensors, meta = encode(obj, metadata)
    write_tensors(path, tensors, meta)


def load(path, as_numpy: bool = False, map_location=None, weights_only: bool = True):
    """Load what :func:`save` wrote (or any safetensors file, as a flat state dict).

    The header is checked against the file's size before any tensor is read; no code from
    the file is ever run.

    Args:
        path: the file.
        as_numpy: give ndarrays instead of topograd Tensors.
        map_location: accepted for PyTorch compatibility; topograd has only the CPU.
        weights_only: accepted for PyTorch compatibility; loading is always weights-only.

    Returns:
        The saved object (a ``{name: Tensor}`` dict for a state dict).

    Raises:
        FileNotFoundError: no such file.
        FormatError: truncated or tampered file (the message names the file and tensor).

    Example:
        >>> import os, tempfile, topograd
        >>> p = os.path.join(tempfile.mkdtemp(), "ck.safetensors")
        >>> topograd.save({"epoch": 2, "w": topograd.zeros(1)}, p)
        >>> topograd.load(p)["epoch"]
        2
    """
    del map_location, weights_only
    tensors, metadata = read_tensors(path)
    return decode(tensors, metadata, os.fspath(path), as_numpy)


def save_tree(path, obj, *, format: str, header: dict | None = None,
              what: str = "files") -> None:
    """Save ``obj`` as :func:`save` does, recording what kind of file it is.

    The building block of the faces' own files (training checkpoints, whole models): the
    same file naming rule, the same encoding, the same atomic write as :func:`save`.

    Args:
        path: the destination (``.safetensors`` or no extension).
        obj: what :func:`encode` accepts.
        format: the kind of file, stored as ``topograd.format`` in the header.
        header: more ``{str: str}`` for the header; keys may use the ``topograd.`` prefix.
        what: what is saved, for the error about a refused file name.

    Returns:
        None.

    Example:
        >>> import os, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "c.safetensors")
        >>> save_tree(p, {"step": 3}, format="demo")
        >>> load_tree(p, format="demo")[0]
        {'step': 3}
    """
    check_save_path(path, what)
    if not isinstance(format, str) or not format:
        raise TypeError(f"format must be a non-empty string, found {format!r}")
    tensors, meta = encode(obj)
    for k, v in (header or {}).items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"header must map str to str, found {k!r}: {type(v).__name__}")
        if k in (TREE_KEY, VERSION_KEY, FORMAT_KEY):
            raise ValueError(f"header key {k!r} is written by save_tree itself")
        meta[k] = v
    meta[FORMAT_KEY] = format
    write_tensors(path, tensors, meta)


def load_tree(path, *, format: str | None = None, what: str | None = None,
              as_numpy: bool = False) -> tuple:
    """Load a file :func:`save_tree` wrote: the same checks, in the same order, as :func:`load`.

    Args:
        path: the file.
        format: the kind of file expected (``topograd.format``); None accepts any.
        what: how to call such a file in the error when it is of another kind
            (default: ``"a topograd <format> file"``).
        as_numpy: give ndarrays instead of topograd Tensors.

    Returns:
        ``(obj, metadata)``: the saved object and the header's metadata.

    Raises:
        FileNotFoundError: no such file.
        FormatError: a damaged file (exactly as :func:`load` reports it), or a file of
            another kind.

    Example:
        >>> import os, tempfile, topograd
        >>> p = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> topograd.save({"w": topograd.zeros(1)}, p)
        >>> try:
        ...     load_tree(p, format="checkpoint", what="a training checkpoint")
        ... except FormatError as e:
        ...     print(str(e).split(": ", 1)[1])
        not a training checkpoint (its header records no topograd.format)
    """
    where = os.fspath(path)
    tensors, metadata = read_tensors(path)
    obj = decode(tensors, metadata, where, as_numpy)
    found = metadata.get(FORMAT_KEY)
    if format is not None and found != format:
        what = what or f"a topograd {format} file"
        recorded = (f"records {FORMAT_KEY} {found!r}" if found is not None
                    else f"records no {FORMAT_KEY}")
        raise FormatError(f"{where}: not {what} (its header {recorded})")
    return obj, metadata


def check_state_dict(expected: dict, found: dict, where: str = "<file>",
                     strict: bool = True) -> None:
    """Check that ``found`` fits ``expected``: the same names, shapes and dtypes.

    Args:
        expected: the model's ``{name: tensor or array}``.
        found: the loaded ``{name: tensor or array}``.
        where: the file name for error messages.
        strict: also refuse tensors the model does not have, and missing ones.

    Returns:
        None.

    Raises:
        MismatchError: naming the file and the first tensor that does not fit.

    Example:
        >>> check_state_dict({"w": np.zeros(2)}, {"w": np.zeros(3)}, "m.st")
        Traceback (most recent call last):
        ...
        topograd.io.api.MismatchError: m.st: tensor 'w' has shape (3,) but the model expects (2,)
    """
    if strict:
        missing = [k for k in expected if k not in found]
        if missing:
            e = np.asarray(expected[missing[0]])
            raise MismatchError(
                f"{where}: tensor {missing[0]!r} is missing (the model expects {e.dtype} "
                f"{tuple(e.shape)}); {len(missing)} missing: {', '.join(missing[:5])}")
        extra = [k for k in found if k not in expected]
        if extra:
            raise MismatchError(
                f"{where}: tensor {extra[0]!r} is not part of the model; {len(extra)} "
                f"unexpected: {', '.join(map(str, extra[:5]))}")
    for k, want in expected.items():
        if k not in found:
            continue
        w, f = np.asarray(want), np.asarray(found[k])
        if w.shape != f.shape:
            raise MismatchError(f"{where}: tensor {k!r} has shape {tuple(f.shape)} but the "
                                f"model expects {tuple(w.shape)}")
        if w.dtype != f.dtype:
            raise MismatchError(f"{where}: tensor {k!r} has dtype {f.dtype} but the model "
                                f"expects {w.dtype}")
