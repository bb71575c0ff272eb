"""Weights files: a model's ``state_dict`` in safetensors, checked name by name on load."""

from __future__ import annotations

import os

import numpy as np

from .api import MismatchError, check_state_dict, decode, encode
from .tensorfile import read_tensors, write_tensors


def _state(model) -> dict:
    if not hasattr(model, "state_dict"):
        raise TypeError(f"{type(model).__name__} has no state_dict(); expected an nn.Module "
                        f"or a Keras-face model")
    return model.state_dict()


def save_weights(model, path, metadata: dict | None = None) -> None:
    """Write ``model.state_dict()`` to a safetensors file (atomically), PyTorch's names.

    Args:
        model: an ``nn.Module`` (or anything with ``state_dict()``).
        path: the destination file.
        metadata: optional ``{str: str}`` for the header.

    Returns:
        None.

    Example:
        >>> import os, tempfile
        >>> from topograd import nn
        >>> p = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> save_weights(nn.Linear(2, 3), p)
        >>> sorted(read_tensors(p)[0])
        ['bias', 'weight']
    """
    sd = {k: (v._data if hasattr(v, "_data") else np.asarray(v))
          for k, v in _state(model).items()}
    tensors, meta = encode(sd, metadata)
    write_tensors(path, tensors, meta)


def read_state_dict(path) -> dict:
    """Read a flat ``{name: ndarray}`` state dict from a weights file.

    Args:
        path: a file from :func:`save_weights`, ``topograd.save(state_dict)`` or
            ``safetensors.torch.save_file``.

    Returns:
        ``{name: ndarray}``.

    Raises:
        FormatError: the file is damaged.
        MismatchError: the file holds a nested checkpoint, not a state dict.

    Example:
        >>> import os, tempfile
        >>> from topograd import nn
        >>> p = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> save_weights(nn.Linear(2, 3), p)
        >>> read_state_dict(p)["weight"].shape
        (3, 2)
    """
    tensors, metadata = read_tensors(path)
    obj = decode(tensors, metadata, os.fspath(path), as_numpy=True)
    if not isinstance(obj, dict) or not all(
            isinstance(k, str) and isinstance(v, np.ndarray) for k, v in obj.items()):
        keys = list(obj)[:5] if isinstance(obj, dict) else type(obj).__name__
        raise MismatchError(f"{os.fspath(path)}: holds a checkpoint ({keys}), not a state "
                            f"dict of name -> tensor")
    return obj


def load_weights(model, path, strict: bool = True):
    """Load a weights file into ``model`` after checking every name, shape and dtype.

    Unlike ``model.load_state_dict(topograd.load(path))``, every error names the file as
    well as the tensor, and nothing is copied unless everything fits.

    Args:
        model: an ``nn.Module`` (or anything with ``state_dict``/``load_state_dict``).
        path: a safetensors weights file (topograd's or PyTorch's).
        strict: refuse missing and unexpected tensors (shapes and dtypes are always checked).

    Returns:
        The model's ``load_state_dict`` result (missing and unexpected keys).

    Raises:
        FileNotFoundError: no such file.
        FormatError: the file is damaged (truncated, a header that lies, a bad dtype).
        MismatchError: a tensor is missing, extra, or of the wrong shape or dtype.

    Example:
        >>> import os, tempfile
        >>> from topograd import nn
        >>> p = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> save_weights(nn.Linear(2, 3), p)
        >>> load_weights(nn.Linear(2, 3), p)
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> try:
        ...     load_weights(nn.Linear(2, 4), p)
        ... except MismatchError as e:
        ...     print(str(e).split(": ", 1)[1])
        tensor 'weight' has shape (3, 2) but the model expects (4, 2)
    """
    found = read_state_dict(path)
    expected = _state(model)
    check_state_dict(expected, found, os.fspath(path), strict)
    from topograd.tensor import Tensor

    return model.load_state_dict({k: Tensor._from_array(v) for k, v in found.items()},
                                 strict=strict)
