"""Training checkpoints: a thin layer over :mod:`topograd.io` (safetensors + JSON, no pickle).

A checkpoint is a file of io's nested format (:func:`topograd.io.save_tree`) whose header
records ``topograd.format: "checkpoint"`` and whose object is::

    {"model": {name: array}, "optimizer": optimizer.state_dict(), "extra": {...}}

(each part only when saved). So a checkpoint gets io's file naming rule (``.safetensors``
or no extension), io's atomic write (a temporary file renamed into place: a process
killed while saving leaves the previous checkpoint intact, a failed save raises an
``OSError`` naming the file) and, on reading, io's header checks in the same order as
``topograd.load``: a damaged file gives the same :class:`~topograd.io.FormatError`,
naming the file and the field, through :func:`load_checkpoint` as through
``topograd.load``, which also reads a checkpoint (as the dict above). Every part's type
is checked before it is used. Files written by earlier versions (a ``topograd.checkpoint``
JSON header) are still read, with the same checks.

The model's weights are named as in its ``state_dict``, or as the model says its files
name them (``model._saved_weight_names()``: a Keras-face model names them by layer
position, ``"0.kernel"``).

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

from topograd.io import FormatError, MismatchError, load_tree, save_tree
from topograd.io.api import FORMAT_KEY
from topograd.io.tree import MAX_DEPTH
from topograd.io.weights import saved_weight_names
from topograd.tensor import Tensor

__all__ = ["save_checkpoint", "load_checkpoint", "read_checkpoint", "restore_checkpoint",
           "model_state", "load_model_state"]

FORMAT = "checkpoint"  # what the files record as topograd.format
_PARTS = ("model", "optimizer", "extra")
_LEGACY_KEY = "topograd.checkpoint"  # the JSON header of files written before FORMAT


def _named_tensors(model) -> dict:
    """``{name: Tensor}`` of the model's weights (parameters and buffers), shared memory."""
    if not hasattr(model, "state_dict"):
        raise TypeError(f"cannot read the weights of {type(model).__name__}: it has no "
                        "state_dict()")
    own = model.state_dict(keep_vars=True)
    names = saved_weight_names(model)
    return dict(own) if names is None else {name: own[k] for name, k in names.items()}


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


def _check_fits(current: dict, state: dict, model, where: str | None) -> None:
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
        prefix = f"{where}: " if where else ""
        raise MismatchError(f"{prefix}the weights do not fit {type(model).__name__}: "
                            + ", ".join(parts))


def load_model_state(model, state: dict) -> None:
    """Copy arrays from ``state`` into the model's parameters and buffers, in place.

    Args:
        model: as for :func:`model_state`.
        state: ``{name: array}`` with exactly the model's names and shapes.

    Raises:
        ValueError: a name is missing or extra, or a shape differs (all are listed);
            nothing is copied then.

    >>> from topograd import nn
    >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    >>> load_model_state(b, model_state(a))
    >>> bool((a.weight == b.weight).all())
    True
    """
    current = _named_tensors(model)
    _check_fits(current, state, model, None)
    _copy_into(current, state)


def _copy_into(current: dict, state: dict) -> None:
    for k, t in current.items():
        t._data[...] = state[k]
        t._bump_version()


def save_checkpoint(path, model=None, optimizer=None, extra: dict | None = None) -> None:
    """Write the model's weights, the optimizer's state and ``extra`` to one safetensors file.

    The file is written next to ``path`` under a temporary name, then renamed over it
    (:func:`topograd.io.atomic_write`); its folder is created if needed.

    Args:
        path: the file to write: ``.safetensors``, or a name without an extension (any
            other extension is refused with a ValueError, as for ``topograd.save``).
        model: an object with ``state_dict()``, or None.
        optimizer: an object with ``state_dict()`` (arrays, numbers, lists, dicts), or None.
        extra: values to keep alongside (epoch, random state, ...): numbers, strings,
            arrays and dicts/lists of them; returned by :func:`load_checkpoint`.

    Raises:
        ValueError: a refused file name.
        TypeError: something in ``extra`` or the optimizer's state cannot be saved.
        OSError: the file cannot be written (names the file; a previous one is intact).

    >>> import os, tempfile
    >>> save_checkpoint(os.path.join(tempfile.mkdtemp(), "a.safetensors"), extra={"k": 1})
    """
    obj = {}
    if model is not None:
        obj["model"] = model_state(model)
    if optimizer is not None:
        obj["optimizer"] = optimizer.state_dict()
    obj["extra"] = {} if extra is None else extra
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise OSError(e.errno, f"cannot save {os.fspath(path)}: cannot create its folder "
                               f"{folder}: {e.strerror}") from e
    save_tree(path, obj, format=FORMAT, what="checkpoints")


def read_checkpoint(path) -> dict:
    """Read a checkpoint, checked, without restoring anything.

    The header is checked exactly as ``topograd.load`` checks it, then each part's type.

    Args:
        path: a file written by :func:`save_checkpoint`.

    Returns:
        ``{"model": {name: ndarray}, "optimizer": dict, "extra": dict}``, each key only
        when the file holds that part (``"extra"`` always).

    Raises:
        FileNotFoundError: no such file.
        FormatError: a damaged file or not a topograd checkpoint (names the file and the
            field).

    >>> import os, tempfile
    >>> from topograd import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "c.safetensors")
    >>> save_checkpoint(path, nn.Linear(2, 1), extra={"epoch": 0})
    >>> sorted(read_checkpoint(path)), sorted(read_checkpoint(path)["model"])
    (['extra', 'model'], ['bias', 'weight'])
    """
    where = os.fspath(path)
    obj, metadata = load_tree(path)
    found = metadata.get(FORMAT_KEY)
    if _LEGACY_KEY in metadata and found is None:
        obj = _legacy(where, metadata[_LEGACY_KEY], obj)
    elif found != FORMAT:
        why = f"it records {FORMAT_KEY} {found!r}" if found else f"no {FORMAT_KEY}"
        raise FormatError(f"{where}: not a topograd checkpoint ({why}; write one with "
                          f"topograd.train.save_checkpoint)")
    if not isinstance(obj, dict) or not set(obj) <= set(_PARTS):
        found = sorted(map(str, obj)) if isinstance(obj, dict) else type(obj).__name__
        raise FormatError(f"{where}: a checkpoint holds a dict of {', '.join(_PARTS)}, "
                          f"found {found}")
    out = {"extra": obj.get("extra", {})}
    if not isinstance(out["extra"], dict):
        raise FormatError(f"{where}: field 'extra' must be a dict, found "
                          f"{type(out['extra']).__name__}")
    if "model" in obj:
        weights = obj["model"]
        if not isinstance(weights, dict):
            raise FormatError(f"{where}: field 'model' must map names to tensors, found "
                              f"{type(weights).__name__}")
        arrays = {}
        for k, v in weights.items():
            if not isinstance(k, str) or not isinstance(v, (np.ndarray, Tensor)):
                raise FormatError(f"{where}: field 'model': {k!r} must name a tensor, found "
                                  f"{type(v).__name__}")
            arrays[k] = v._data if isinstance(v, Tensor) else v
        out["model"] = arrays
    if "optimizer" in obj:
        if not isinstance(obj["optimizer"], dict):
            raise FormatError(f"{where}: field 'optimizer' must be a state dict, found "
                              f"{type(obj['optimizer']).__name__}")
        out["optimizer"] = obj["optimizer"]
    return out


def restore_checkpoint(checkpoint: dict, model=None, optimizer=None,
                       where: str = "<checkpoint>") -> None:
    """Restore what :func:`read_checkpoint` gave into a model and an optimizer.

    The weights are checked against the model first, then the optimizer's state is
    loaded, then the weights are copied: a misfit leaves the model untouched.

    Args:
        checkpoint: :func:`read_checkpoint`'s result.
        model: copy the saved weights into this model (in place), if given.
        optimizer: ``load_state_dict`` the saved optimizer state into it, if given.
        where: the file name for error messages.

    Raises:
        FormatError: the checkpoint lacks the part asked for.
        MismatchError: the weights or the optimizer's state do not fit.
    """
    current = None
    if model is not None:
        if "model" not in checkpoint:
            raise FormatError(f"{where}: holds no model weights")
        current = _named_tensors(model)
        _check_fits(current, checkpoint["model"], model, where)
    if optimizer is not None:
        if "optimizer" not in checkpoint:
            raise FormatError(f"{where}: holds no optimizer state")
        try:
            optimizer.load_state_dict(checkpoint["optimizer"])
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as e:
            raise MismatchError(f"{where}: the optimizer state does not fit "
                                f"{type(optimizer).__name__} ({type(e).__name__}: {e})") from e
    if current is not None:
        _copy_into(current, checkpoint["model"])


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
        FormatError: a damaged file (the same error ``topograd.load`` gives), not a
            topograd checkpoint, or a part asked for is missing (a ValueError).
        MismatchError: the weights or the optimizer's state do not fit (a ValueError).

    >>> import os, tempfile
    >>> from topograd import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
    >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    >>> save_checkpoint(path, a, extra={"epoch": 4})
    >>> load_checkpoint(path, b)["epoch"], bool((a.weight == b.weight).all())
    (4, True)
    """
    checkpoint = read_checkpoint(path)
    restore_checkpoint(checkpoint, model, optimizer, os.fspath(path))
    return checkpoint["extra"]


# -- files written before checkpoints were io files -------------------------------------------
# {"format": 1, "extra": {...}, "model_keys": [...], "optimizer": <encoded>} in the header
# under "topograd.checkpoint"; arrays "model.<name>" and "optimizer.<n>"; the optimizer's
# state encoded with {"__tensor__"|"__array__"|"__scalar__": name}, {"__tuple__": [...]},
# {"__dict__": [[key, value], ...]}.

def _legacy(where: str, text: str, tensors: dict) -> dict:
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise FormatError(f"{where}: metadata {_LEGACY_KEY!r} is not valid JSON ({e})") from None
    if not isinstance(meta, dict):
        raise FormatError(f"{where}: metadata {_LEGACY_KEY!r} must be a JSON object")
    out = {"extra": meta.get("extra", {})}
    if "model_keys" in meta:
        keys = meta["model_keys"]
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise FormatError(f"{where}: field 'model_keys' must be a list of names")
        missing = [k for k in keys if f"model.{k}" not in tensors]
        if missing:
            raise FormatError(f"{where}: tensor {'model.' + missing[0]!r} is missing from "
                              f"the file")
        out["model"] = {k: tensors[f"model.{k}"] for k in keys}
    if "optimizer" in meta:
        out["optimizer"] = _legacy_value(meta["optimizer"], tensors, where, 0)
    return out


def _legacy_value(obj, tensors: dict, where: str, depth: int):
    if depth > MAX_DEPTH:
        raise FormatError(f"{where}: field 'optimizer' is nested deeper than {MAX_DEPTH} "
                          f"levels")
    if isinstance(obj, list):
        return [_legacy_value(v, tensors, where, depth + 1) for v in obj]
    if not isinstance(obj, dict):
        return obj
    for tag in ("__tensor__", "__array__", "__scalar__"):
        if tag in obj:
            name = obj[tag]
            if not isinstance(name, str) or name not in tensors:
                raise FormatError(f"{where}: field 'optimizer' names tensor {name!r}, which "
                                  f"is not in the file")
            t = tensors[name]
            arr = t._data if isinstance(t, Tensor) else t
            if tag == "__tensor__":
                return Tensor._from_array(arr)
            return arr if tag == "__array__" else arr[()]
    if "__tuple__" in obj:
        items = obj["__tuple__"]
        if not isinstance(items, list):
            raise FormatError(f"{where}: field 'optimizer': __tuple__ must hold a list")
        return tuple(_legacy_value(v, tensors, where, depth + 1) for v in items)
    if "__dict__" in obj:
        pairs = obj["__dict__"]
        if not isinstance(pairs, list) or not all(
                isinstance(p, list) and len(p) == 2 for p in pairs):
            raise FormatError(f"{where}: field 'optimizer': __dict__ must hold [key, value] "
                              f"pairs")
        out = {}
        for k, v in pairs:
            key = _legacy_value(k, tensors, where, depth + 1)
            if isinstance(key, (list, dict, np.ndarray, Tensor)):
                raise FormatError(f"{where}: field 'optimizer': a dict key must be a number "
                                  f"or a string, found {type(key).__name__}")
            out[key] = _legacy_value(v, tensors, where, depth + 1)
        return out
    return {k: _legacy_value(v, tensors, where, depth + 1) for k, v in obj.items()}
