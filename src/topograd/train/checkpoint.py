"""Checkpoints without pickle: safetensors for the arrays, JSON metadata for the rest.

One file holds the model's ``state_dict`` (keys ``model.<name>``), the optimizer's
``state_dict`` (its arrays under ``optimizer.<n>``, its structure and hyperparameters in the
JSON), and any JSON-able extras (epoch, random state, callback state). Files are written to
a temporary name in the same folder and then renamed (``os.replace``), so a process killed
while saving leaves the previous checkpoint intact.

:class:`~topograd.train.ModelCheckpoint` and :class:`~topograd.train.BackupAndRestore`
(in :mod:`topograd.train.saving`) are the callbacks built on it.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
>>> save_checkpoint(path, extra={"epoch": 3})
>>> load_checkpoint(path)["epoch"]
3
"""

from __future__ import annotations

import json
import os

import numpy as np

__all__ = ["save_checkpoint", "load_checkpoint", "model_state", "load_model_state"]

_META_KEY = "topograd.checkpoint"
_FORMAT = 1


def _safetensors():
    try:
        import safetensors.numpy as st
    except ImportError as err:  # pragma: no cover - safetensors is in the test extras
        raise ImportError("checkpoints need safetensors: pip install 'topograd[io]'") from err
    return st


def _named_tensors(model) -> dict:
    """``{name: Tensor}`` of the model's weights (parameters and buffers), shared memory.

    Keras-face models name weights by layer position (``"0.kernel"``), as Keras matches
    weights by layer order (auto-generated layer names differ between two models built in
    one process); other models use their ``state_dict`` names.
    """
    if not hasattr(model, "state_dict"):
        raise TypeError(f"cannot read the weights of {type(model).__name__}: it has no "
                        "state_dict()")
    layers = getattr(model, "layers", None)
    if layers is not None and hasattr(model, "get_weights"):
        return {f"{i}.{k}": v for i, layer in enumerate(layers)
                for k, v in layer.state_dict(keep_vars=True).items()}
    return dict(model.state_dict(keep_vars=True))


def model_state(model) -> dict:
    """The model's parameters and buffers as NumPy arrays, by name (no copy).

    Args:
        model: an ``nn.Module`` (``state_dict`` names) or a Keras-face model (names by layer
            position, ``"0.kernel"``).

    Returns:
        ``{name: ndarray}``.

    >>> from topograd import nn
    >>> sorted(model_state(nn.Linear(2, 3)))
    ['bias', 'weight']
    """
    return {k: v._data for k, v in _named_tensors(model).items()}


def load_model_state(model, state: dict) -> None:
    """Copy arrays from ``state`` into the model's parameters and buffers, in place.

    Args:
        model: as for :func:`model_state`.
        state: ``{name: array}`` with exactly the model's names and shapes.

    Raises:
        ValueError: a name is missing or extra, or a shape differs (all are listed).

    >>> from topograd import nn
    >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    >>> load_model_state(b, model_state(a))
    >>> bool((a.weight == b.weight).all())
    True
    """
    current = _named_tensors(model)
    missing = sorted(set(current) - set(state))
    extra = sorted(set(state) - set(current))
    bad = [f"{k}: checkpoint {tuple(np.shape(state[k]))}, model {tuple(current[k].shape)}"
           for k in current if k in state and tuple(np.shape(state[k])) != tuple(current[k].shape)]
    if missing or extra or bad:
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if extra:
            parts.append(f"unexpected {extra}")
        if bad:
            parts.append("shape mismatch: " + "; ".join(bad))
        raise ValueError(f"the weights do not fit {type(model).__name__}: " + ", ".join(parts))
    for k, t in current.items():
        t._data[...] = state[k]
        t._bump_version()


def _contiguous(a: np.ndarray) -> np.ndarray:
    # np.ascontiguousarray would turn 0-d arrays (BatchNorm's num_batches_tracked) into 1-d
    return a if a.flags.c_contiguous else a.copy(order="C")


# -- JSON encoding of nested state (optimizer state_dicts) with the arrays kept aside ------
def _encode(obj, arrays: dict, prefix: str):
    if hasattr(obj, "_data") and isinstance(getattr(obj, "_data", None), np.ndarray):
        key = f"{prefix}{len(arrays)}"
        arrays[key] = _contiguous(obj._data)
        return {"__tensor__": key}
    if isinstance(obj, np.ndarray):
        key = f"{prefix}{len(arrays)}"
        arrays[key] = _contiguous(obj)
        return {"__array__": key}
    if isinstance(obj, np.generic):
        key = f"{prefix}{len(arrays)}"
        arrays[key] = np.asarray(obj)
        return {"__scalar__": key}
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _encode(v, arrays, prefix) for k, v in obj.items()}
        return {"__dict__": [[_encode(k, arrays, prefix), _encode(v, arrays, prefix)]
                             for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays, prefix) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays, prefix) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} in a checkpoint (only arrays, "
                    "tensors, numbers, strings, lists, tuples and dicts)")


def _decode(obj, arrays: dict):
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__tensor__" in obj:
        from topograd.tensor import Tensor

        return Tensor._from_array(arrays[obj["__tensor__"]])
    if "__array__" in obj:
        return arrays[obj["__array__"]]
    if "__scalar__" in obj:
        return arrays[obj["__scalar__"]][()]
    if "__tuple__" in obj:
        return tuple(_decode(v, arrays) for v in obj["__tuple__"])
    if "__dict__" in obj:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in obj["__dict__"]}
    return {k: _decode(v, arrays) for k, v in obj.items()}


def save_checkpoint(path, model=None, optimizer=None, extra: dict | None = None) -> None:
    """Write the model's weights, the optimizer's state and ``extra`` to one safetensors file.

    The file is written next to ``path`` under a temporary name, then renamed over it.

    Args:
        path: the file to write (``.safetensors`` recommended).
        model: an object with ``state_dict()``, or None.
        optimizer: an object with ``state_dict()`` (arrays, numbers, lists, dicts), or None.
        extra: JSON-able values (epoch, random state, ...), returned by
            :func:`load_checkpoint`.

    >>> import os, tempfile
    >>> save_checkpoint(os.path.join(tempfile.mkdtemp(), "a.safetensors"), extra={"k": 1})
    """
    st = _safetensors()
    path = os.fspath(path)
    arrays = {}
    meta = {"format": _FORMAT, "extra": extra or {}}
    if model is not None:
        weights = model_state(model)
        for k, v in weights.items():
            arrays[f"model.{k}"] = _contiguous(v)
        meta["model_keys"] = list(weights)
    if optimizer is not None:
        meta["optimizer"] = _encode(optimizer.state_dict(), arrays, "optimizer.")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.tmp-{os.getpid()}")
    try:
        st.save_file(arrays, tmp, metadata={_META_KEY: json.dumps(meta)})
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_checkpoint(path, model=None, optimizer=None) -> dict:
    """Read a file written by :func:`save_checkpoint`; restore the model and optimizer given.

    Args:
        path: the checkpoint file.
        model: copy the saved weights into this model (in place), if given.
        optimizer: ``load_state_dict`` the saved optimizer state into it, if given.

    Returns:
        The ``extra`` dict that was saved.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a topograd checkpoint, or the weights do not fit the model.

    >>> import os, tempfile
    >>> from topograd import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
    >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    >>> save_checkpoint(path, a, extra={"epoch": 4})
    >>> load_checkpoint(path, b)["epoch"], bool((a.weight == b.weight).all())
    (4, True)
    """
    st = _safetensors()
    from safetensors import safe_open

    path = os.fspath(path)
    with safe_open(path, "np") as f:
        header = (f.metadata() or {}).get(_META_KEY)
    if header is None:
        raise ValueError(f"{path} is not a topograd checkpoint (no {_META_KEY!r} metadata)")
    meta = json.loads(header)
    arrays = st.load_file(path)
    if model is not None:
        weights = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
        if "model_keys" not in meta:
            raise ValueError(f"{path} holds no model weights")
        load_model_state(model, weights)
    if optimizer is not None:
        if "optimizer" not in meta:
            raise ValueError(f"{path} holds no optimizer state")
        optimizer.load_state_dict(_decode(meta["optimizer"], arrays))
    return meta["extra"]
