"""Weights files: a model's ``state_dict`` in safetensors, checked name by name on load.

A model whose files name its weights otherwise than its ``state_dict`` says so with a
method: ``model._saved_weight_names()`` gives ``{name in the file: name in state_dict}``
(a Keras-face model names them by layer position, ``"0.kernel"``, as Keras matches weights
by layer order). Other models are saved under their ``state_dict`` names.
"""

from __future__ import annotations

import os

import numpy as np

from ._paths import check_save_path
from .api import MismatchError, check_state_dict, decode, encode
from .model import CONFIG_KEY
from .tensorfile import read_tensors, write_tensors


def _arrays(d: dict) -> dict:
    return {k: (v._data if hasattr(v, "_data") else np.asarray(v)) for k, v in d.items()}


def saved_weight_names(model) -> dict | None:
    """``{name in a file: name in state_dict}`` when the model says its files name its
    weights otherwise (``model._saved_weight_names()``), else None (the names are the same).

    Example:
        >>> from topograd import nn
        >>> saved_weight_names(nn.Linear(2, 2)) is None
        True
    """
    names = getattr(model, "_saved_weight_names", None)
    return names() if callable(names) else None


def model_weights(model) -> dict:
    """The model's weights by name, as arrays (no copies).

    An ``nn.Module`` gives its ``state_dict()`` (PyTorch's names); a Keras-face model gives
    ``"<layer index>.<weight>"`` (``"0.kernel"``, ``"1.moving_mean"``), as Keras matches
    weights by layer order.

    Args:
        model: an ``nn.Module`` or a Keras-face model.

    Returns:
        ``{name: ndarray}``.

    Example:
        >>> from topograd import nn
        >>> sorted(model_weights(nn.Linear(2, 2)))
        ['bias', 'weight']
    """
    if hasattr(model, "state_dict"):
        sd = _arrays(model.state_dict())
        names = saved_weight_names(model)
        return sd if names is None else {name: sd[own] for name, own in names.items()}
    if hasattr(model, "get_weights"):
        return {f"weight_{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}
    raise TypeError(f"cannot read the weights of {type(model).__name__}: it has neither "
                    f"state_dict() nor get_weights()")


def set_model_weights(model, weights: dict, where: str = "<file>", strict: bool = True):
    """Check ``weights`` against the model (names, shapes, dtypes), then copy them in.

    Nothing is copied unless everything fits.

    Args:
        model: the model to fill.
        weights: ``{name: ndarray}`` as :func:`model_weights` gives.
        where: the file name for error messages.
        strict: refuse missing and unexpected names.

    Returns:
        The model's ``load_state_dict`` result, or None.

    Raises:
        MismatchError: a tensor is missing, extra, or does not fit (names file and tensor).

    Example:
        >>> from topograd import nn
        >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
        >>> set_model_weights(b, model_weights(a))
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> bool((a.weight == b.weight).all())
        True
    """
    check_state_dict(model_weights(model), weights, where, strict)
    from topograd.tensor import Tensor

    own = saved_weight_names(model)
    if own is not None:
        weights = {own[k]: v for k, v in weights.items() if k in own}
    if hasattr(model, "load_state_dict"):
        return model.load_state_dict({k: Tensor._from_array(v) for k, v in weights.items()},
                                     strict=strict)
    model.set_weights([weights[f"weight_{i}"] for i in range(len(weights))])
    return None


def save_weights(model, path, metadata: dict | None = None) -> None:
    """Write a model's weights to a safetensors file (atomically), under PyTorch's names.

    Args:
        model: an ``nn.Module`` or a Keras-face model.
        path: the destination, a ``.safetensors`` file name (or one without an extension;
            ``.h5`` and other extensions are refused with a ValueError);
            ``safetensors.torch.load_file`` reads it as a state dict.
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
    check_save_path(path, "weights")
    tensors, meta = encode(model_weights(model), metadata)
    write_tensors(path, tensors, meta)


def read_state_dict(path) -> dict:
    """Read a flat ``{name: ndarray}`` state dict from a weights file.

    Args:
        path: a file from :func:`save_weights`, ``topograd.save(state_dict)``,
            ``safetensors.torch.save_file`` or :func:`~topograd.io.save_model` (its weights).

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
    if CONFIG_KEY in metadata and isinstance(obj, dict):
        obj = obj.get("weights")  # a whole-model file: its weights part
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
        model: an ``nn.Module`` or a Keras-face model.
        path: a safetensors weights file (topograd's or PyTorch's), or a whole-model file.
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
    return set_model_weights(model, read_state_dict(path), os.fspath(path), strict)
